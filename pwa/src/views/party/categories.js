// The wishes' categories, in the order the wall and the form list them (app/wishes/models.py).
export const CATEGORIES = ['daily_needs', 'study', 'health', 'repair', 'company', 'employment', 'other']

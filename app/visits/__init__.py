"""Visits (走访): plans by tag, records of households visited, what is due and overdue, and
departments' sign-off (签收)."""

"""Patrols (巡查): tracks, coverage, checkpoints, plans and their reminders."""

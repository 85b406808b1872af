"""Residents' own reports (群众随手拍): a public page, no account, a private tracking link."""

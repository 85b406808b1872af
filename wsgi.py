"""WSGI entry point: `gunicorn wsgi:app`; with DISTRICTS set, every district by host name
(app/districts.py)."""
from app import districts

app = districts.create()

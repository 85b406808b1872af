"""WSGI entry point: `gunicorn wsgi:app`; with DISTRICTS set, every district by host name
(app/districts.py)."""

import gc

from app import districts

app = districts.create()

# What the app made at start-up (modules, mappers, compiled schemas: some 300,000 objects)
# lives as long as the worker: frozen, the collector's full passes leave it out. A first sync
# allocates enough to set off such a pass, and over everything it took ~190 ms of CPU, over
# what the request made ~20 (bench/README.md, "The first syncs in process").
gc.collect()
gc.freeze()

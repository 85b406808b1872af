"""The test cluster: `python -m cluster up | down | status | test` (docs/deploy.md)."""

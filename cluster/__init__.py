"""The test cluster: `python -m cluster up | down | status` (docs/deploy.md)."""

"""Resumable photo uploads over tus 1.0.0 (docs/uploads.md): state on disk, photos stored once."""

"""Photos: content checks, metadata stripping, thumbnails and content-addressed storage."""

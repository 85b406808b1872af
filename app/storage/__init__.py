"""Where bytes and locks live: local disk and flock by default (one machine), an S3-compatible
object store and PostgreSQL advisory locks when the API runs on several nodes."""

import fcntl
import hashlib
import os
from contextlib import contextmanager
from functools import lru_cache

from flask import current_app
from sqlalchemy import text

from app.extensions import db


class Busy(Exception):
    """Another request holds the lock."""


def s3_bucket():
    """The bucket photos and uploads go to, or None: local disk (S3_BUCKET unset)."""
    return current_app.config.get("S3_BUCKET") or None


def s3_client():
    """A boto3 S3 client for the configured endpoint (thread-safe, made once per setting).
    Credentials come from boto3's usual chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY in
    the environment, or a role): never from here."""
    config = current_app.config
    return _client(config["S3_ENDPOINT_URL"], config["S3_REGION"], config["S3_ADDRESSING_STYLE"])


@lru_cache(maxsize=4)
def _client(endpoint_url, region, addressing_style):
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint_url or None,
        region_name=region,
        config=Config(
            # Government clouds' stores (and test servers) are reached by path, not by a
            # host name per bucket.
            s3={"addressing_style": addressing_style},
            connect_timeout=5,
            read_timeout=30,
            retries={"mode": "standard", "max_attempts": 4},
        ),
    )


def missing(error) -> bool:
    """Whether a botocore ClientError says the object is not there."""
    return error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound")


@contextmanager
def exclusive(name, lock_dir):
    """Hold the lock called `name` across every node, or raise Busy at once.

    On PostgreSQL a transaction-scoped advisory lock, on a connection of its own (so the
    request may commit meanwhile, and pgbouncer's transaction pooling keeps it on one server
    connection); it goes with that transaction, also when the holder dies. On SQLite (one
    machine) an flock on a file under `lock_dir`."""
    if db.engine.dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
        with db.engine.connect() as connection:
            if not connection.execute(
                text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": key}
            ).scalar():
                raise Busy(name)
            try:
                yield
            finally:
                connection.rollback()
        return
    os.makedirs(lock_dir, exist_ok=True)
    fd = os.open(
        os.path.join(lock_dir, hashlib.sha256(name.encode()).hexdigest()[:32]),
        os.O_RDWR | os.O_CREAT,
        0o600,
    )
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Busy(name) from None
        yield
    finally:
        os.close(fd)

"""A real S3-compatible server for the tests: moto's server mode (PyPI's moto, a werkzeug
HTTP server speaking the S3 REST API), started once per test session on loopback. boto3 talks
to it over HTTP as it would to a district's object store. It is a dev dependency, so it is
there wherever the tests run; where it is not, the S3 tests skip loudly, and with
GRIDLINK_REQUIRE_S3=1 (CI) they fail instead."""

import os
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager

import pytest
import requests

from app.storage import _client


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def moto_server(port=None):
    """A moto S3 server on 127.0.0.1: yields its endpoint URL; stopped on exit."""
    port = port or free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(url, timeout=1)
                break
            except requests.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the moto S3 server did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture(scope="session")
def s3_server():
    try:
        import moto.server  # noqa: F401
    except ImportError:
        if os.environ.get("GRIDLINK_REQUIRE_S3") == "1":
            pytest.fail("GRIDLINK_REQUIRE_S3=1 but moto (the test S3 server) is not installed")
        pytest.skip("S3 LEG SKIPPED: moto is not installed (pip install -r requirements-dev.txt)")
    with moto_server() as url:
        yield url


@pytest.fixture
def s3_bucket(s3_server, monkeypatch):
    """A fresh bucket on the test S3 server: a boto3 client, with `.bucket` its name."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    client = _client(s3_server, "us-east-1", "path")
    client.bucket = f"gridlink-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=client.bucket)
    return client


@pytest.fixture
def s3(app, s3_server, s3_bucket, monkeypatch):
    """The app's photos and uploads in the test's bucket (under bijiang/); the client."""
    for name, value in {
        "S3_BUCKET": s3_bucket.bucket,
        "S3_ENDPOINT_URL": s3_server,
        "S3_REGION": "us-east-1",
        "S3_ADDRESSING_STYLE": "path",
        "S3_PREFIX": "bijiang/",
    }.items():
        monkeypatch.setitem(app.config, name, value)
    return s3_bucket


def keys(client, prefix=""):
    """Every key in the test's bucket under `prefix`, without it."""
    listed = client.list_objects_v2(Bucket=client.bucket, Prefix=prefix)
    return sorted(item["Key"][len(prefix) :] for item in listed.get("Contents", ()))

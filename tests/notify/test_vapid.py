"""The VAPID key: made once in the instance folder (mode 0600), the same for every call and
every process, concurrent first runs included; a key from the environment wins."""

import os
import subprocess
import sys
import threading
from pathlib import Path

import flask
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid.utils import b64urlencode

from app import config
from app.notify import push

ROOT = Path(__file__).resolve().parents[2]
# A process of its own over an instance folder: the key as it sees it.
PRINT_KEY = """
import os, flask
from app import config
from app.notify import push
app = flask.Flask("gridlink", instance_path=os.environ["GRIDLINK_INSTANCE"])
app.config.from_object(config.Test)
with app.app_context():
    print(push.public_key())
"""


@pytest.fixture
def make_app():
    """A bare app over an instance folder: the key needs nothing else, and a second
    create_app() would rebind the extensions the session's app holds."""

    def make(instance):
        app = flask.Flask("gridlink", instance_path=str(instance))
        app.config.from_object(config.Test)
        return app

    return make


def _key_in(instance, count=1):
    """The public key as `count` fresh processes see it, started together."""
    env = dict(os.environ, GRIDLINK_INSTANCE=str(instance))
    env.pop("VAPID_PRIVATE_KEY", None)
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", PRINT_KEY],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]
    keys = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        keys.append(out.strip())
    return keys


def test_made_once_kept_private_and_the_same_for_every_call(tmp_path, make_app):
    app = make_app(tmp_path)
    with app.app_context():
        key = push.public_key()
        assert push.public_key() == key
    path = tmp_path / push.KEY_FILE
    assert path.stat().st_mode & 0o777 == 0o600
    assert list(tmp_path.iterdir()) == [path]  # no stray files of its own
    # A new app over the same folder (a restart) reads it back.
    with make_app(tmp_path).app_context():
        assert push.public_key() == key


def test_the_same_in_every_process_even_when_they_start_together(tmp_path):
    keys = _key_in(tmp_path, count=3)
    assert len(set(keys)) == 1
    assert [p.name for p in tmp_path.iterdir()] == [push.KEY_FILE]


@pytest.mark.parametrize("escaped", [False, True])
def test_a_key_from_the_environment_wins(tmp_path, make_app, escaped):
    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    if escaped:  # one line, as some deployments set variables
        pem = pem.replace("\n", "\\n")
    app = make_app(tmp_path)
    app.config["VAPID_PRIVATE_KEY"] = pem
    with app.app_context():
        expected = b64urlencode(
            private.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )
        assert push.public_key() == expected
    assert not (tmp_path / push.KEY_FILE).exists()


def test_production_makes_no_key_of_its_own(tmp_path):
    """Each node of a cluster would make a different one: production is given its key."""
    app = flask.Flask("gridlink", instance_path=str(tmp_path))
    app.config.from_object(config.Prod)
    app.config["VAPID_PRIVATE_KEY"] = None
    with app.app_context(), pytest.raises(RuntimeError, match="VAPID_PRIVATE_KEY"):
        push.public_key()
    assert list(tmp_path.iterdir()) == []
    # A key put in the instance folder beforehand is used.
    keys = _key_in(tmp_path)
    with app.app_context():
        assert push.public_key() == keys[0]


def test_a_key_of_another_curve_is_refused(tmp_path, make_app):
    app = make_app(tmp_path)
    app.config["VAPID_PRIVATE_KEY"] = (
        ec.generate_private_key(ec.SECP384R1())
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    with app.app_context(), pytest.raises(RuntimeError, match="P-256"):
        push.public_key()


def test_first_runs_racing_for_the_file_all_read_one_whole_key(tmp_path):
    path = str(tmp_path / "instance" / push.KEY_FILE)
    start = threading.Barrier(16)
    keys = []

    def first_run():
        start.wait()
        keys.append(push._instance_key(path))

    threads = [threading.Thread(target=first_run) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(keys) == 16 and len(set(keys)) == 1
    assert keys[0].startswith(b"-----BEGIN PRIVATE KEY-----")
    assert os.listdir(tmp_path / "instance") == [push.KEY_FILE]

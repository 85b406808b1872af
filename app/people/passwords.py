"""Password hashes: Argon2id at OWASP's baseline, older hashes still checked and replaced at
the next login, and a bound on how many checks a host runs at once.

Argon2id with 19 MiB, 2 passes and 1 lane (OWASP's Password Storage Cheat Sheet, its first
choice) costs about 25 ms of one core a check here; werkzeug's scrypt (N=2^15, r=8, p=1), what
GridLink stored before, cost 126 ms and is below OWASP's minimum for scrypt. A mass login
(the whole district after a key rotation) is mostly these checks: LOGIN_CONCURRENCY of them
at once per host, the rest answered 429 with Retry-After, leaves the other core to everyone
else's requests.
"""

import fcntl
import os
from contextlib import contextmanager
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from werkzeug.security import check_password_hash

from app.errors import ApiError

ARGON2 = "$argon2id$"
SLOTS = "password-checks"  # in the instance folder: one lock file per check at once


_VERIFIER = PasswordHasher()  # verifying reads the parameters from the hash


@lru_cache(maxsize=4)
def _hasher_for(memory_kib, passes):
    return PasswordHasher(time_cost=passes, memory_cost=memory_kib, parallelism=1)


def _hasher():
    config = current_app.config
    return _hasher_for(config["PASSWORD_HASH_MEMORY_KIB"], config["PASSWORD_HASH_PASSES"])


def make(password):
    """The hash to store for `password`, with the parameters in force."""
    return _hasher().hash(password)


def matches(stored, password):
    """Whether `password` is the one `stored` was made from: Argon2id, or an older werkzeug
    hash (scrypt, pbkdf2) from before."""
    if not stored.startswith(ARGON2):
        return check_password_hash(stored, password)
    try:
        return _VERIFIER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def outdated(stored):
    """Whether a hash that matched should be made again: not Argon2id, or weaker than the
    parameters in force."""
    return not stored.startswith(ARGON2) or _hasher().check_needs_rehash(stored)


@lru_cache(maxsize=4)
def _dummy(memory_kib, passes):
    return _hasher_for(memory_kib, passes).hash("not-a-password")


def dummy():
    """A hash to check against when the phone is unknown, so that a wrong phone costs as much
    time as a wrong password and timing does not tell which phones have accounts."""
    config = current_app.config
    return _dummy(config["PASSWORD_HASH_MEMORY_KIB"], config["PASSWORD_HASH_PASSES"])


@contextmanager
def checking():
    """A slot for one password check, or 429 `busy` (Retry-After: 1) while LOGIN_CONCURRENCY checks
    run on this host. The slots are lock files (flock: per host, for every worker process
    and thread alike, and let go of by the kernel if a worker dies holding one)."""
    folder = os.path.join(current_app.instance_path, SLOTS)
    os.makedirs(folder, exist_ok=True)
    for slot in range(current_app.config["LOGIN_CONCURRENCY"]):
        fd = os.open(os.path.join(folder, str(slot)), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        try:
            yield
        finally:
            os.close(fd)  # lets go of the lock
        return
    raise ApiError(
        "Many people are logging in at once: try again in a moment.",
        status=429,
        code="busy",
        headers={"Retry-After": "1"},
        extra={"retry_after": 1},
    )

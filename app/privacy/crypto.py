"""Field encryption (AES-256-GCM) and the blind index (HMAC-SHA256) of personal data, under a
key from the settings (PERSONAL_DATA_KEY), never from the database: a stolen dump or backup
reads as noise.

A ciphertext starts with its key's id (the first 8 hex digits of the key's SHA-256), so keys
rotate: set the new key, list the old ones in PERSONAL_DATA_KEY_FALLBACKS, and run
`flask privacy rekey`, which writes every value again under the new key."""

import base64
import hashlib
import hmac
import os
import secrets

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app
from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator

from app.security import secret_file

KEY_FILE = "personal_data_key"  # in the instance folder, like the secret key
_NONCE = 12


def make_key():
    """A new key as the setting takes it: 32 random bytes, URL-safe base64."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def _key_bytes(text):
    try:
        key = base64.urlsafe_b64decode(text.strip().encode())
    except ValueError:
        key = b""
    if len(key) != 32:
        raise RuntimeError(
            "PERSONAL_DATA_KEY must be 32 bytes in URL-safe base64; make one with python3 -c "
            "'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())'."
        )
    return key


class Keyring:
    """The current key (which writes) and the old ones (which still read)."""

    def __init__(self, current, fallbacks=()):
        keys = [_key_bytes(current), *(_key_bytes(k) for k in fallbacks)]
        self.ids = [hashlib.sha256(key).hexdigest()[:8] for key in keys]
        self.current = self.ids[0]
        self.ciphers = {kid: AESGCM(key) for kid, key in zip(self.ids, keys, strict=True)}
        # The index has a key of its own, derived, so one key never serves two purposes.
        self.index_keys = [hmac.digest(key, b"gridlink blind index", "sha256") for key in keys]


def use_key(app):
    """PERSONAL_DATA_KEY, else the instance's key file (made once in dev and test);
    production refuses to start with neither, as it does without SECRET_KEY."""
    config = app.config
    path = os.path.join(app.instance_path, KEY_FILE)
    key = config.get("PERSONAL_DATA_KEY")
    if not key:
        make = (lambda: make_key().encode()) if config["MAKE_SECRET_KEY"] else None
        key = (secret_file(path, make) or b"").decode().strip()
    if not key:
        raise RuntimeError(f"Set PERSONAL_DATA_KEY, or write one to {path} (mode 0600).")
    app.extensions["privacy"] = Keyring(key, config.get("PERSONAL_DATA_KEY_FALLBACKS", ()))


def _keyring():
    return current_app.extensions["privacy"]


def encrypt(text):
    """`text` encrypted under the current key: "<key id>:<base64 of nonce + ciphertext>".
    A fresh nonce each time, so equal values do not look equal."""
    if text is None:
        return None
    keyring = _keyring()
    nonce = secrets.token_bytes(_NONCE)
    sealed = keyring.ciphers[keyring.current].encrypt(nonce, text.encode(), None)
    return f"{keyring.current}:{base64.b64encode(nonce + sealed).decode()}"


def key_id(value):
    return value.partition(":")[0] if value else None


def decrypt(value):
    if value is None:
        return None
    kid, _, body = value.partition(":")
    cipher = _keyring().ciphers.get(kid)
    if cipher is None:
        raise RuntimeError(f"personal data under key {kid!r}, which is not configured")
    raw = base64.b64decode(body)
    return cipher.decrypt(raw[:_NONCE], raw[_NONCE:], None).decode()


def blind_index(value, normalize=str.strip):
    """A keyed hash of the normalised value under the current key: equal values, equal
    hashes, so a column of them finds a person by ID number or phone without decrypting
    every row, and reveals nothing without the key."""
    return None if value is None else _blind(_keyring().index_keys[0], normalize(value))


def blind_indexes(value, normalize=str.strip):
    """The value's hash under every configured key, to look up rows not yet rekeyed."""
    return [_blind(key, normalize(value)) for key in _keyring().index_keys]


def _blind(key, text):
    return hmac.new(key, text.encode(), "sha256").hexdigest()


class Encrypted(TypeDecorator):
    """A text column stored encrypted and read back plain. It cannot be compared in SQL (the
    same value encrypts differently each time): look up through a blind index."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return encrypt(value)

    def process_result_value(self, value, dialect):
        return decrypt(value)

"""Where a tus upload's state and bytes wait until the photo is stored: a directory on local
disk (one machine), or objects in the S3-compatible store that every API node shares.

Each holds, per upload, its state (what was declared, and the acknowledged offset) and the
bytes received so far; tus.py keeps the rules. The offset in the state is the truth: bytes
past it were never acknowledged and are dropped before the next chunk is written.
"""

import fcntl
import io
import json
import os
import shutil
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from botocore.exceptions import ClientError

from app.photos.storage import fsync_dir
from app.storage import Busy, exclusive, missing

STATE, DATA = "state.json", "data"


class LocalSpace:
    """Under `root`:

        <user id>/<upload id>/state.json   the state
        <user id>/<upload id>/data         the bytes received so far
        <user id>/.new-*, .trash-*          a creation or a removal in flight (prune sweeps them)

    Writers hold an exclusive flock on the upload's directory; readers need none, as
    state.json is replaced atomically.
    """

    def __init__(self, root):
        self.root = Path(root)

    def _dir(self, user_id, upload_id) -> Path:
        return self.root / str(int(user_id)) / upload_id

    def read(self, user_id, upload_id):
        try:
            return json.loads((self._dir(user_id, upload_id) / STATE).read_text())
        except (FileNotFoundError, NotADirectoryError):
            return None

    def write(self, user_id, upload_id, state) -> None:
        _write_state(self._dir(user_id, upload_id), state)

    def make(self, user_id, upload_id, state) -> bool:
        """Create the upload whole (state, empty data) or not at all: False when it exists."""
        path = self._dir(user_id, upload_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=".new-"))
        try:
            _write_state(tmp, state)
            if not state["complete"]:
                (tmp / DATA).touch()
            os.rename(tmp, path)  # refuses to replace a directory that has files in it
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)
            if (path / STATE).exists():
                return False
            raise
        fsync_dir(path.parent)
        return True

    def discard(self, user_id, upload_id) -> None:
        """Gone at once for everyone (a rename), then its files."""
        path = self._dir(user_id, upload_id)
        trash = path.parent / f".trash-{uuid.uuid4().hex}"
        try:
            os.rename(path, trash)
        except FileNotFoundError:
            return
        shutil.rmtree(trash, ignore_errors=True)

    @contextmanager
    def locked(self, user_id, upload_id):
        """The upload's exclusive lock, or at once Busy (held) or FileNotFoundError (none)."""
        path = self._dir(user_id, upload_id)
        while True:
            try:
                fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
            except (FileNotFoundError, NotADirectoryError):
                raise FileNotFoundError(upload_id) from None
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    raise Busy(upload_id) from None
                # Removed (and perhaps made again) between open and flock: our lock is on a
                # directory nobody else will look at; start over on the current one.
                try:
                    same = os.path.samestat(os.fstat(fd), os.stat(path))
                except FileNotFoundError:
                    raise FileNotFoundError(upload_id) from None
                if same:
                    yield
                    return
            finally:
                os.close(fd)

    @contextmanager
    def chunk(self, user_id, upload_id, start):
        """A chunk written at `start`: write() blocks, then keep() or drop() them."""
        with open(self._dir(user_id, upload_id) / DATA, "r+b") as f:
            f.truncate(start)  # bytes past the acknowledged offset (a crash mid-chunk)
            f.seek(start)
            yield _FileChunk(f, start)

    def data(self, user_id, upload_id, offset) -> bytes:
        return (self._dir(user_id, upload_id) / DATA).read_bytes()[:offset]

    def forget_after(self, user_id, upload_id, offset) -> None:
        with open(self._dir(user_id, upload_id) / DATA, "r+b") as f:
            f.truncate(offset)

    def drop_data(self, user_id, upload_id) -> None:
        (self._dir(user_id, upload_id) / DATA).unlink(missing_ok=True)

    def prune(self, cutoff) -> int:
        removed = 0
        if not self.root.is_dir():
            return 0
        for user_dir in self.root.iterdir():
            # A user's folder is named by their id (.locks is the object store's, on SQLite).
            if not user_dir.is_dir() or not user_dir.name.isdigit():
                continue
            for entry in user_dir.iterdir():
                if entry.name.startswith("."):
                    if _mtime(entry) < cutoff:
                        shutil.rmtree(entry, ignore_errors=True)
                    continue
                try:
                    with self.locked(user_dir.name, entry.name):
                        if _mtime(entry / STATE, entry) < cutoff:
                            self.discard(user_dir.name, entry.name)
                            removed += 1
                except (Busy, FileNotFoundError):  # being written to right now, or removed
                    continue
        return removed


class _FileChunk:
    def __init__(self, f, start):
        self.f, self.start = f, start

    def write(self, block):
        self.f.write(block)

    def keep(self):
        self.f.flush()
        os.fsync(self.f.fileno())

    def drop(self):
        self.f.truncate(self.start)


class S3Space:
    """Objects under `<prefix>`: `<user id>/<upload id>/state.json` and the chunks as they
    were acknowledged, `<user id>/<upload id>/<start offset, 15 digits>`, joined when the last
    arrives. An object appears whole or not at all, so a crash mid-chunk leaves either no
    chunk or one past the offset, which the next write drops. The lock is the database's
    (app.storage.exclusive), shared by every node."""

    def __init__(self, client, bucket, prefix, lock_dir):
        self.client, self.bucket, self.prefix, self.lock_dir = client, bucket, prefix, lock_dir

    def _key(self, user_id, upload_id, name=""):
        return f"{self.prefix}{int(user_id)}/{upload_id}/{name}"

    def read(self, user_id, upload_id):
        try:
            body = self.client.get_object(
                Bucket=self.bucket, Key=self._key(user_id, upload_id, STATE)
            )
        except ClientError as error:
            if missing(error):
                return None
            raise
        with body["Body"] as stream:
            return json.loads(stream.read())

    def write(self, user_id, upload_id, state) -> None:
        self.client.put_object(
            Bucket=self.bucket,
            Key=self._key(user_id, upload_id, STATE),
            Body=json.dumps(state).encode(),
        )

    def make(self, user_id, upload_id, state) -> bool:
        # Under the lock, "not there yet" holds until the state is written.
        try:
            with exclusive(f"upload:{upload_id}", self.lock_dir):
                if self.read(user_id, upload_id) is not None:
                    return False
                self.write(user_id, upload_id, state)
                return True
        except Busy:
            return False  # a twin request is making it right now

    def discard(self, user_id, upload_id) -> None:
        # The state first: the upload is gone for everyone, its chunks are leftovers.
        self.client.delete_object(Bucket=self.bucket, Key=self._key(user_id, upload_id, STATE))
        self._delete(self._parts(user_id, upload_id))

    def locked(self, user_id, upload_id):
        """The upload's exclusive lock across nodes, or at once Busy; the holder reads the
        state to learn whether the upload exists."""
        return exclusive(f"upload:{upload_id}", self.lock_dir)

    def _parts(self, user_id, upload_id, since=0):
        """The chunks' keys, by start offset, from `since` on."""
        prefix = self._key(user_id, upload_id)
        found = []
        for page in self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix
        ):
            for item in page.get("Contents", ()):
                name = item["Key"][len(prefix) :]
                if name.isdigit() and int(name) >= since:
                    found.append((int(name), item["Key"]))
        return sorted(found)

    def _delete(self, parts):
        for i in range(0, len(parts), 1000):  # DeleteObjects takes 1,000 keys at a time
            self.client.delete_objects(
                Bucket=self.bucket,
                Delete={"Objects": [{"Key": key} for _, key in parts[i : i + 1000]], "Quiet": True},
            )

    @contextmanager
    def chunk(self, user_id, upload_id, start):
        self.forget_after(user_id, upload_id, start)
        yield _ObjectChunk(self, self._key(user_id, upload_id, f"{start:015d}"))

    def data(self, user_id, upload_id, offset) -> bytes:
        joined = bytearray()
        for start, key in self._parts(user_id, upload_id):
            if start >= offset:
                break
            if start != len(joined):
                raise RuntimeError(f"upload {upload_id}: a chunk at {start} after {len(joined)}")
            with self.client.get_object(Bucket=self.bucket, Key=key)["Body"] as stream:
                joined += stream.read()
        return bytes(joined[:offset])

    def forget_after(self, user_id, upload_id, offset) -> None:
        # A chunk that started before `offset` was acknowledged whole, never in part.
        self._delete(self._parts(user_id, upload_id, since=offset))

    def drop_data(self, user_id, upload_id) -> None:
        self._delete(self._parts(user_id, upload_id))

    def prune(self, cutoff) -> int:
        states, chunks = {}, {}
        for page in self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix
        ):
            for item in page.get("Contents", ()):
                parts = item["Key"][len(self.prefix) :].split("/")
                if len(parts) != 3:
                    continue
                upload = (parts[0], parts[1])
                when = item["LastModified"].timestamp()
                if parts[2] == STATE:
                    states[upload] = when
                else:
                    chunks[upload] = max(chunks.get(upload, 0), when)
        removed = 0
        for (user_id, upload_id), when in states.items():
            if when >= cutoff:
                continue
            try:
                with self.locked(user_id, upload_id):
                    self.discard(user_id, upload_id)
                    removed += 1
            except (Busy, FileNotFoundError):
                continue
        for (user_id, upload_id), when in chunks.items():
            # Chunks of no upload: left by a removal that stopped half-way.
            if (user_id, upload_id) not in states and when < cutoff:
                self.drop_data(user_id, upload_id)
        return removed


class _ObjectChunk:
    def __init__(self, space, key):
        self.space, self.key, self.buffer = space, key, io.BytesIO()

    def write(self, block):
        self.buffer.write(block)

    def keep(self):
        if self.buffer.tell():
            self.space.client.put_object(
                Bucket=self.space.bucket, Key=self.key, Body=self.buffer.getvalue()
            )

    def drop(self):
        self.buffer = io.BytesIO()


def _write_state(path: Path, state: dict) -> None:
    fd, tmp = tempfile.mkstemp(dir=path, prefix=f".{STATE}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(state, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path / STATE)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    fsync_dir(path)


def _mtime(path: Path, fallback: Path | None = None) -> float:
    for candidate in (path, fallback):
        if candidate is None:
            continue
        try:
            return candidate.stat().st_mtime
        except FileNotFoundError:
            continue
    return time.time()

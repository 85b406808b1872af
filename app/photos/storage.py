"""Content-addressed photo storage: one small interface, on local disk or in an S3-compatible
object store."""

import abc
import hashlib
import io
import os
import re
import tempfile
from pathlib import Path
from typing import BinaryIO

from botocore.exceptions import ClientError

from app.storage import missing

# fullmatch on an explicit class: `\d` or `$` would let Unicode digits or a trailing newline in.
_SHA256 = re.compile(r"[0-9a-f]{64}")
_KIND = re.compile(r"[a-z0-9_]{1,32}")


def check_sha(sha: str) -> str:
    """Return `sha` if it is 64 lowercase hex digits, else raise ValueError (it becomes a path)."""
    if not isinstance(sha, str) or not _SHA256.fullmatch(sha):
        raise ValueError(f"not a sha256 hex digest: {sha!r}")
    return sha


def _check_kind(kind: str) -> str:
    if not isinstance(kind, str) or not _KIND.fullmatch(kind):
        raise ValueError(f"not a derived kind: {kind!r}")
    return kind


class PhotoStore(abc.ABC):
    """Where photo bytes live, keyed by the sha256 of the uploaded bytes.

    The key is the hash of the original upload, so a phone can name a photo in a command
    before the upload arrives, and a photo uploaded twice is stored once. Derived files
    (the metadata-free copy served back, thumbnails) hang off the same key.
    Missing photos raise FileNotFoundError.
    """

    @abc.abstractmethod
    def put(self, data: bytes) -> str:
        """Store `data` (idempotent) and return its sha256 hex digest."""

    @abc.abstractmethod
    def exists(self, sha: str) -> bool: ...

    @abc.abstractmethod
    def open(self, sha: str) -> BinaryIO:
        """A binary file open for reading; the caller closes it."""

    @abc.abstractmethod
    def path_or_none(self, sha: str) -> Path | None:
        """The photo's local file path, for sendfile, or None when it is not a local file."""

    @abc.abstractmethod
    def delete(self, sha: str) -> None:
        """Remove the photo and its derived files; deleting a missing photo is not an error."""

    @abc.abstractmethod
    def put_derived(self, sha: str, kind: str, data: bytes) -> None:
        """Store a file derived from photo `sha` (e.g. kind "display" or "thumb")."""

    @abc.abstractmethod
    def open_derived(self, sha: str, kind: str) -> BinaryIO: ...


class LocalPhotoStore(PhotoStore):
    """Files under `root/ab/cd/<sha256>`, derived files beside them as `<sha256>.<kind>`.

    Two fan-out levels keep directories small (65,536 of them, a few files each at a
    million photos). Every write goes to a temp file in the target directory, is fsynced
    and then renamed over the final name, so readers and concurrent writers of the same
    content only ever see a complete file, and a crash leaves at most a stray temp file.
    """

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def _path(self, sha: str, kind: str | None = None) -> Path:
        check_sha(sha)
        name = sha if kind is None else f"{sha}.{_check_kind(kind)}"
        return self.root / sha[:2] / sha[2:4] / name

    def put(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        path = self._path(sha)
        # Same name means same content, and files only appear complete: nothing to do.
        if not path.exists():
            _write_atomic(path, data)
        return sha

    def exists(self, sha: str) -> bool:
        return self._path(sha).is_file()

    def open(self, sha: str) -> BinaryIO:
        return open(self._path(sha), "rb")

    def path_or_none(self, sha: str) -> Path | None:
        path = self._path(sha)
        return path if path.is_file() else None

    def delete(self, sha: str) -> None:
        path = self._path(sha)
        # Temp files start with a dot, so this glob leaves in-flight writes alone.
        for derived in path.parent.glob(f"{sha}.*"):
            derived.unlink(missing_ok=True)
        path.unlink(missing_ok=True)

    def put_derived(self, sha: str, kind: str, data: bytes) -> None:
        _write_atomic(self._path(sha, kind), data)

    def open_derived(self, sha: str, kind: str) -> BinaryIO:
        return open(self._path(sha, kind), "rb")


class S3PhotoStore(PhotoStore):
    """Objects `<prefix>ab/cd/<sha256>` in a bucket, derived ones as `<sha256>.<kind>` beside
    them: the local layout, so a district moves between the two by copying files. An object
    appears whole or not at all (a PUT is atomic), so writes need no temp names; every API
    node sees the same photos."""

    def __init__(self, client, bucket: str, prefix: str = ""):
        self.client, self.bucket, self.prefix = client, bucket, prefix

    def _key(self, sha: str, kind: str | None = None) -> str:
        check_sha(sha)
        name = sha if kind is None else f"{sha}.{_check_kind(kind)}"
        return f"{self.prefix}{sha[:2]}/{sha[2:4]}/{name}"

    def put(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        if not self.exists(sha):
            self.client.put_object(Bucket=self.bucket, Key=self._key(sha), Body=data)
        return sha

    def exists(self, sha: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(sha))
        except ClientError as error:
            if missing(error):
                return False
            raise
        return True

    def _get(self, key: str) -> BinaryIO:
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
        except ClientError as error:
            if missing(error):
                raise FileNotFoundError(key) from None
            raise
        # Photos are a few MB at most: read whole, so the caller gets a seekable file.
        with body:
            return io.BytesIO(body.read())

    def open(self, sha: str) -> BinaryIO:
        return self._get(self._key(sha))

    def path_or_none(self, sha: str) -> Path | None:
        return None

    def delete(self, sha: str) -> None:
        listed = self.client.list_objects_v2(Bucket=self.bucket, Prefix=self._key(sha))
        keys = [{"Key": item["Key"]} for item in listed.get("Contents", ())]
        if keys:
            self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": keys, "Quiet": True})

    def put_derived(self, sha: str, kind: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(sha, kind), Body=data)

    def open_derived(self, sha: str, kind: str) -> BinaryIO:
        return self._get(self._key(sha, kind))


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Same directory, so os.replace is a rename on one filesystem and therefore atomic.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    fsync_dir(path.parent)


def fsync_dir(directory: Path) -> None:
    # Makes the rename itself survive a power cut, not only the file's contents.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

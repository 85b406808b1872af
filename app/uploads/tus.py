"""tus 1.0.0 uploads of photos, kept in an upload space until complete, then stored by the
photos service.

One upload per (user, sha256 of the whole photo): its id is derived from both, so creating it
again (a POST whose 201 was lost) finds the same upload. Where its state and bytes wait is a
space (app/uploads/spaces.py): a directory on local disk, or the object store every API node
shares when S3_BUCKET is set.

The offset in the state is the truth: it only moves after the bytes before it are durable,
and every write first drops what lies past it, so a crash mid-chunk loses that chunk and
nothing else. Writers hold the upload's exclusive lock (an flock on one machine, a database
lock across nodes; a second writer gets 423 at once); readers (HEAD) need no lock, as the
state is replaced atomically. The offset reaches the length only together with `complete`,
after the photo is stored: a client that sees offset == length may forget the photo's upload.
"""

import base64
import binascii
import hashlib
import os
import re
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from flask import current_app
from werkzeug.exceptions import ClientDisconnected

from app import storage
from app.errors import ApiError, Conflict, Invalid, NotFound
from app.photos import services as photos
from app.photos.storage import check_sha
from app.uploads.spaces import LocalSpace, S3Space

VERSION = "1.0.0"
EXTENSIONS = ("creation", "creation-with-upload", "termination", "checksum")
CHECKSUMS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256}
CONTENT_TYPE = "application/offset+octet-stream"
EXPIRY_DAYS = 7
CHECKSUM_MISMATCH = 460  # tus's own status for a chunk that does not match Upload-Checksum

_ID = re.compile(r"[0-9a-f]{32}")
_UINT = re.compile(r"[0-9]{1,15}")
_METADATA_KEY = re.compile(r"[!-~]+")  # printable ASCII, no space (commas are split off)
_BLOCK = 64 * 1024


@dataclass
class Upload:
    id: str
    user_id: int
    state: dict

    @property
    def offset(self) -> int:
        return self.state["offset"]

    @property
    def length(self) -> int:
        return self.state["length"]

    @property
    def complete(self) -> bool:
        return self.state["complete"]

    @property
    def metadata(self) -> str:
        return self.state["metadata"]


def max_bytes() -> int:
    return current_app.config["PHOTO_MAX_BYTES"]


def server_headers() -> dict:
    """What OPTIONS tells a client about this server."""
    return {
        "Tus-Version": VERSION,
        "Tus-Extension": ",".join(EXTENSIONS),
        "Tus-Max-Size": str(max_bytes()),
        "Tus-Checksum-Algorithm": ",".join(CHECKSUMS),
    }


def upload_id(user_id: int, sha: str) -> str:
    """The one upload a user has for a photo: the same POST twice finds the same upload."""
    return hashlib.sha256(f"gridlink-upload:{int(user_id)}:{sha}".encode()).hexdigest()[:32]


# -- requests ---------------------------------------------------------------------------------


def create(user, length_header, metadata_header, defer_header=None) -> Upload:
    """The upload of the photo declared by Upload-Length and Upload-Metadata (sha256),
    made if it does not exist yet. A photo this user uploaded before is an upload born
    complete (offset == length): there is nothing to send. One that only others uploaded
    is a new upload like any other: what others sent is not for this user to learn, and
    whoever has a photo proves it by sending it."""
    if defer_header is not None:
        raise _bad_header("Upload-Defer-Length", "Deferred lengths are not supported.")
    length = _uint("Upload-Length", length_header)
    if length > max_bytes():
        raise ApiError(
            f"The photo is {length} bytes, the limit is {max_bytes()}.",
            status=413,
            code="too_large",
            fields={"Upload-Length": [f"At most {max_bytes()} bytes."]},
            headers={"Tus-Max-Size": str(max_bytes())},
        )
    if length == 0:
        raise ApiError(
            "An empty file is not an image.",
            status=415,
            code="not_an_image",
            fields={"Upload-Length": ["An empty file is not an image."]},
        )
    metadata = parse_metadata(metadata_header)
    sha = metadata.get("sha256")
    try:
        check_sha(sha)
    except ValueError:
        problem = "Missing." if sha is None else "Not a sha256 (64 lowercase hex digits)."
        raise Invalid(
            "Upload-Metadata must carry the photo's sha256.", fields={"sha256": [problem]}
        ) from None
    space, uid = _space(), upload_id(user.id, sha)
    for _ in range(3):
        state = space.read(user.id, uid)
        if state is None:
            photo = photos.held(user, sha)
            if photo is not None and photo.size != length:
                raise _length_mismatch(photo.size, length)
            state = {
                "user_id": user.id,
                "sha256": sha,
                "length": length,
                "offset": 0 if photo is None else length,
                "complete": photo is not None,
                "metadata": metadata_header or "",
                "created_at": time.time(),
            }
            if space.make(user.id, uid, state):
                return Upload(uid, user.id, state)
            continue  # made by a twin request a moment ago: take that one
        if state["length"] != length:
            raise _length_mismatch(state["length"], length)
        return _seen(user, Upload(uid, user.id, state))
    raise _locked_error()  # made and removed under our feet three times: let the client retry


def get(user, upload_id) -> Upload:
    """An upload of the user's, as HEAD shows it."""
    state = _space().read(user.id, _checked(upload_id))
    if state is None:
        raise _missing()
    return _seen(user, Upload(upload_id, user.id, state))


def append(user, upload_id, offset, checksum_header, stream, content_length) -> Upload:
    """Write one chunk at `offset` (which must be the upload's offset); on the last byte,
    check the whole file's sha256 and store the photo."""
    checksum = parse_checksum(checksum_header)
    space = _space()
    with _locked(space, user, upload_id):
        state = space.read(user.id, upload_id)
        if state is None:
            raise _missing()
        upload = Upload(upload_id, user.id, state)
        if offset != upload.offset:
            raise Conflict(
                f"The upload is at offset {upload.offset}, not {offset}: "
                "ask with HEAD and go on from there.",
                code="offset_mismatch",
                headers={"Upload-Offset": str(upload.offset)},
            )
        if upload.complete:
            return upload  # an empty PATCH at the end: nothing to take
        if photos.held(user, state["sha256"]) is not None:
            # This user's photo is stored (sent by POST /api/photos meanwhile, or by this
            # upload before a crash): nothing left to do.
            _finish(upload)
            return upload
        remaining = upload.length - offset
        if content_length is not None and content_length > remaining:
            raise _past_the_end(remaining)
        received = _receive(upload, stream, remaining, checksum)
        if offset + received < upload.length:
            state["offset"] = offset + received
            space.write(user.id, upload_id, state)
            return upload
        _complete(user, upload)
        return upload


def terminate(user, upload_id) -> None:
    """Remove an upload and its bytes (tus termination); a stored photo stays."""
    space = _space()
    with _locked(space, user, upload_id):
        if space.read(user.id, upload_id) is None:
            raise _missing()
        space.discard(user.id, upload_id)


def prune(days=EXPIRY_DAYS, now=None) -> int:
    """Remove uploads untouched for `days` (partial ones and the markers of finished ones),
    and the leftovers of interrupted creations and removals. Returns how many uploads went."""
    return _space().prune((time.time() if now is None else now) - days * 86400)


# -- headers ----------------------------------------------------------------------------------


def parse_offset(header) -> int:
    return _uint("Upload-Offset", header)


def require_content_type(mimetype) -> None:
    if mimetype != CONTENT_TYPE:
        raise ApiError(
            f"Chunks are sent as Content-Type: {CONTENT_TYPE}.",
            status=415,
            code="unsupported_media_type",
        )


def parse_metadata(header) -> dict:
    """Upload-Metadata: `key base64value` pairs separated by commas (the value may be absent)."""
    found = {}
    if not header or not header.strip():
        return found
    for pair in header.split(","):
        parts = pair.strip().split(" ")
        key = parts[0]
        if len(parts) > 2 or not _METADATA_KEY.fullmatch(key) or key in found:
            raise _bad_header("Upload-Metadata", f"Not a tus metadata pair: {pair.strip()!r}.")
        try:
            value = base64.b64decode(parts[1], validate=True) if len(parts) == 2 else b""
            found[key] = value.decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise _bad_header(
                "Upload-Metadata", f"The value of {key!r} is not base64 of UTF-8 text."
            ) from None
    return found


def parse_checksum(header):
    """Upload-Checksum: `<algorithm> <base64 digest>` -> (algorithm, digest bytes) or None."""
    if header is None:
        return None
    parts = header.strip().split(" ")
    if len(parts) != 2 or parts[0] not in CHECKSUMS:
        raise _bad_header(
            "Upload-Checksum",
            "Send '<algorithm> <base64 digest>' with an algorithm of " + ", ".join(CHECKSUMS) + ".",
        )
    algorithm, encoded = parts
    try:
        digest = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        digest = None
    if digest is None or len(digest) != CHECKSUMS[algorithm]().digest_size:
        raise _bad_header("Upload-Checksum", f"Not a base64 {algorithm} digest.")
    return algorithm, digest


# -- the work ---------------------------------------------------------------------------------


def _receive(upload, stream, remaining, checksum) -> int:
    """Append the request body at the upload's offset; the number of bytes kept."""
    start = upload.offset
    digest = CHECKSUMS[checksum[0]]() if checksum else None
    received = 0
    space = _space()
    with space.chunk(upload.user_id, upload.id, start) as chunk:
        try:
            while True:
                block = stream.read(min(_BLOCK, remaining - received + 1))
                if not block:
                    break
                received += len(block)
                if received > remaining:
                    raise _past_the_end(remaining)
                if digest is not None:
                    digest.update(block)
                chunk.write(block)
            if digest is not None and digest.digest() != checksum[1]:
                raise ApiError(
                    f"The chunk does not match its Upload-Checksum ({checksum[0]}): "
                    "it was not kept; send it again.",
                    status=CHECKSUM_MISMATCH,
                    code="checksum_mismatch",
                    headers={"Upload-Offset": str(start)},
                )
        except ClientDisconnected:
            if digest is not None:  # a chunk that cannot be checked is not kept
                chunk.drop()
                raise
            # tus: keep what arrived, so the client resumes from there (HEAD tells it).
            chunk.keep()
            upload.state["offset"] = start + received
            space.write(upload.user_id, upload.id, upload.state)
            raise
        except BaseException:
            chunk.drop()
            raise
        chunk.keep()
    return received


def _complete(user, upload) -> None:
    """All bytes are in: check them against the declared sha256 and store the photo."""
    space = _space()
    data = space.data(upload.user_id, upload.id, upload.length)
    if hashlib.sha256(data).hexdigest() != upload.state["sha256"]:
        space.discard(upload.user_id, upload.id)
        raise ApiError(
            "The file's sha256 is not the one declared in Upload-Metadata: "
            "the upload was discarded; create it again.",
            status=CHECKSUM_MISMATCH,
            code="sha256_mismatch",
        )
    try:
        photos.upload(user, data)
    except ApiError:  # not a photo we keep (not an image, corrupt, ...): nothing is stored
        space.discard(upload.user_id, upload.id)
        raise
    except BaseException:
        # Something failed on our side: forget the last chunk, so the client sends it again
        # and the photo is stored then (the offset never says "done" before it is).
        space.forget_after(upload.user_id, upload.id, upload.offset)
        raise
    _finish(upload)


def _finish(upload) -> None:
    upload.state.update(offset=upload.length, complete=True)
    space = _space()
    space.write(upload.user_id, upload.id, upload.state)
    space.drop_data(upload.user_id, upload.id)


def _seen(user, upload) -> Upload:
    """The upload as a client should see it: done once the user's photo is stored, by this
    upload or another of theirs (the bytes left behind go at the next PATCH, DELETE or
    prune)."""
    if upload.complete or photos.held(user, upload.state["sha256"]) is None:
        return upload
    return Upload(
        upload.id, upload.user_id, dict(upload.state, offset=upload.length, complete=True)
    )


# -- the space ----------------------------------------------------------------------------------


def _space():
    config = current_app.config
    root = config["UPLOAD_ROOT"]
    bucket = storage.s3_bucket()
    if bucket:
        return S3Space(
            storage.s3_client(),
            bucket,
            config["S3_PREFIX"] + "uploads/",
            lock_dir=os.path.join(root, ".locks"),
        )
    return LocalSpace(root)


def _checked(upload_id) -> str:
    # Uploads live under their owner's name: another user's id is simply not there.
    if not isinstance(upload_id, str) or not _ID.fullmatch(upload_id):
        raise _missing()
    return upload_id


@contextmanager
def _locked(space, user, upload_id):
    """Hold the upload's exclusive lock, or fail at once: 423 if another request holds it,
    404 if the upload does not exist."""
    with ExitStack() as held:
        try:
            held.enter_context(space.locked(user.id, _checked(upload_id)))
        except storage.Busy:
            raise _locked_error() from None
        except FileNotFoundError:
            raise _missing() from None
        yield


# -- errors -----------------------------------------------------------------------------------


def _missing() -> NotFound:
    return NotFound("No such upload: it was finished long ago, removed, or never made.")


def _locked_error() -> ApiError:
    return ApiError(
        "Another request is writing to this upload; retry in a moment.", status=423, code="locked"
    )


def _bad_header(name, problem) -> ApiError:
    return ApiError(problem, status=400, code="invalid_header", fields={name: [problem]})


def _uint(name, value) -> int:
    if value is None or not _UINT.fullmatch(value.strip()):
        raise _bad_header(name, "Missing or not a non-negative integer.")
    return int(value)


def _length_mismatch(known, declared) -> ApiError:
    return Conflict(
        f"This photo is {known} bytes, not {declared}: the same sha256 cannot have two lengths.",
        code="length_mismatch",
        fields={"Upload-Length": [f"The photo with this sha256 is {known} bytes."]},
    )


def _past_the_end(remaining) -> ApiError:
    return ApiError(
        f"The chunk goes past the declared Upload-Length: {remaining} bytes are left.",
        status=413,
        code="payload_too_large",
    )

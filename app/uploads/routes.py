"""tus 1.0.0 endpoints for photos (core, creation, creation-with-upload, termination, checksum).

The answers and the rules a phone follows are in docs/uploads.md. Errors keep
the project's JSON shape and carry Tus-Resumable like every answer here.
"""

import click
from flask import request, url_for
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint

from app.errors import ApiError
from app.uploads import tus

blp = Blueprint(
    "uploads",
    __name__,
    url_prefix="/api/uploads",
    cli_group="uploads",
    description="Resumable photo uploads (tus 1.0.0): OPTIONS, POST, HEAD, PATCH, DELETE.",
)


@blp.before_request
def require_tus_version():
    if request.method != "OPTIONS" and request.headers.get("Tus-Resumable") != tus.VERSION:
        raise ApiError(
            f"Send Tus-Resumable: {tus.VERSION} (the only version this server speaks).",
            status=412,
            code="unsupported_tus_version",
            headers={"Tus-Version": tus.VERSION},
        )


@blp.after_request
def tus_headers(response):
    response.headers["Tus-Resumable"] = tus.VERSION
    # tus answers carry no body, so no type: Flask's default text/html would claim one.
    if response.mimetype == "text/html" and not response.content_length:
        del response.headers["Content-Type"]
    if request.method in ("POST", "PATCH"):
        _drain()
    return response


def _drain():
    # An answer given before the body is read (409, 412, an already stored photo) must not
    # be lost to a connection reset: read the rest of the body (MAX_CONTENT_LENGTH bounds it).
    try:
        while request.stream.read(64 * 1024):
            pass
    except Exception:  # the client went away, or the body was too large to read at all
        pass


def _upload_headers(upload):
    return {
        "Upload-Offset": str(upload.offset),
        "Upload-Length": str(upload.length),
        "Cache-Control": "no-store",
    }


@blp.route("", endpoint="uploads")
class Uploads(MethodView):
    @blp.alt_response(204, description="Tus-Version, Tus-Extension, Tus-Max-Size", success=True)
    def options(self):
        """The server's tus capabilities: version, extensions, size limit, checksums."""
        return "", 204, tus.server_headers()

    @blp.alt_response(201, description="Location, Upload-Offset", success=True)
    def post(self):
        """Create the upload of one photo, or find it again: the id comes from (you, sha256).

        Headers: `Upload-Length`, `Upload-Metadata` with `sha256` (base64 of its 64 hex
        digits), optionally `filename` and `filetype`. Always 201 with `Location` and
        `Upload-Offset`: where the upload stands. `Upload-Offset` equal to `Upload-Length`
        means the server has the photo already. A body of type
        application/offset+octet-stream is the first chunk (creation-with-upload).
        """
        upload = tus.create(
            current_user,
            request.headers.get("Upload-Length"),
            request.headers.get("Upload-Metadata"),
            request.headers.get("Upload-Defer-Length"),
        )
        if request.mimetype == tus.CONTENT_TYPE and upload.offset == 0 and not upload.complete:
            upload = tus.append(
                current_user,
                upload.id,
                0,
                request.headers.get("Upload-Checksum"),
                request.stream,
                request.content_length,
            )
        headers = _upload_headers(upload)
        headers["Location"] = url_for(".upload", upload_id=upload.id)
        return "", 201, headers


@blp.route("/<upload_id>", endpoint="upload")
class UploadResource(MethodView):
    @blp.alt_response(200, description="Upload-Offset, Upload-Length", success=True)
    def head(self, upload_id):
        """Where the upload stands: `Upload-Offset` (`Upload-Length` once the photo is stored)."""
        upload = tus.get(current_user, upload_id)
        headers = _upload_headers(upload)
        if upload.metadata:
            headers["Upload-Metadata"] = upload.metadata
        return "", 200, headers

    @blp.alt_response(204, description="Upload-Offset", success=True)
    def patch(self, upload_id):
        """Append a chunk at `Upload-Offset` (409 if it is not the upload's offset);
        `Upload-Checksum: sha1|sha256 <base64>` is checked (460). The last chunk stores the
        photo after checking the whole file's sha256 (460 `sha256_mismatch` discards it)."""
        tus.require_content_type(request.mimetype)
        upload = tus.append(
            current_user,
            upload_id,
            tus.parse_offset(request.headers.get("Upload-Offset")),
            request.headers.get("Upload-Checksum"),
            request.stream,
            request.content_length,
        )
        return "", 204, {"Upload-Offset": str(upload.offset)}

    @blp.alt_response(204, description="dropped", success=True)
    def delete(self, upload_id):
        """Drop the upload and its bytes (a stored photo stays)."""
        tus.terminate(current_user, upload_id)
        return "", 204


@blp.cli.command("prune")
@click.option("--days", type=int, default=tus.EXPIRY_DAYS, show_default=True)
def prune_command(days):
    """Remove uploads untouched for DAYS days (run it daily)."""
    removed = tus.prune(days)
    click.echo(f"Removed {removed} upload(s) untouched for {days} days.")

"""Photo upload and the served (metadata-free) copies."""

from flask import send_file
from flask_login import current_user
from flask_smorest import Blueprint

from app.photos import services
from app.photos.schemas import PhotoOut, UploadForm

blp = Blueprint("photos", __name__, url_prefix="/api/photos", description="Photos")


@blp.post("")
@blp.arguments(UploadForm, location="files")
@blp.response(201, PhotoOut)
def upload(form):
    """Upload a photo as multipart `file`; checked by content, stored once by sha256. The
    same answer whether or not anyone sent these bytes before."""
    return services.upload(current_user, form["file"].read())


@blp.get("/<sha>")
def display(sha):
    """The photo as served: upright, re-encoded, with no EXIF or GPS."""
    return _send(sha, services.DISPLAY)


@blp.get("/<sha>/thumb")
def thumb(sha):
    """A small JPEG for lists."""
    return _send(sha, services.THUMB)


def _send(sha, variant):
    stream, mime = services.open_for(current_user, sha, variant)
    response = send_file(stream, mimetype=mime, etag=sha + variant, max_age=86400)
    response.headers["Cache-Control"] = "private, max-age=86400, immutable"
    return response

"""The residents' public page over HTTP (/api/public, no account), and the 12345 hotline's
calls and the figures per source: thin wrappers around app.residents. The device's token
comes in X-Device, the private link's secret in X-Track (never in a URL, so that no log
keeps it)."""

from datetime import timedelta

from flask import request, send_file
from flask_login import current_user
from flask_smorest import Blueprint

from app import clock
from app.incidents import services as incidents
from app.incidents.schemas import IncidentOut
from app.photos.schemas import UploadForm
from app.residents import hotline, services
from app.residents.schemas import (
    HotlineCallIn,
    PublicCaseOut,
    PublicNearbyOut,
    ResidentCategoryOut,
    ResidentCommentIn,
    ResidentNearbyArgs,
    ResidentPhotoOut,
    ResidentReportedOut,
    ResidentReportIn,
    ResidentVerdictIn,
    SourceFiguresArgs,
    SourceFiguresOut,
    TrackedCaseOut,
)

blp = Blueprint(
    "residents", __name__, url_prefix="/api/public", description="Residents' reports (随手拍)"
)


def _device():
    return services.device_of(request.headers.get("X-Device")), request.remote_addr or ""


@blp.get("/categories")
@blp.response(200, ResidentCategoryOut(many=True))
def categories():
    """What the district opens to residents' reports."""
    return services.categories()


@blp.get("/nearby")
@blp.arguments(ResidentNearbyArgs(), location="query")
@blp.response(200, PublicNearbyOut(many=True))
def nearby(args):
    """Open cases of the category nearby: offered for 附议 before a new report."""
    return services.nearby(args["category"], args["lat"], args["lng"])


@blp.post("/cases/<incident_id>/second")
@blp.response(200, PublicCaseOut)
def second(incident_id):
    """附议: the same problem, seen by one more resident (once per device)."""
    return services.second(*_device(), incident_id)


@blp.post("/photos")
@blp.arguments(UploadForm, location="files")
@blp.response(201, ResidentPhotoOut)
def upload(form):
    """A photo for a report (multipart `file`): content-checked, served without EXIF."""
    return services.upload(*_device(), form["file"].read())


@blp.get("/photos/<token>")
def photo(token):
    """A handling photo of a closed case, by the link its public view gives (where the
    category allows): without EXIF."""
    stream, mime = services.photo(token)
    response = send_file(stream, mimetype=mime, etag=token, max_age=3600)
    # Public, but not for ever: a link stops working when its case reopens.
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@blp.post("/reports")
@blp.arguments(ResidentReportIn())
@blp.response(201, ResidentReportedOut)
def report(body):
    """Report a problem: a tracking number, and the private link's secret (this once)."""
    return services.report(*_device(), body)


@blp.get("/track")
@blp.response(200, TrackedCaseOut)
def track():
    """The case of the private link (its secret in X-Track): state and public timeline."""
    return services.track(request.headers.get("X-Track"))


@blp.post("/track/comments")
@blp.arguments(ResidentCommentIn())
@blp.response(200, TrackedCaseOut)
def comment(body):
    return services.comment(*_device(), request.headers.get("X-Track"), body["text"])


@blp.post("/track/verdict")
@blp.arguments(ResidentVerdictIn())
@blp.response(200, TrackedCaseOut)
def verdict(body):
    """满意 / 基本满意 / 不满意 once the case is closed: its 回访."""
    return services.verdict(request.headers.get("X-Track"), body["verdict"], body["note"])


hotline_blp = Blueprint("hotline", __name__, url_prefix="/api", description="12345 hotline")


@hotline_blp.post("/hotline/calls")
@hotline_blp.arguments(HotlineCallIn())
@hotline_blp.response(201, IncidentOut)
def file_call(body):
    """File a caller's case (source hotline_12345), with their number for the 回访."""
    return incidents.present_reported(current_user, hotline.file(current_user, body))


@hotline_blp.get("/figures/sources")
@hotline_blp.arguments(SourceFiguresArgs(), location="query")
@hotline_blp.response(200, SourceFiguresOut(many=True))
def source_figures(args):
    """Per source (来源), the cases reported in the period in my area and how they went."""
    end = args["end"] or clock.now()
    start = args["start"] or end - timedelta(days=30)
    return hotline.figures(current_user, start, end)

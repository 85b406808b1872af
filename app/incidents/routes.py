"""Incidents over HTTP: thin wrappers around app.incidents.services."""

from flask_login import current_user
from flask_smorest import Blueprint

from app.incidents import services
from app.incidents.schemas import (
    CheckIn,
    DispatchIn,
    ExtendIn,
    HandleIn,
    IncidentDetail,
    IncidentOut,
    IncidentQuery,
    MergeIn,
    NoteIn,
    RateIn,
    ReasonIn,
    ReportIn,
    SimilarArgs,
    SimilarOut,
    StartIn,
    WhistleIn,
    WhistleOut,
    WhistleStepIn,
)
from app.transaction import reads_only

blp = Blueprint("incidents", __name__, url_prefix="/api", description="Incidents (事件)")


def _detail(incident):
    return services.present(current_user, [incident], detail=True)[0]


def _point(body):
    return (
        (body["lat"], body["lng"])
        if body.get("lat") is not None and body.get("lng") is not None
        else None
    )


@blp.post("/incidents")
@blp.arguments(ReportIn())
@blp.response(201, IncidentOut)
@blp.alt_response(200, schema=IncidentOut, description="the same id again: the original")
def report(body):
    """Report an incident. The server places it in its grid from the point."""
    user = current_user._get_current_object()  # not the proxy, read at every turn
    reported = services.report(user, body, shown=True)
    return services.present_reported(user, reported), 201 if reported.created else 200


@blp.get("/incidents")
@reads_only
@blp.arguments(IncidentQuery(), location="query")
@blp.response(200, IncidentOut(many=True))
def listing(filters):
    """Incidents I may see, soonest deadline first."""
    return services.present(current_user, services.listing(current_user, filters))


@blp.get("/incidents/similar")
@blp.arguments(SimilarArgs(), location="query")
@blp.response(200, SimilarOut(many=True))
def similar(args):
    """Likely duplicates: open, same category, within 250 m, last 7 days, nearest first."""
    found = services.similar(current_user, args["category"], args["lat"], args["lng"])
    shown = services.present(current_user, [incident for _, incident in found])
    return [
        {"distance_m": round(d, 1), "incident": i} for (d, _), i in zip(found, shown, strict=True)
    ]


@blp.get("/incidents/<incident_id>")
@reads_only
@blp.response(200, IncidentDetail)
def detail(incident_id):
    return _detail(services.get_visible(current_user, incident_id))


@blp.post("/incidents/<incident_id>/me-too")
@blp.response(200, IncidentDetail)
def me_too(incident_id):
    """附议: I see the same problem."""
    return _detail(services.me_too(current_user, incident_id))


@blp.post("/incidents/<incident_id>/accept")
@blp.arguments(NoteIn())
@blp.response(200, IncidentDetail)
def accept(body, incident_id):
    """立案."""
    return _detail(services.accept(current_user, incident_id, body["note"]))


@blp.post("/incidents/<incident_id>/reject")
@blp.arguments(ReasonIn())
@blp.response(200, IncidentDetail)
def reject(body, incident_id):
    return _detail(services.reject(current_user, incident_id, body["reason"]))


@blp.post("/incidents/<incident_id>/merge")
@blp.arguments(MergeIn())
@blp.response(200, IncidentDetail)
def merge(body, incident_id):
    """A duplicate: merged into another open incident."""
    return _detail(services.merge(current_user, incident_id, body["into"], body["note"]))


@blp.post("/incidents/<incident_id>/dispatch")
@blp.arguments(DispatchIn())
@blp.response(200, IncidentDetail)
def dispatch(body, incident_id):
    """派遣 to a member serving the grid, optionally with a deadline other than the catalogue's."""
    return _detail(
        services.dispatch(
            current_user, incident_id, body["assignee_id"], body["deadline"], body["note"]
        )
    )


@blp.post("/incidents/<incident_id>/start")
@blp.arguments(StartIn())
@blp.response(200, IncidentDetail)
def start(body, incident_id):
    return _detail(services.start(current_user, incident_id, body["device_time"], _point(body)))


@blp.post("/incidents/<incident_id>/return")
@blp.arguments(ReasonIn())
@blp.response(200, IncidentDetail)
def give_back(body, incident_id):
    """回退: the member hands the case back to be dispatched again."""
    return _detail(services.give_back(current_user, incident_id, body["reason"]))


@blp.post("/incidents/<incident_id>/handle")
@blp.arguments(HandleIn())
@blp.response(200, IncidentDetail)
def handle(body, incident_id):
    """处置 done, with an after photo."""
    return _detail(
        services.handle(
            current_user,
            incident_id,
            body["note"],
            body["photos"],
            body["device_time"],
            _point(body),
        )
    )


@blp.post("/incidents/<incident_id>/check")
@blp.arguments(CheckIn())
@blp.response(200, IncidentDetail)
def check(body, incident_id):
    """核查: pass closes the case; fail sends it back for rework with a reason."""
    return _detail(
        services.check(
            current_user, incident_id, body["passed"], body["reason"], body["photos"], _point(body)
        )
    )


@blp.post("/incidents/<incident_id>/extend")
@blp.arguments(ExtendIn())
@blp.response(200, IncidentDetail)
def extend(body, incident_id):
    """延期 before the deadline passes."""
    return _detail(services.extend(current_user, incident_id, body["deadline"], body["reason"]))


@blp.post("/incidents/<incident_id>/supervise")
@blp.arguments(NoteIn())
@blp.response(200, IncidentDetail)
def supervise(body, incident_id):
    """督办."""
    return _detail(services.supervise(current_user, incident_id, body["note"]))


@blp.post("/incidents/<incident_id>/escalate")
@blp.arguments(NoteIn())
@blp.response(200, IncidentDetail)
def escalate(body, incident_id):
    """Raise to the street what the community cannot solve."""
    return _detail(services.escalate(current_user, incident_id, body["note"]))


@blp.post("/incidents/<incident_id>/whistle")
@blp.arguments(WhistleIn())
@blp.response(201, WhistleOut(many=True))
def whistle(body, incident_id):
    """吹哨: call departments, each to report within `minutes` (default 30)."""
    return services.whistle(
        current_user, incident_id, body["departments"], body["minutes"], body["note"]
    )


@blp.post("/whistles/<int:whistle_id>/<any(report, arrive, done):step>")
@blp.arguments(WhistleStepIn())
@blp.response(200, WhistleOut)
def whistle_step(body, whistle_id, step):
    """报到, arrival, outcome: the called department's answers."""
    return services.whistle_step(current_user, whistle_id, step, body["note"], _point(body))


@blp.post("/whistles/<int:whistle_id>/rate")
@blp.arguments(RateIn())
@blp.response(200, WhistleOut)
def rate(body, whistle_id):
    """The street rates a department's response (1-5)."""
    return services.rate_whistle(current_user, whistle_id, body["rating"], body["note"])

"""Emergency mode and roll-calls over HTTP: thin wrappers around the services."""

from flask import Response, request
from flask_login import current_user
from flask_smorest import Blueprint

from app.catalogue import services as reference
from app.emergency import live as board
from app.emergency import rollcalls, services
from app.emergency.models import ACTIVE
from app.emergency.schemas import (
    AckIn,
    AckOut,
    Candidate,
    CandidateQuery,
    DecideIn,
    FiguresOut,
    FiguresQuery,
    LevelIn,
    LiveOut,
    ModesOut,
    ReinforceIn,
    ReissueOut,
    RollCallIn,
    RollCallOut,
    SilentOut,
    SilentQuery,
    SwitchIn,
    SwitchOut,
    SwitchQuery,
    TemplatesIn,
    TemplatesOut,
)
from app.incidents.schemas import NoteIn
from app.transaction import reads_only

blp = Blueprint(
    "emergency", __name__, url_prefix="/api/emergency", description="平急结合: emergency mode"
)
calls = Blueprint("rollcalls", __name__, url_prefix="/api/rollcalls", description="叫应 roll-calls")


def _switch(item):
    return services.present(current_user, [item])[0]


@blp.get("/modes")
@blp.response(200, ModesOut)
def modes():
    """Every grid's effective mode (the most severe active switch over it), for the map."""
    return {"grids": services.modes()}


@blp.get("/switches")
@blp.arguments(SwitchQuery, location="query")
@blp.response(200, SwitchOut(many=True))
def switches(query):
    """Switches over the caller's area; active ones unless `state` says otherwise."""
    found = services.listing(current_user, query.get("state") or (ACTIVE,))
    return services.present(current_user, found)


@blp.post("/switches")
@blp.arguments(SwitchIn)
@blp.response(201, SwitchOut)
@blp.alt_response(200, schema=SwitchOut, description="the same id again: the original")
def switch(body):
    """Switch an area to emergency mode (a secretary's switch is a request to the street).
    Starting instantiates the kind's task template in every grid and calls the roll."""
    item, created = services.switch(current_user, body)
    return _switch(item), 201 if created else 200


@blp.get("/switches/<switch_id>")
@blp.response(200, SwitchOut)
def detail(switch_id):
    return _switch(services.get_visible(current_user, switch_id))


@blp.post("/switches/<switch_id>/decide")
@blp.arguments(DecideIn)
@blp.response(200, SwitchOut)
def decide(body, switch_id):
    """The street approves (starting it) or refuses a secretary's request."""
    item = services.decide(current_user, switch_id, body["approve"], body["note"], body)
    return _switch(item)


@blp.post("/switches/<switch_id>/level")
@blp.arguments(LevelIn)
@blp.response(200, SwitchOut)
def level(body, switch_id):
    return _switch(services.change_level(current_user, switch_id, body["level"], body["note"]))


@blp.post("/switches/<switch_id>/end")
@blp.arguments(NoteIn)
@blp.response(200, SwitchOut)
def end(body, switch_id):
    """End it: open emergency tasks are cancelled, roll-calls close, reinforcements leave."""
    return _switch(services.end(current_user, switch_id, body["note"]))


@blp.post("/switches/<switch_id>/reinforce")
@blp.arguments(ReinforceIn)
@blp.response(200, SwitchOut)
def reinforce(body, switch_id):
    """Send a member to serve a grid of the switch while it lasts."""
    item = services.reinforce(current_user, switch_id, body["user_id"], body["grid"])
    return _switch(item)


@blp.get("/switches/<switch_id>/candidates")
@blp.arguments(CandidateQuery, location="query")
@blp.response(200, Candidate(many=True))
def candidates(query, switch_id):
    """Members who may be sent to reinforce the switch's grids (for /reinforce)."""
    return services.candidates(current_user, switch_id, query.get("q"), query.get("force"))


@blp.get("/live")
@reads_only
@blp.response(200, LiveOut, headers={"ETag": {"description": "send it as If-None-Match"}})
@blp.alt_response(304, description="nothing changed since the poll that had this ETag")
def live():
    """The leaders' live view, polled every `poll_after_s` seconds: figures per street,
    community and grid (names come from /api/rollcalls/<id>/silent). The figures are read at
    most every few seconds and shared by the leaders of an area; `at` says when."""
    body, tag = board.view(current_user)  # written as LiveOut describes it (app/emergency/live.py)
    headers = {"ETag": f'"{tag}"', "Cache-Control": "private, no-cache"}
    # The tag as the client has it: compressed answers carry it with the encoding (":gzip").
    sent = {value.split(":")[0] for value in request.if_none_match.as_set()}
    if tag in sent:
        return Response(status=304, headers=headers)
    return Response(body, 200, headers, mimetype="application/json")


@blp.get("/templates")
@blp.response(200, TemplatesOut)
def templates():
    """The task templates per kind, with their time limits per level."""
    version, data = reference.document(services.TEMPLATES)
    return {"version": version, "data": data}


@blp.put("/templates")
@blp.arguments(TemplatesIn)
@blp.response(200, TemplatesOut)
def replace_templates(body):
    version = services.replace_templates(body["data"], current_user)
    return {"version": version, "data": body["data"]}


def _call(item):
    return rollcalls.present(current_user, [item])[0]


@calls.post("")
@calls.arguments(RollCallIn)
@calls.response(201, RollCallOut)
def call(body):
    """Call the roll on demand over an area."""
    return _call(rollcalls.call_on_demand(current_user, body))


@calls.get("/<call_id>")
@calls.response(200, RollCallOut)
def roll_call(call_id):
    return _call(rollcalls.get_visible(current_user, call_id))


@calls.post("/<call_id>/ack")
@calls.arguments(AckIn)
@calls.response(200, AckOut)
def acknowledge(body, call_id):
    """Acknowledge (叫应); again is harmless and counts once."""
    return rollcalls.acknowledge(current_user, call_id, body["device_time"])


@calls.post("/<call_id>/reissue")
@calls.response(200, ReissueOut)
def reissue(call_id):
    """Ask again those still outstanding in the caller's area."""
    return {"asked": rollcalls.reissue(current_user, call_id)}


@calls.get("/<call_id>/figures")
@calls.arguments(FiguresQuery, location="query")
@calls.response(200, FiguresOut)
def figures(query, call_id):
    """Asked, acknowledged, outstanding per grid, community or street, with who is silent."""
    return rollcalls.figures(current_user, call_id, query["level"])


@calls.get("/<call_id>/silent")
@calls.arguments(SilentQuery, location="query")
@calls.response(200, SilentOut)
def silent(query, call_id):
    """Who is still silent in a unit, a page at a time, grouped by grid with who answers for
    each group."""
    return board.silent(current_user, call_id, query.get("unit"), query["page"], query["limit"])

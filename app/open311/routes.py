"""The Open311 GeoReport v2 gateway over HTTP (/open311/v2/, docs/open311.md): each call in
.json and .xml. Reads are public; a POST needs an api_key. The keys themselves are managed
under /api/open311/clients by a district admin."""

from datetime import datetime

from flask import Blueprint, current_app, request, url_for
from flask_login import current_user
from flask_smorest import Blueprint as ApiBlueprint
from werkzeug.exceptions import HTTPException

from app import clock
from app.errors import ApiError
from app.extensions import csrf
from app.open311 import services
from app.open311.formats import errors, respond
from app.open311.schemas import ClientIn, ClientOut, IssuedOut
from app.residents import public

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")
csrf.exempt(bp)  # other systems post with a key, not a browser session
FMT = "<any(json, xml):fmt>"
CHANGESET = "2026-12-02T00:00:00+08:00"  # when what this gateway supports last changed
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"


@bp.errorhandler(ApiError)
def _refused(error):
    fmt = (request.view_args or {}).get("fmt", "json")
    response = errors(fmt, error.status, error.message)
    response.headers.update(error.headers)
    return response


@bp.errorhandler(HTTPException)
def _http(error):
    return errors((request.view_args or {}).get("fmt", "json"), error.code, error.description)


@bp.get(f"/discovery.{FMT}")
def discovery(fmt):
    return respond(
        fmt,
        "discovery",
        {
            "changeset": CHANGESET,
            "contact": current_app.config["OPEN311_CONTACT"],
            "key_service": "api_key 由区级管理员在网格通中为每个对接系统签发。",
            "endpoints": [
                {
                    "specification": SPECIFICATION,
                    "url": url_for("open311.discovery", fmt=fmt, _external=True).rsplit("/", 1)[0],
                    "changeset": CHANGESET,
                    "type": "production",
                    "formats": ["text/xml", "application/json"],
                }
            ],
        },
    )


@bp.get(f"/services.{FMT}")
def service_list(fmt):
    return respond(
        fmt,
        "services",
        [
            {
                "service_code": sub.code,
                "service_name": sub.name,
                "description": sub.filing_condition,
                "metadata": bool(sub.fields),
                "type": "realtime",
                "keywords": ", ".join(sub.keywords),
                "group": services.group(sub),
            }
            for sub in services.services()
        ],
    )


@bp.get(f"/services/<code>.{FMT}")
def definition(code, fmt):
    sub = services.service(code)
    return respond(
        fmt,
        "service_definition",
        {
            "service_code": sub.code,
            "attributes": [
                {
                    "variable": True,
                    "code": spec["code"],
                    "datatype": spec["datatype"],
                    "required": spec["required"],
                    "datatype_description": None,
                    "order": order,
                    "description": spec["name"],
                    **(
                        {"values": [{"key": v["key"], "name": v["name"]} for v in spec["values"]]}
                        if "values" in spec
                        else {}
                    ),
                }
                for order, spec in enumerate(sub.fields, start=1)
            ],
        },
    )


@bp.get(f"/requests.{FMT}")
def request_list(fmt):
    args = _query(request.args)
    return _requests(fmt, services.requests(args), args.get("extensions", False))


@bp.get(f"/requests/<request_id>.{FMT}")
def request_one(request_id, fmt):
    return _requests(fmt, services.request_by_id(request_id), _query(request.args)["extensions"])


@bp.post(f"/requests.{FMT}")
def request_post(fmt):
    incident, post = services.post(request.form.get("api_key"), request.form)
    return respond(
        fmt,
        "service_requests",
        [
            {
                "service_request_id": incident.id,
                "token": post.token,
                "service_notice": "已收到，社区将受理。",
                "account_id": None,
            }
        ],
        201,
    )


@bp.get(f"/tokens/<token>.{FMT}")
def token(token, fmt):
    post = services.token(token)
    return respond(
        fmt,
        "service_requests",
        [{"service_request_id": post.incident_id, "token": post.token}],
    )


def _requests(fmt, cases, extensions):
    zone = public.district_zone()
    return respond(fmt, "service_requests", [_request(case, extensions, zone) for case in cases])


def _request(case, extensions, zone):
    """A case's public view in the spec's words."""
    out = {
        "service_request_id": case["id"],
        "status": "open" if case["open"] else "closed",
        "status_notes": case["words"] + (f"：{case['reason']}" if case["reason"] else ""),
        "service_name": case["category_name"],
        "service_code": case["category"],
        "description": case["description"],
        "agency_responsible": case["agency"],
        "service_notice": None,
        "requested_datetime": public.local_time(case["reported_at"], zone),
        "updated_datetime": public.local_time(case["updated_at"], zone),
        "expected_datetime": public.local_time(case["expected_at"], zone),
        "address": case["address"],
        "address_id": None,
        "zipcode": None,
        "lat": case["lat"],
        "long": case["lng"],
        "media_url": case["photos"][0] if case["photos"] else None,
    }
    if extensions:
        out["extended_attributes"] = {"state": case["state"], "media_urls": case["photos"]}
        out["notes"] = [
            {
                "datetime": public.local_time(step["at"], zone),
                "summary": step["words"],
                "description": step["note"],
                "type": step["step"],
            }
            for step in case["timeline"]
        ]
    return out


# -- the query's arguments ------------------------------------------------------------------------


def _query(args):
    """The GET arguments, parsed; BadRequest naming any that is not of its form."""
    problems, out = {}, {}
    for name in ("service_request_id", "service_code", "status"):
        if args.get(name):
            out[name] = [part.strip() for part in args[name].split(",") if part.strip()]
    if set(out.get("status", ())) - {"open", "closed"}:
        problems["status"] = ["open, closed or both"]
    for name in ("start_date", "end_date", "updated_after", "updated_before"):
        if args.get(name):
            try:
                out[name] = _moment(args[name])
            except ValueError:
                problems[name] = ["an ISO 8601 time, e.g. 2026-12-01T00:00:00+08:00"]
    for name, low, high in (("page", 1, 1_000_000), ("page_size", 1, services.MAX_PAGE_SIZE)):
        if args.get(name):
            value = args[name].strip()
            if not value.isdigit() or not low <= int(value) <= high:
                problems[name] = [f"a whole number from {low} to {high}"]
            else:
                out[name] = int(value)
    out["extensions"] = args.get("extensions", "").lower() == "true"
    if problems:
        raise services.BadRequest("Some arguments are invalid.", fields=problems)
    return out


def _moment(text):
    """A time as W3C/ISO 8601 gives it; without a zone, on the district's clock."""
    at = datetime.fromisoformat(text.strip())
    if at.tzinfo is None:
        at = at.replace(tzinfo=clock.zone())
    return at


# -- keys (district admins, under /api) -----------------------------------------------------------

keys = ApiBlueprint(
    "open311_clients", __name__, url_prefix="/api/open311", description="Open311 keys"
)


@keys.get("/clients")
@keys.response(200, ClientOut(many=True))
def client_list():
    """The client systems that hold keys (district admins)."""
    return services.clients(current_user)


@keys.post("/clients")
@keys.arguments(ClientIn())
@keys.response(201, IssuedOut)
def issue(body):
    """Issue a key to a client system: named, rate-limited, revocable; shown this once."""
    client, key = services.issue(current_user, **body)
    return {**{c: getattr(client, c) for c in ClientOut().fields}, "api_key": key}


@keys.post("/clients/<int:client_id>/revoke")
@keys.response(200, ClientOut)
def revoke(client_id):
    return services.revoke(current_user, client_id)

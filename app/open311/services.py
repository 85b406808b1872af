"""Rules of the Open311 GeoReport v2 gateway: clients and their keys, the services (the
catalogue's resident-open subcategories), reading the public view of requests and posting
new ones. Errors are ApiErrors with the spec's statuses (400, 403, 404; 429 for the rate)."""

import hashlib
import math
import secrets
import uuid
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from app import clock, netguard, transaction
from app.catalogue import services as catalogue
from app.errors import ApiError, NotFound
from app.extensions import db
from app.history.services import record, register_scope
from app.incidents import services as incidents
from app.incidents.models import FINAL, HOTLINE, OPEN, OPEN311, Incident
from app.open311.models import Client, Post
from app.people.models import DISTRICT_ADMIN
from app.residents import channels, public
from app.rules import require

SOURCES = (OPEN311, HOTLINE)  # what a key's posts may be
MAX_SPAN = timedelta(days=90)
MAX_PAGE_SIZE = 1000
DESCRIPTION_MAX = 4000  # the spec's
KEY_BYTES = 24
MEDIA_LABEL = "附件链接"  # how a posted media_url is written into the case's description


class BadRequest(ApiError):
    status, code = 400, "bad_request"


def _digest(key):
    return hashlib.sha256(key.encode()).hexdigest()


# -- clients (district admins) -------------------------------------------------------------------


def issue(admin, name, source, hourly_limit=None):
    """A new client and its key; the key is shown this once and kept only as its digest."""
    require(admin.role == DISTRICT_ADMIN, "Open311 keys are issued by the district.")
    key = secrets.token_urlsafe(KEY_BYTES)
    client = Client(
        name=name,
        key_hash=_digest(key),
        source=source,
        hourly_limit=hourly_limit or current_app.config["OPEN311_HOURLY_LIMIT"],
        account=channels.account(name),
        created_by_id=admin.id,
        created_at=clock.now(),
    )
    db.session.add(client)
    db.session.flush()
    record("open311_client", client.id, "issue", admin, data={"name": name, "source": source})
    transaction.commit()
    return client, key


def clients(admin):
    require(admin.role == DISTRICT_ADMIN, "Open311 keys are the district's.")
    return db.session.execute(select(Client).order_by(Client.id)).scalars().all()


def revoke(admin, client_id):
    require(admin.role == DISTRICT_ADMIN, "Open311 keys are revoked by the district.")
    client = db.session.get(Client, client_id, with_for_update=True)
    if client is None:
        raise NotFound("No such client.", fields={"id": [client_id]})
    if client.revoked_at is None:
        client.revoked_at = clock.now()
        record("open311_client", client.id, "revoke", admin)
        transaction.commit()
    return client


def _client(key):
    """The live client holding `key`, else 403 (a missing, wrong or revoked key alike)."""
    client = (
        db.session.execute(select(Client).where(Client.key_hash == _digest(key))).scalar()
        if key
        else None
    )
    if client is None or client.revoked_at is not None:
        raise ApiError("A valid api_key is required to post.", status=403, code="forbidden")
    return client


# -- services ------------------------------------------------------------------------------------


def services():
    """The subcategories open to residents and other systems, in catalogue order."""
    return [s for s in catalogue.catalogue().subcategories() if s.resident_open]


def service(code):
    for sub in services():
        if sub.code == code:
            return sub
    raise NotFound(f"No service {code!r}.", fields={"service_code": [code]})


def group(sub):
    return catalogue.catalogue().category(sub.category_code).name


# -- reading -------------------------------------------------------------------------------------

# The columns the public view reads: a page of a thousand is read as rows, not objects, its
# handling photos with them.
_COLUMNS = (
    Incident.id,
    Incident.category_code,
    Incident.state,
    Incident.reason,
    Incident.description,
    Incident.address,
    Incident.lat,
    Incident.lng,
    Incident.community_id,
    Incident.reported_at,
    Incident.updated_at,
    Incident.deadline,
)


def requests(args):
    """A page of the public view of requests: by ids (which override every other filter),
    else by service, requested time (default the last 90 days, or the 90 days from a start
    alone; at most 90 days), status and updated time, newest first."""
    codes = [s.code for s in services()]
    query = select(Incident.id).where(Incident.category_code.in_(codes))
    if args.get("service_request_id"):
        query = query.where(Incident.id.in_(args["service_request_id"]))
    else:
        if args.get("service_code"):
            query = query.where(Incident.category_code.in_(args["service_code"]))
        start, end = args.get("start_date"), args.get("end_date")
        if end is None:  # the 90 days from start_date, or the last 90 days
            end = min(clock.now(), start + MAX_SPAN) if start else clock.now()
        start = start or end - MAX_SPAN
        if end - start > MAX_SPAN:
            raise BadRequest(
                "start_date and end_date may span at most 90 days.",
                fields={"end_date": ["more than 90 days after start_date"]},
            )
        query = query.where(Incident.reported_at >= start, Incident.reported_at <= end)
        status = set(args.get("status") or ())
        if status == {"open"}:
            query = query.where(Incident.state.in_(OPEN))
        elif status == {"closed"}:
            query = query.where(Incident.state.in_(FINAL))
        if args.get("updated_after"):
            query = query.where(Incident.updated_at >= args["updated_after"])
        if args.get("updated_before"):
            query = query.where(Incident.updated_at <= args["updated_before"])
    size = min(args.get("page_size") or current_app.config["OPEN311_PAGE_SIZE"], MAX_PAGE_SIZE)
    page = args.get("page") or 1
    newest_first = (Incident.reported_at.desc(), Incident.id.desc())
    # The page's ids first, from the index alone (ix_incident_reported_at covers the filter),
    # then only those rows: a deep page skips index entries, not whole rows.
    ids = query.order_by(*newest_first).limit(size).offset((page - 1) * size).subquery()
    rows = db.session.execute(
        select(*_COLUMNS, public.handling_photos_column())
        .join(ids, ids.c.id == Incident.id)
        .order_by(*newest_first)
    ).all()
    return public.cases(rows, timeline=args.get("extensions", False))


def request_by_id(request_id):
    found = requests({"service_request_id": [request_id], "extensions": True})
    if not found:
        raise NotFound(f"No request {request_id!r}.", fields={"service_request_id": [request_id]})
    return found


def token(value):
    post = db.session.execute(select(Post).where(Post.token == value)).scalar()
    if post is None:
        raise NotFound("No such token.", fields={"token": [value]})
    return post


# -- posting -------------------------------------------------------------------------------------


def post(key, form):
    """A new request from a client system: counted against its key (and recorded with it
    whatever the answer), placed by its point, filed with the key's source."""
    client = _client(key)
    now = clock.now()
    sent = db.session.execute(
        select(func.count())
        .select_from(Post)
        .where(Post.client_id == client.id, Post.at > now - timedelta(hours=1))
    ).scalar()
    if sent >= client.hourly_limit:
        _log(client, 429)
        raise ApiError(
            f"This key may post {client.hourly_limit} requests an hour.",
            status=429,
            code="rate_limited",
            headers={"Retry-After": "60"},
        )
    try:
        body = _report_body(form)
        # The report and its record are one: no case without the key that sent it. A
        # refused report wrote nothing (report checks before it writes).
        with transaction.grouped():
            reported = incidents.report(client.account, body, source=client.source)
            entry = _log(client, 201, reported.incident.id)
    except ApiError as refused:  # an unknown service, a point outside the district...
        _log(client, 400)
        raise BadRequest(refused.message, fields=refused.fields) from None
    transaction.commit()
    return reported.incident, entry


def _log(client, status, incident_id=None):
    """Record the post in the caller's transaction; a refused one is committed at once."""
    entry = Post(
        client_id=client.id,
        at=clock.now(),
        status=status,
        token=secrets.token_hex(16) if incident_id else None,
        incident_id=incident_id,
    )
    db.session.add(entry)
    if incident_id is None:
        transaction.commit()
    return entry


def _report_body(form):
    """The incident report a posted form asks for, or BadRequest naming what is wrong."""
    sub = service(form.get("service_code") or "")
    problems = {}
    lat, lng = _number(form, "lat", -90, 90, problems), _number(form, "long", -180, 180, problems)
    if lat is None or lng is None:
        problems.setdefault(
            "lat",
            ["lat and long are needed: GridLink places a request in its grid by its point"],
        )
    description = (form.get("description") or "").strip()
    if len(description) > DESCRIPTION_MAX:
        problems["description"] = [f"at most {DESCRIPTION_MAX} characters"]
    said = []
    for spec in sub.fields:
        value = (form.get(f"attribute[{spec['code']}]") or "").strip()
        if not value:
            if spec["required"]:
                problems[f"attribute[{spec['code']}]"] = ["required"]
            continue
        if spec["datatype"] == "singlevaluelist":
            names = {v["key"]: v["name"] for v in spec["values"]}
            if value not in names:
                problems[f"attribute[{spec['code']}]"] = [f"one of {', '.join(names)}"]
                continue
            value = names[value]
        elif spec["datatype"] == "number" and not _is_number(value):
            problems[f"attribute[{spec['code']}]"] = ["a number"]
            continue
        said.append(f"{spec['name']}：{value}")
    if problems:
        raise BadRequest("Some fields are invalid.", fields=problems)
    media = (form.get("media_url") or "").strip()
    if media:
        try:  # a link for the staff to open, never fetched by the server
            if len(media) > 500:
                raise netguard.Refused("Too long.")
            netguard.host_of(media)
        except netguard.Refused as refused:
            raise BadRequest(
                "media_url must be an https URL.", fields={"media_url": [str(refused)]}
            ) from None
        said.append(f"{MEDIA_LABEL}：{media}")
    address = (form.get("address_string") or "").strip()[:200] or None
    return {
        "id": str(uuid.uuid4()),
        "category": sub.code,
        "urgent": False,
        "description": "\n".join([description or sub.name, *said]),
        "lat": lat,
        "lng": lng,
        "address": address,
        "photos": [],
        "handled_on_spot": False,
        "resident_name": _name(form),
        "resident_phone": (form.get("phone") or "").strip()[:20] or None,
    }


def _number(form, name, low, high, problems):
    text = (form.get(name) or "").strip()
    if not text:
        return None
    if not _is_number(text) or not low <= float(text) <= high:
        problems[name] = [f"a number from {low} to {high}"]
        return None
    return float(text)


def _is_number(text):
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def _name(form):
    name = " ".join(
        part.strip() for part in (form.get("last_name"), form.get("first_name")) if part
    )
    return name[:50] or None


register_scope("open311_client", lambda client_id: (None, None))

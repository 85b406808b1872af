"""Rules of residents' reports (随手拍): no account, a device token for the limits, the
nearby cases offered first (附议), a tracking number and a private link, comments, photos
and the verdict (回访) once closed."""

import hashlib
import re
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from app import clock, transaction
from app.errors import ApiError, Forbidden, Invalid, NotFound
from app.extensions import db
from app.history.services import record
from app.incidents import services as incidents
from app.incidents.models import CLOSED, OPEN, REJECTED, RESIDENT, Incident
from app.open311 import services as gateway
from app.photos import services as photos
from app.photos.models import Photo
from app.residents import channels, public
from app.residents.models import ResidentAction, ResidentReport
from app.return_visits import services as return_visits
from app.rules import require_state
from app.units import spatial

REPORT, PHOTO, COMMENT, SECOND = "report", "photo", "comment", "second"
DEVICE = re.compile(r"^[A-Za-z0-9_-]{22,64}$")
HTML = re.compile(r"<\s*[a-zA-Z/!?]")
# Read out over the phone: no 0/o, 1/l/i to mistake for each other.
_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def _digest(text):
    return hashlib.sha256(text.encode()).hexdigest()


def device_of(token):
    """The digest a device token is counted by; 400 for a missing or malformed one."""
    if not token or not DEVICE.match(token):
        raise ApiError(
            "Send the device's token (22-64 letters, digits, - or _) in X-Device.",
            code="device_required",
            fields={"X-Device": ["required"]},
        )
    return _digest(token)


# -- limits -------------------------------------------------------------------------------------


def _check(device, ip, kind):
    """429 past a device's or an address's limit for `kind`; 403 for a device whose reports
    were rejected too often. (`_count` then counts the one let through.)"""
    config, now = current_app.config, clock.now()
    if kind == REPORT:
        since = now - timedelta(days=config["RESIDENT_REJECTION_DAYS"])
        rejected = db.session.execute(
            select(func.count())
            .select_from(ResidentReport)
            .join(Incident, Incident.id == ResidentReport.incident_id)
            .where(
                ResidentReport.device_hash == device,
                Incident.state == REJECTED,
                Incident.updated_at >= since,
            )
        ).scalar()
        if rejected >= config["RESIDENT_MAX_REJECTED"]:
            raise Forbidden(
                "Reports from this device were found not to be cases too often.",
                code="device_refused",
            )
    per_device, per_ip, window = config["RESIDENT_LIMITS"][kind]
    since = now - timedelta(hours=window)
    recent = (ResidentAction.kind == kind, ResidentAction.at >= since)
    of_device, of_ip = db.session.execute(
        select(
            func.count().filter(ResidentAction.device_hash == device),
            func.count().filter(ResidentAction.ip == ip),
        ).where(*recent, (ResidentAction.device_hash == device) | (ResidentAction.ip == ip))
    ).one()
    if of_device >= per_device or of_ip >= per_ip:
        raise ApiError(
            "Too many for now: try again later.",
            status=429,
            code="rate_limited",
            extra={"retry_after": window * 3600},
            headers={"Retry-After": str(window * 3600)},
        )


def _count(device, ip, kind, incident_id=None):
    db.session.add(
        ResidentAction(
            kind=kind, device_hash=device, ip=ip, incident_id=incident_id, at=clock.now()
        )
    )


# -- reporting ----------------------------------------------------------------------------------


def categories():
    """What residents may report, with its group and what it asks besides the description."""
    return [
        {
            "code": sub.code,
            "name": sub.name,
            "name_en": sub.name_en,
            "group": gateway.group(sub),
            "keywords": list(sub.keywords),
            "fields": list(sub.fields),
        }
        for sub in gateway.services()
    ]


def _text(value, field):
    if HTML.search(value):
        raise Invalid("Plain text only, no HTML.", fields={field: ["no HTML"]})
    return value.strip()


def nearby(category, lat, lng):
    """Open public cases of the category within 250 m in the last 7 days, nearest first: what
    the resident is offered to second (附议) before filing anew."""
    gateway.service(category)
    now = clock.now()
    box = spatial.metres_box(lat, lng, incidents.DUPLICATE_RADIUS_M)
    found = []
    for incident in db.session.execute(
        select(Incident).where(
            Incident.category_code == category,
            Incident.state.in_(OPEN),
            Incident.reported_at >= now - timedelta(days=incidents.DUPLICATE_DAYS),
            Incident.lat.between(box[1], box[3]),
            Incident.lng.between(box[0], box[2]),
        )
    ).scalars():
        distance = spatial.distance_m(lat, lng, incident.lat, incident.lng)
        if distance <= incidents.DUPLICATE_RADIUS_M:
            found.append((round(distance), incident))
    found.sort(key=lambda pair: (pair[0], pair[1].id))
    found = found[: incidents.DUPLICATE_MAX]
    shown = public.cases([incident for _, incident in found])
    return [{"distance_m": d, "case": case} for (d, _), case in zip(found, shown, strict=True)]


def second(device, ip, incident_id):
    """附议: the resident saw the same problem; the case hears it once per device."""
    incident = db.session.get(Incident, incident_id)
    if incident is None or incident.category_code not in {s.code for s in gateway.services()}:
        raise NotFound("No such case.", fields={"id": [incident_id]})
    require_state(incident, OPEN, "second")
    already = db.session.execute(
        select(ResidentAction.id).where(
            ResidentAction.kind == SECOND,
            ResidentAction.device_hash == device,
            ResidentAction.incident_id == incident.id,
        )
    ).first()
    if already is None:
        _check(device, ip, SECOND)
        _count(device, ip, SECOND, incident.id)
        record("incident", incident.id, "resident_me_too", channels.residents_page())
        transaction.commit()
    return public.cases([incident])[0]


def report(device, ip, body):
    """A resident's report: into the community's queue as `source: resident`, reported by
    the residents' page; the answer carries the private link's secret, this once."""
    _check(device, ip, REPORT)
    gateway.service(body["category"])  # only what the district opens to residents
    description = _text(body["description"], "description")
    page = channels.residents_page()
    held = {
        sha
        for sha in {ref["sha256"] for ref in body["photos"]}
        if photos.held(page, sha) is not None
    }
    missing = sorted({ref["sha256"] for ref in body["photos"]} - held)
    if missing:
        raise Invalid("Upload the photos first.", fields={"photos": missing})
    secret = secrets.token_urlsafe(24)
    with transaction.grouped():
        reported = incidents.report(
            page,
            {
                "category": body["category"],
                "urgent": False,
                "description": description,
                "lat": body["lat"],
                "lng": body["lng"],
                "accuracy_m": body.get("accuracy_m"),
                "address": body.get("address"),
                "photos": [{**ref, "kind": "close_up"} for ref in body["photos"]],
                "handled_on_spot": False,
                "resident_name": body.get("name"),
                "resident_phone": body.get("phone"),
            },
            source=RESIDENT,
        )
        tracking = ResidentReport(
            incident_id=reported.incident.id,
            tracking_number=_tracking_number(),
            secret_hash=_digest(secret),
            device_hash=device,
            created_at=clock.now(),
        )
        db.session.add(tracking)
        _count(device, ip, REPORT, reported.incident.id)
    transaction.commit()
    return {"tracking_number": tracking.tracking_number, "secret": secret}


def _tracking_number():
    """Today on the district's clock and six characters: 261202-7KQM3X."""
    today = public.local_time(clock.now())[2:10].replace("-", "")
    return today + "-" + "".join(secrets.choice(_ALPHABET) for _ in range(6))


def upload(device, ip, data):
    """A photo for a report, through the photo pipeline (content checked, EXIF stripped),
    within a smaller size than members' and the device's limit."""
    if len(data) > current_app.config["RESIDENT_PHOTO_MAX_BYTES"]:
        raise ApiError(
            "The photo is too large.", status=413, code="too_large", fields={"file": ["size"]}
        )
    _check(device, ip, PHOTO)
    _count(device, ip, PHOTO)
    return photos.upload(channels.residents_page(), data)


# -- following ----------------------------------------------------------------------------------


def _tracked(secret, lock=False):
    tracked = db.session.execute(
        select(ResidentReport).where(ResidentReport.secret_hash == _digest(secret or ""))
    ).scalar()
    if tracked is None:
        raise NotFound("No such case.")
    return tracked, db.session.get(Incident, tracked.incident_id, with_for_update=lock)


def track(secret):
    """What the private link shows: the case's public view with its timeline, and what the
    resident may do now."""
    tracked, incident = _tracked(secret)
    case = public.cases([incident], timeline=True)[0]
    steps = case["timeline"]
    closed_at = max((s["at"] for s in steps if s["step"] == "closed"), default=None)
    given = any(s["step"] == "verdict" and s["at"] >= closed_at for s in steps if closed_at)
    return {
        **case,
        "tracking_number": tracked.tracking_number,
        "may_comment": incident.state in OPEN,
        "may_give_verdict": incident.state == CLOSED and not given,
    }


def photo(token):
    """A handling photo by its public link: the copy served to all, upright and without EXIF
    (no place, no camera, no author); 404 for a link that is wrong or no longer shown."""
    attachment = public.shown_photo(token)
    if attachment is None:
        raise NotFound("No such photo.")
    stored = db.session.get(Photo, attachment.sha256)
    return photos.store().open_derived(stored.sha256, photos.DISPLAY), stored.mime


def comment(device, ip, secret, text):
    """The resident adds to their open case: a line the secretary and the public see."""
    tracked, incident = _tracked(secret, lock=True)
    require_state(incident, OPEN, "comment on")
    _check(device, ip, COMMENT)
    _count(device, ip, COMMENT, incident.id)
    record(
        "incident",
        incident.id,
        "resident_comment",
        channels.residents_page(),
        note=_text(text, "text"),
    )
    transaction.commit()
    return track(secret)


def verdict(secret, verdict, note=None):
    """满意 / 基本满意 / 不满意 on the closed case: its 回访, recorded by the resident's page."""
    tracked, incident = _tracked(secret)
    return_visits.record(None, incident.id, verdict, _text(note, "note") if note else None)
    return track(secret)

"""The public view of a case: what a resident's tracking page and the Open311 gateway show
of it to anyone, in plain words. No reporter, no staff, no phone; the point rounded; digit
runs that could be a phone or an ID number masked in the description; the handling photos
of a closed case where its category allows (`public_photos`), by unguessable links to their
EXIF-free copies."""

import base64
import hashlib
import hmac
import re

from flask import current_app, url_for
from sqlalchemy import String, cast, func, select

from app import clock
from app.catalogue import services as catalogue
from app.extensions import db
from app.history.models import HistoryEntry
from app.incidents.models import (
    ACCEPTED,
    CLOSED,
    DISPATCHED,
    FINAL,
    HANDLED,
    IN_PROGRESS,
    MERGED,
    REJECTED,
    REPORTED,
    Incident,
)
from app.people.models import Department
from app.photos.models import Attachment, PhotoUploader
from app.units.models import Unit

# A case's state as the public is told it (受理, 处理中, 已办结), by GridLink's state.
PHASE = {
    REPORTED: "received",
    ACCEPTED: "accepted",
    DISPATCHED: "in_progress",
    IN_PROGRESS: "in_progress",
    HANDLED: "in_progress",
    CLOSED: "closed",
    REJECTED: "rejected",
    MERGED: "merged",
}
# The steps of the timeline the public sees, as the phase (or event) each one means; any
# other entry (a dispatch's assignee, a whistle, an escalation) is the staff's business.
STEPS = {
    "report": "received",
    "accept": "accepted",
    "dispatch": "in_progress",
    "handle": "handled",
    "rework": "in_progress",
    "check": "closed",
    "reject": "rejected",
    "merge": "merged",
    "resident_comment": "comment",
    "return_visit": "verdict",
}
# The words other systems are given (Open311 is read by the district's own): zh-CN.
WORDS = {
    "received": "已收到",
    "accepted": "已受理",
    "in_progress": "处理中",
    "handled": "已处置，待核查",
    "closed": "已办结",
    "rejected": "不予受理",
    "merged": "已并入同一问题的案件",
    "comment": "群众补充",
    "verdict": "群众评价",
}
# Steps whose note the public reads: a rejection's reason is the answer to the reporter.
NOTED = ("reject", "resident_comment")
HANDLING_KIND = "after"  # the photos of the result, added when the case is handled
# A photo shows once whoever attached it has sent its bytes (app.photos).
_ARRIVED = (PhotoUploader.sha256 == Attachment.sha256) & (
    PhotoUploader.user_id == Attachment.added_by_id
)
_DIGITS = re.compile(r"\d{7,}")
_ID = re.compile(r"^[0-9]{1,9}$")


def masked(text):
    """Text with every run of seven or more digits masked (a phone, an ID number)."""
    return _DIGITS.sub(lambda m: m.group()[:3] + "*" * (len(m.group()) - 3), text or "")


district_zone = clock.zone


def local_time(at, zone=None):
    """ISO 8601 on the district's clock with its offset (+08:00), or None. (`zone`: the
    district's, when the caller writes many.)"""
    if at is None:
        return None
    return at.astimezone(zone or district_zone()).isoformat(timespec="seconds")


def cases(incidents, *, timeline=False):
    """The public view of incidents (ORM rows or rows with their columns), in their order:
    what is shown of them gathered for all at once."""
    cat = catalogue.catalogue()
    subs = [_subcategory(cat, i.category_code) for i in incidents]
    # The district's few dozen communities, not a list of a page's: no statement to build.
    names = dict(
        db.session.execute(select(Unit.id, Unit.name).where(Unit.level == "community")).all()
        if incidents
        else ()
    )
    departments = dict(db.session.execute(select(Department.code, Department.name)).all())
    steps = _timelines([i.id for i in incidents]) if timeline else {}
    if incidents and "handling_photos" in getattr(incidents[0], "_fields", ()):
        photos = {  # read with the rows (handling_photos_column)
            i.id: _links(i.handling_photos)
            for i, sub in zip(incidents, subs, strict=True)
            if i.handling_photos and _photos_public(i, sub)
        }
    else:
        photos = _handling_photos(
            [i.id for i, sub in zip(incidents, subs, strict=True) if _photos_public(i, sub)]
        )
    decimals = current_app.config["PUBLIC_POINT_DECIMALS"]
    out = []
    for incident, sub in zip(incidents, subs, strict=True):
        phase = PHASE[incident.state]
        department = departments.get(sub.department) if sub and sub.department else None
        out.append(
            {
                "id": incident.id,
                "state": phase,
                "open": incident.state not in FINAL,
                "words": WORDS[phase],
                "reason": incident.reason if incident.state == REJECTED else None,
                "category": incident.category_code,
                "category_name": sub.name if sub else None,
                "agency": department or names.get(incident.community_id),
                "description": masked(incident.description),
                "address": incident.address,
                "lat": round(incident.lat, decimals),
                "lng": round(incident.lng, decimals),
                "reported_at": incident.reported_at,
                "updated_at": incident.updated_at,
                "expected_at": incident.deadline if incident.state not in FINAL else None,
                "photos": photos.get(incident.id, []),
                "timeline": steps.get(incident.id, []),
            }
        )
    return out


def _subcategory(cat, code):
    try:
        return cat.subcategory(code)
    except KeyError:  # removed from the catalogue since
        return None


# -- the handling photos -------------------------------------------------------------------------


def _photos_public(incident, sub):
    """Whether a case's handling photos are shown: once it is closed (checked on the spot, so
    the photos are the result, not a first try sent back), where its category allows."""
    return incident.state == CLOSED and sub is not None and sub.resident_open and sub.public_photos


def _handling_photos(ids):
    """{incident id: [public photo links]}: the "after" photos of these cases, in the order
    they were added, each once it has arrived from whoever attached it."""
    if not ids:
        return {}
    rows = db.session.execute(
        select(Attachment.entity_id, Attachment.id, Attachment.sha256)
        .join(PhotoUploader, _ARRIVED)
        .where(
            Attachment.entity == "incident",
            Attachment.entity_id.in_(ids),
            Attachment.kind == HANDLING_KIND,
        )
        .order_by(Attachment.id)
    )
    found = {}
    for incident_id, attachment_id, sha in rows:
        found.setdefault(incident_id, []).append(_link(attachment_id, sha))
    return found


def handling_photos_column():
    """A closed case's handling photos as one column of its row ("id sha,id sha"), for a
    listing that reads a page of cases in one statement (Open311's)."""
    return (
        select(func.aggregate_strings(cast(Attachment.id, String) + " " + Attachment.sha256, ","))
        .join(PhotoUploader, _ARRIVED)
        .where(
            Incident.state == CLOSED,
            Attachment.entity == "incident",
            Attachment.entity_id == Incident.id,
            Attachment.kind == HANDLING_KIND,
        )
        .correlate(Incident)
        .scalar_subquery()
        .label("handling_photos")
    )


def _links(column):
    pairs = sorted((int(i), sha) for i, sha in (pair.split(" ") for pair in column.split(",")))
    return [_link(attachment_id, sha) for attachment_id, sha in pairs]


def _link(attachment_id, sha):
    return url_for("residents.photo", token=photo_token(attachment_id, sha), _external=True)


def photo_token(attachment_id, sha):
    """The link's name for one attachment: its id and a MAC over it and the photo's hash, so
    that it cannot be guessed (nor a member's photo reached by its hash)."""
    return f"{attachment_id}-{_mac(attachment_id, sha)}"


def _mac(attachment_id, sha):
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.digest(key, f"public photo {attachment_id} {sha}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest[:18]).decode()


def shown_photo(token):
    """The attachment a public photo link names, if it is still shown: a link
    stops working once its case reopens or its category stops allowing it. Else None."""
    attachment_id, _, mac = (token or "").partition("-")
    if not _ID.match(attachment_id):  # digits an id can be ("²".isdigit() too)
        return None
    attachment = db.session.get(Attachment, int(attachment_id))
    if (
        attachment is None
        or attachment.entity != "incident"
        or attachment.kind != HANDLING_KIND
        or not hmac.compare_digest(mac.encode(), _mac(attachment.id, attachment.sha256).encode())
        or db.session.get(PhotoUploader, (attachment.sha256, attachment.added_by_id)) is None
    ):
        return None
    incident = db.session.get(Incident, attachment.entity_id)
    sub = _subcategory(catalogue.catalogue(), incident.category_code)
    return attachment if _photos_public(incident, sub) else None


def _timelines(ids):
    """{incident id: [{step, words, at, note}]}: the public steps of each, in order."""
    found = {}
    if not ids:
        return found
    rows = db.session.execute(
        select(HistoryEntry.entity_id, HistoryEntry.action, HistoryEntry.at, HistoryEntry.note)
        .where(
            HistoryEntry.entity == "incident",
            HistoryEntry.entity_id.in_(ids),
            HistoryEntry.action.in_(STEPS),
        )
        .order_by(HistoryEntry.id)
    )
    for entity_id, action, at, note in rows:
        step = STEPS[action]
        found.setdefault(entity_id, []).append(
            {
                "step": step,
                "words": WORDS[step],
                "at": at,
                "note": masked(note) if action in NOTED and note else None,
            }
        )
    return found

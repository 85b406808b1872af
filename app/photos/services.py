"""Rules for photos: accept an upload by its content, store it once, attach it as evidence,
and serve only metadata-free copies to those who may see what it is attached to."""

import hashlib
from datetime import UTC
from functools import lru_cache

from flask import current_app
from sqlalchemy import and_, insert, literal_column, select
from sqlalchemy.dialects import postgresql, sqlite

from app import clock, storage, transaction
from app.errors import ApiError, NotFound
from app.extensions import db
from app.history import services as history
from app.photos.images import PhotoRejected, inspect, sanitize, thumbnail
from app.photos.models import Attachment, Photo, PhotoUploader
from app.photos.storage import LocalPhotoStore, S3PhotoStore, check_sha

DISPLAY, THUMB = "display", "thumb"
_STATUS = {"too_large": 413, "not_an_image": 415, "unsupported_type": 415}

# Built once: building a statement costs more than running these.
_ATTACH = insert(Attachment.__table__)
_UPLOADER = PhotoUploader.__table__.c
# Whether an attachment's photo has arrived, asked where it is inserted (its RETURNING):
# written out, as SQLAlchemy neither correlates a subquery in RETURNING with the row inserted
# nor, on SQLite, names the columns there with their table.
AVAILABLE = literal_column(
    "EXISTS (SELECT 1 FROM photo_uploader WHERE photo_uploader.sha256 = attachment.sha256"
    " AND photo_uploader.user_id = attachment.added_by_id)"
).label("available")
_ATTACH_SHOWN = _ATTACH.returning(
    Attachment.__table__.c.entity_id, Attachment.__table__.c.sha256, AVAILABLE
)
# An attachment shows its photo once whoever attached it has uploaded those bytes.
_SHOWN = and_(
    PhotoUploader.sha256 == Attachment.sha256, PhotoUploader.user_id == Attachment.added_by_id
)

# entity -> function(user, entity_id) -> bool, registered by the domains that attach photos.
_visibility = {}


def register_visibility(entity, can_see):
    _visibility[entity] = can_see


@lru_cache(maxsize=4)
def _store_at(root):
    return LocalPhotoStore(root)


def store():
    """The object store when S3_BUCKET is set (every API node sees the same photos), else
    the local disk under PHOTO_ROOT."""
    bucket = storage.s3_bucket()
    if bucket:
        return S3PhotoStore(
            storage.s3_client(), bucket, current_app.config["S3_PREFIX"] + "photos/"
        )
    return _store_at(current_app.config["PHOTO_ROOT"])


def upload(user, data):
    """Store an uploaded image once, and note that this person has sent its bytes. Bytes the
    server already has are answered as new ones, after the same work: whether anyone sent
    them before is not for the uploader to learn."""
    digest = hashlib.sha256(data).hexdigest()
    pixels = current_app.config["PHOTO_MAX_PIXELS"]
    try:
        info = inspect(data, current_app.config["PHOTO_MAX_BYTES"], pixels)
    except PhotoRejected as rejected:
        raise ApiError(
            rejected.message,
            status=_STATUS.get(rejected.code, 422),
            code=rejected.code,
            fields={"file": [rejected.message]},
        ) from None
    photos = store()
    photos.put(data)
    photos.put_derived(digest, DISPLAY, sanitize(data, pixels))
    photos.put_derived(digest, THUMB, thumbnail(data, max_pixels=pixels))
    now = clock.now()
    photo = {
        "sha256": digest,
        "mime": info.mime,
        "size": len(data),
        "width": info.width,
        "height": info.height,
        "taken_at": info.taken_at if info.taken_at and info.taken_at.tzinfo else None,
        "exif_lat": info.gps[0] if info.gps else None,
        "exif_lng": info.gps[1] if info.gps else None,
        "uploaded_by_id": user.id,
        "uploaded_at": now,
    }
    _insert_new(Photo, photo)
    if _insert_new(PhotoUploader, {"sha256": digest, "user_id": user.id, "uploaded_at": now}):
        _arrived(user, digest)
    transaction.commit()
    return photo


def _insert_new(model, row):
    """INSERT ... ON CONFLICT DO NOTHING: the row a twin request wrote a moment earlier
    stands, with nothing to roll back. Whether this one was new."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # RETURNING, not rowcount: psycopg reports -1 for this INSERT through the ORM session.
    statement = insert(model.__table__).values(row).on_conflict_do_nothing()
    return db.session.execute(statement.returning(literal_column("1"))).first() is not None


def _arrived(user, digest):
    """The photo this person attached earlier (offline: the report first, its photo later)
    has arrived: a history entry on each thing it is attached to, so that phones pulling it
    learn that its photo can now be shown (and its timeline says when the evidence came)."""
    attached = db.session.execute(
        select(Attachment.entity, Attachment.entity_id)
        .where(Attachment.sha256 == digest, Attachment.added_by_id == user.id)
        .distinct()
    ).all()
    for entity, entity_id in attached:
        if entity in history.scoped():
            history.record(entity, entity_id, "photo", user, data={"sha256": digest})


def held(user, sha):
    """The photo, if this person has uploaded its bytes; else None."""
    return db.session.execute(
        select(Photo)
        .join(PhotoUploader, PhotoUploader.sha256 == Photo.sha256)
        .where(Photo.sha256 == sha, PhotoUploader.user_id == user.id)
    ).scalar_one_or_none()


def attach(entity, entity_id, photos, user):
    """Attach photo references ({sha256, kind, taken_at, lat, lng}) in the caller's transaction,
    at once (a Core insert: nothing reads the rows back in the request that writes them)."""
    attach_many(entity, [(entity_id, photos)], user)


def attach_many(entity, attached, user):
    """`attach` for many things at once: `attached` is (entity_id, photo references) of
    each; one INSERT for them all."""
    rows = attachment_rows(entity, attached, user)
    if rows:
        # On the session's connection: no autoflush (see app.history.services.record).
        db.session.connection().execute(_ATTACH, rows)


def attach_rows(rows):
    """Insert attachment rows (made by `attachment_rows`) in the caller's transaction: the
    (entity_id, sha256) of those whose photo has arrived, asked by the same INSERT."""
    if not rows:
        return set()
    result = db.session.connection().execute(_ATTACH_SHOWN, rows)
    return {(entity_id, sha) for entity_id, sha, available in result if available}


def attachment_rows(entity, attached, user):
    """The attachment rows of (entity_id, photo references) pairs, to be inserted."""
    now = clock.now()
    return [
        {
            "sha256": ref["sha256"],
            "entity": entity,
            "entity_id": entity_id,
            "kind": ref["kind"],
            "taken_at": ref.get("taken_at"),
            "lat": ref.get("lat"),
            "lng": ref.get("lng"),
            "added_by_id": user.id,
            "added_at": now,
        }
        for entity_id, photos in attached
        for ref in photos
    ]


def shown(photos, arrived):
    """Photo references just attached, as `attachments` shows them, given whether each has
    arrived (`arrived`: their sha256): nothing is read back."""
    return [
        {
            "sha256": ref["sha256"],
            "kind": ref["kind"],
            # in UTC, as the database hands it back to `attachments`
            "taken_at": ref["taken_at"].astimezone(UTC) if ref.get("taken_at") else None,
            "lat": ref.get("lat"),
            "lng": ref.get("lng"),
            "available": ref["sha256"] in arrived,
        }
        for ref in photos
    ]


def attachments(entity, entity_ids):
    """{entity_id: [attachment dicts]} with whether each photo has arrived yet (from the
    person who attached it)."""
    if not entity_ids:
        return {}
    # Columns, not Attachment objects: a first sync shows thousands of photos.
    rows = db.session.execute(
        select(
            Attachment.entity_id,
            Attachment.sha256,
            Attachment.kind,
            Attachment.taken_at,
            Attachment.lat,
            Attachment.lng,
            PhotoUploader.sha256.is_not(None).label("available"),
        )
        .outerjoin(PhotoUploader, _SHOWN)
        .where(Attachment.entity == entity, Attachment.entity_id.in_(list(entity_ids)))
        .order_by(Attachment.id)
    ).all()
    found = {}
    for entity_id, sha256, kind, taken_at, lat, lng, available in rows:
        found.setdefault(entity_id, []).append(
            {
                "sha256": sha256,
                "kind": kind,
                "taken_at": taken_at,
                "lat": lat,
                "lng": lng,
                "available": bool(available),
            }
        )
    return found


def open_for(user, sha, variant):
    """The served copy of a photo, if the user uploaded it or may see what its uploaders
    attached it to."""
    try:
        check_sha(sha)
    except ValueError:
        raise NotFound("No such photo.") from None
    photo = db.session.get(Photo, sha)
    if photo is None or not _may_see(user, sha):
        raise NotFound("No such photo.")
    return store().open_derived(sha, variant), "image/jpeg" if variant == THUMB else photo.mime


def _may_see(user, sha):
    if db.session.get(PhotoUploader, (sha, user.id)) is not None:
        return True
    uses = db.session.execute(
        select(Attachment.entity, Attachment.entity_id)
        .join(PhotoUploader, _SHOWN)
        .where(Attachment.sha256 == sha)
    ).all()
    return any(_visibility[entity](user, entity_id) for entity, entity_id in uses)

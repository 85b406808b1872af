"""Uploading photos and getting them back, as members and secretaries do."""

import hashlib
import io
from pathlib import Path

from PIL import Image

from app.photos.models import Photo
from tests.builders import report_body
from tests.photos.test_images import _jpeg, _png_bomb
from tests.s3 import keys


def upload(client, data, name="photo.jpg"):
    return client.post(
        "/api/photos", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data"
    )


def test_upload_is_stored_once_by_content_hash(db, cast, as_user):
    member = as_user(cast.member)
    data = _jpeg()
    first = upload(member, data)
    assert first.status_code == 201
    body = first.get_json()
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    assert (body["mime"], body["width"], body["height"]) == ("image/jpeg", 400, 300)
    again = upload(member, data, name="other-name.png")
    assert again.status_code == 201 and again.get_json() == body
    assert db.session.query(Photo).count() == 1


def test_with_a_bucket_set_photos_live_in_the_object_store(app, db, cast, as_user, s3):
    """What one API node stored, another serves: nothing is left on a node's disk."""
    member = as_user(cast.member)
    data = _jpeg(size=(411, 307))  # bytes no other test stored on disk
    sha = upload(member, data).get_json()["sha256"]
    shelf = f"{sha[:2]}/{sha[2:4]}/{sha}"
    assert keys(s3, "bijiang/photos/") == [shelf, f"{shelf}.display", f"{shelf}.thumb"]
    with member.get(f"/api/photos/{sha}") as served:
        assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert not list(Path(app.config["PHOTO_ROOT"]).rglob(f"{sha}*"))


def test_bytes_someone_else_sent_are_answered_as_new_ones(db, cast, as_user):
    """No existence oracle: the outsider (another street's grid) learns nothing from the
    answer about whether the member sent these bytes before."""
    member, outsider = as_user(cast.member), as_user(cast.outsider)
    data, fresh = _jpeg(), _jpeg(size=(400, 301))
    before = upload(member, data)
    theirs, new = upload(outsider, data), upload(outsider, fresh)
    assert before.status_code == theirs.status_code == new.status_code == 201
    assert theirs.get_json() == before.get_json()
    assert set(theirs.get_json()) == set(new.get_json())
    assert sorted(theirs.headers.keys()) == sorted(new.headers.keys())
    assert db.session.query(Photo).count() == 2
    # Sending the bytes is having the photo: the outsider may see it now.
    with outsider.get(f"/api/photos/{hashlib.sha256(data).hexdigest()}") as served:
        assert served.status_code == 200


def test_uploads_are_checked_by_content_not_name(cast, as_user):
    member = as_user(cast.member)
    response = upload(member, b"this is not a picture at all", name="evil.jpg")
    assert response.status_code == 415
    assert response.get_json()["error"]["code"] == "not_an_image"
    assert "file" in response.get_json()["error"]["fields"]
    truncated = upload(member, _jpeg()[:600])
    assert truncated.status_code == 422 and truncated.get_json()["error"]["code"] == "corrupt"


def test_an_upload_without_a_file_names_the_field(cast, as_user):
    response = as_user(cast.member).post("/api/photos", data={}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "file" in response.get_json()["error"]["fields"]


def test_served_photos_carry_no_gps_and_thumbnails_are_small(cast, as_user):
    member = as_user(cast.member)
    sha = upload(member, _jpeg(size=(1200, 900))).get_json()["sha256"]
    with member.get(f"/api/photos/{sha}") as served:
        assert served.status_code == 200 and served.mimetype == "image/jpeg"
        image = Image.open(io.BytesIO(served.data))
        assert not image.getexif() and b"27.7" not in served.data
    with member.get(f"/api/photos/{sha}/thumb") as thumb:
        assert max(Image.open(io.BytesIO(thumb.data)).size) <= 320


def test_photos_are_seen_by_those_who_see_the_incident_only(cast, as_user):
    member, secretary, outsider = (
        as_user(cast.member),
        as_user(cast.secretary),
        as_user(cast.outsider),
    )
    sha = upload(member, _jpeg()).get_json()["sha256"]
    assert outsider.get(f"/api/photos/{sha}").status_code == 404
    assert secretary.get(f"/api/photos/{sha}").status_code == 404  # not attached to anything yet
    photo = {"sha256": sha, "kind": "close_up"}
    incident = member.post("/api/incidents", json=report_body(cast.grid, photos=[photo])).get_json()
    assert incident["photos"][0]["available"] is True
    with secretary.get(f"/api/photos/{sha}") as seen:
        assert seen.status_code == 200
    assert outsider.get(f"/api/photos/{sha}").status_code == 404
    assert secretary.get("/api/photos/" + "0" * 64).status_code == 404
    assert secretary.get("/api/photos/..%2f..%2fetc%2fpasswd").status_code == 404


def test_a_photo_may_be_referenced_before_it_arrives(cast, as_user):
    member = as_user(cast.member)
    data = _jpeg()
    sha = hashlib.sha256(data).hexdigest()
    incident = member.post(
        "/api/incidents", json=report_body(cast.grid, photos=[{"sha256": sha, "kind": "wide"}])
    ).get_json()
    assert incident["photos"] == [
        {
            "sha256": sha,
            "kind": "wide",
            "taken_at": None,
            "lat": None,
            "lng": None,
            "available": False,
        }
    ]
    upload(member, data)
    shown = member.get(f"/api/incidents/{incident['id']}").get_json()
    assert shown["photos"][0]["available"] is True


def test_naming_a_photo_one_may_not_see_in_ones_own_report_shows_nothing(cast, as_user):
    member, secretary = as_user(cast.member), as_user(cast.secretary)
    outsider, outside_secretary = as_user(cast.outsider), as_user(cast.outside_secretary)
    sha = upload(member, _jpeg()).get_json()["sha256"]
    photo = {"sha256": sha, "kind": "close_up"}
    member.post("/api/incidents", json=report_body(cast.grid, photos=[photo]))

    # The outsider saw the hash somewhere and reports in their own grid with it.
    theirs = outsider.post("/api/incidents", json=report_body(cast.other_grid, photos=[photo]))
    assert theirs.status_code == 201
    assert theirs.get_json()["photos"][0]["available"] is False  # no hint that it exists
    shown = outside_secretary.get(f"/api/incidents/{theirs.get_json()['id']}").get_json()
    assert shown["photos"][0]["available"] is False
    for client in (outsider, outside_secretary):
        for path in (f"/api/photos/{sha}", f"/api/photos/{sha}/thumb"):
            assert client.get(path).status_code == 404
    with secretary.get(f"/api/photos/{sha}") as seen:  # the member's own report still shows it
        assert seen.status_code == 200


def test_a_photo_named_in_a_report_then_uploaded_by_its_reporter_shows(cast, as_user):
    """The offline order: the report first, the photo after; the outsider has the bytes
    (the member sent them the picture), so the outsider's own report may show it."""
    member, outsider = as_user(cast.member), as_user(cast.outsider)
    outside_secretary = as_user(cast.outside_secretary)
    data = _jpeg()
    sha = upload(member, data).get_json()["sha256"]
    photo = {"sha256": sha, "kind": "wide"}
    incident = outsider.post(
        "/api/incidents", json=report_body(cast.other_grid, photos=[photo])
    ).get_json()
    assert outside_secretary.get(f"/api/photos/{sha}").status_code == 404

    assert upload(outsider, data).status_code == 201

    shown = outside_secretary.get(f"/api/incidents/{incident['id']}").get_json()
    assert shown["photos"][0]["available"] is True
    with outside_secretary.get(f"/api/photos/{sha}") as seen:
        assert seen.status_code == 200


def test_a_photo_past_the_pixel_cap_is_refused_from_its_header(app, cast, as_user, db):
    """67 MP in 100 bytes: decoding it would cost seconds of a worker; its header suffices."""
    assert app.config["PHOTO_MAX_PIXELS"] < 8192 * 8192
    response = upload(as_user(cast.member), _png_bomb(8192, 8192))
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "too_many_pixels"
    assert db.session.query(Photo).count() == 0


def test_a_photo_arriving_after_its_report_reaches_the_phones_pulling_the_case(cast, as_user):
    """Offline, the report goes first and its photo later: the secretary's phone, which pulled
    the case without it, is sent the case again once the photo is there; resending the same
    bytes changes nothing more."""
    from tests.sync.test_pull import pull_all

    member, secretary = as_user(cast.member), as_user(cast.secretary)
    data = _jpeg(size=(400, 299))
    sha = hashlib.sha256(data).hexdigest()
    incident = member.post(
        "/api/incidents", json=report_body(cast.grid, photos=[{"sha256": sha, "kind": "wide"}])
    ).get_json()
    changes, cursor, _ = pull_all(secretary)
    pulled = next(c["data"] for c in changes if c["id"] == incident["id"])
    assert pulled["photos"][0]["available"] is False

    upload(member, data)
    newer, cursor, _ = pull_all(secretary, cursor)
    assert [(c["entity"], c["id"]) for c in newer] == [("incident", incident["id"])]
    assert newer[0]["data"]["photos"][0]["available"] is True
    shown = secretary.get(f"/api/incidents/{incident['id']}").get_json()
    assert shown["history"][-1]["action"] == "photo"

    upload(member, data)
    assert pull_all(secretary, cursor)[0] == []

"""Uploading photos and getting them back, as members and secretaries do."""

import hashlib
import io

from PIL import Image

from tests.builders import report_body
from tests.photos.test_images import _jpeg


def upload(client, data, name="photo.jpg"):
    return client.post(
        "/api/photos", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data"
    )


def test_upload_is_stored_once_by_content_hash(cast, as_user):
    member = as_user(cast.member)
    data = _jpeg()
    first = upload(member, data)
    assert first.status_code == 201
    body = first.get_json()
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    assert (body["mime"], body["width"], body["height"]) == ("image/jpeg", 400, 300)
    again = upload(member, data, name="other-name.png")
    assert again.status_code == 200 and again.get_json()["sha256"] == body["sha256"]


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

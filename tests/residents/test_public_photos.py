"""The handling photos of a closed case, where its category allows (the catalogue's
`public_photos`): shown on the resident's tracking page and as Open311's media_url by links
that cannot be guessed, served without EXIF; never where the category does not allow it."""

import io
import xml.etree.ElementTree as ET

import pytest
from PIL import ExifTags, Image
from sqlalchemy import select

from app.extensions import db as _db
from app.incidents.models import Incident
from app.photos.models import Attachment
from app.residents.public import photo_token
from tests.builders import point_in

DEVICE = "p" * 32


def exif_jpeg():
    """A photo as a phone takes it: the camera, and where it was taken."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "CheapPhone"
    exif[ExifTags.Base.Artist] = "王网格"
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(
        {ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (27.0, 43.0, 5.0)}
    )
    out = io.BytesIO()
    Image.new("RGB", (80, 60), (40, 160, 90)).save(out, "JPEG", exif=exif)
    return out.getvalue()


def closed_case(client, cast, as_user, category):
    """A resident's report of `category`, handled with a member's own photo and closed: the
    private link's secret and the case."""
    sent = client.post(
        "/api/public/reports",
        json={"category": category, "description": "这里需要处理", **point_in(cast.grid)},
        headers={"X-Device": DEVICE},
    )
    assert sent.status_code == 201, sent.get_json()
    incident = _db.session.execute(select(Incident)).scalar_one()
    secretary, colleague = as_user(cast.secretary), as_user(cast.colleague)
    photo = colleague.post("/api/photos", data={"file": (io.BytesIO(exif_jpeg()), "a.jpg")})
    assert photo.status_code == 201, photo.get_json()
    after = {"sha256": photo.get_json()["sha256"], "kind": "after"}
    for who, action, payload in (
        (secretary, "accept", {}),
        (secretary, "dispatch", {"assignee_id": cast.colleague.id}),
        (colleague, "handle", {"note": "已处理", "photos": [after]}),
        (as_user(cast.member), "check", {"passed": True}),
    ):
        response = who.post(f"/api/incidents/{incident.id}/{action}", json=payload)
        assert response.status_code == 200, (action, response.get_json())
    return sent.get_json()["secret"], incident


def tracked(client, secret):
    return client.get("/api/public/track", headers={"X-Track": secret}).get_json()


def open311(client, incident, fmt):
    response = client.get(f"/open311/v2/requests/{incident.id}.{fmt}?extensions=true")
    assert response.status_code == 200
    if fmt == "json":
        (request,) = response.get_json()
        return request["media_url"], request["extended_attributes"]["media_urls"]
    request = ET.fromstring(response.data).find("request")
    urls = [e.text for e in request.find("extended_attributes/media_urls")]
    return request.findtext("media_url") or None, urls


def test_where_the_category_allows_the_handling_photo_is_public_without_exif(client, cast, as_user):
    secret, incident = closed_case(client, cast, as_user, "clutter_piling")
    attachment = _db.session.execute(select(Attachment).where(Attachment.kind == "after")).scalar()
    (link,) = tracked(client, secret)["photos"]
    assert attachment.sha256 not in link  # not the photo's name, which members' links use
    for fmt in ("json", "xml"):
        assert open311(client, incident, fmt) == (link, [link])
    listed = client.get("/open311/v2/requests.json").get_json()
    assert [r["media_url"] for r in listed] == [link]

    served = client.get(link.removeprefix("http://localhost"))  # no login, no secret
    data = served.data
    served.close()
    assert served.status_code == 200
    assert served.headers["Content-Type"] == "image/jpeg"
    image = Image.open(io.BytesIO(data))
    assert image.size == (80, 60)
    assert not image.getexif()  # no camera, no author, no place
    assert b"CheapPhone" not in data and "王网格".encode() not in data


def test_where_the_category_does_not_allow_it_no_photo_is_shown_or_served(client, cast, as_user):
    secret, incident = closed_case(client, cast, as_user, "street_vending")  # shows vendors
    assert tracked(client, secret)["photos"] == []
    for fmt in ("json", "xml"):
        assert open311(client, incident, fmt) == (None, [])
    attachment = _db.session.execute(select(Attachment).where(Attachment.kind == "after")).scalar()
    token = photo_token(attachment.id, attachment.sha256)  # a link made as if it were allowed
    assert client.get(f"/api/public/photos/{token}").status_code == 404


@pytest.mark.parametrize(
    "wrong",
    [
        lambda a: f"{a.id}-{'A' * 24}",  # a guessed MAC
        lambda a: photo_token(a.id + 1, a.sha256),  # another attachment's number
        lambda a: a.sha256,  # the photo's hash, as members' links name it
        lambda a: f"x-{photo_token(a.id, a.sha256)}",
        lambda a: f"{10**20}-{photo_token(a.id, a.sha256).split('-', 1)[1]}",  # past any id
        lambda a: "²-" + "A" * 24,  # a digit to str.isdigit, not to int()
        lambda a: f"{a.id}-签名",  # not ASCII (hmac.compare_digest refuses such str)
    ],
)
def test_a_link_not_given_out_shows_nothing(client, cast, as_user, wrong):
    closed_case(client, cast, as_user, "clutter_piling")
    attachment = _db.session.execute(select(Attachment).where(Attachment.kind == "after")).scalar()
    response = client.get(f"/api/public/photos/{wrong(attachment)}")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_a_case_reopened_by_its_verdict_hides_its_photos_again(client, cast, as_user):
    secret, incident = closed_case(client, cast, as_user, "clutter_piling")
    (link,) = tracked(client, secret)["photos"]
    verdict = client.post(
        "/api/public/track/verdict", json={"verdict": "dissatisfied"}, headers={"X-Track": secret}
    )
    assert verdict.status_code == 200, verdict.get_json()
    assert verdict.get_json()["state"] == "in_progress"  # sent back to be done again
    assert verdict.get_json()["photos"] == []
    assert client.get(link.removeprefix("http://localhost")).status_code == 404

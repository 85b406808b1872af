"""Personal data: encrypted at rest (read from the raw column), keys that rotate, masks, and
unmasking only for the roles that may, each time recorded for the district."""

import base64

import pytest
from sqlalchemy import text

from app import create_app
from app.privacy import crypto, mask_id, mask_name, mask_phone
from app.privacy.cli import rekey
from tests.builders import report_body

PHONE, NAME = "13912345678", "张三丰"


def _report(client, grid, **extra):
    body = report_body(grid, resident_name=NAME, resident_phone=PHONE, **extra)
    response = client.post("/api/incidents", json=body)
    assert response.status_code == 201, response.get_json()
    return body["id"]


def _raw(db, incident_id):
    return db.session.execute(
        text("SELECT resident_name, resident_phone FROM incident WHERE id = :id"),
        {"id": incident_id},
    ).one()


@pytest.mark.parametrize(
    ("mask", "value", "shown"),
    [
        (mask_phone, "13912345678", "139****5678"),
        (mask_phone, "12345", "****"),
        (mask_phone, None, None),
        (mask_id, "52060219800101123X", "520***********123X"),
        (mask_id, "1234", "****"),
        (mask_name, "张三丰", "张**"),
        (mask_name, "李", "*"),
        (mask_name, "", ""),
    ],
)
def test_masks(mask, value, shown):
    assert mask(value) == shown


def test_a_residents_contact_is_encrypted_at_rest_and_read_back_whole(db, cast, as_user):
    incident_id = _report(as_user(cast.member), cast.grid)
    raw_name, raw_phone = _raw(db, incident_id)
    assert PHONE not in raw_phone and NAME not in raw_name
    assert raw_phone.startswith(crypto._keyring().current + ":")
    shown = as_user(cast.secretary).get(f"/api/incidents/{incident_id}").get_json()
    assert (shown["resident_name"], shown["resident_phone"]) == (NAME, PHONE)
    masked = as_user(cast.member).get(f"/api/incidents/{incident_id}").get_json()
    assert (masked["resident_name"], masked["resident_phone"]) == ("张**", "139****5678")


def test_equal_values_encrypt_differently_and_the_blind_index_finds_them(app):
    with app.app_context():
        assert crypto.encrypt(PHONE) != crypto.encrypt(PHONE)
        assert crypto.decrypt(crypto.encrypt(PHONE)) == PHONE
        assert crypto.blind_index(PHONE) == crypto.blind_index(f" {PHONE} ")
        assert crypto.blind_index(PHONE) != crypto.blind_index("13912345679")
        assert PHONE not in crypto.blind_index(PHONE)


def test_a_rotated_key_still_reads_and_rekey_writes_everything_under_the_new_one(
    app, db, cast, as_user
):
    incident_id = _report(as_user(cast.member), cast.grid)
    old_key = app.config["PERSONAL_DATA_KEY"]
    new_key = base64.urlsafe_b64encode(b"n" * 32).decode()
    old_ring = app.extensions["privacy"]
    app.extensions["privacy"] = crypto.Keyring(new_key, [old_key])
    try:
        shown = as_user(cast.secretary).get(f"/api/incidents/{incident_id}").get_json()
        assert shown["resident_phone"] == PHONE  # written under the old key, still read
        assert rekey()["incident"] == 1
        assert not any(rekey().values())  # nothing left to rewrite
        db.session.remove()
        raw_phone = _raw(db, incident_id)[1]
        assert crypto.key_id(raw_phone) == app.extensions["privacy"].current != old_ring.current
        app.extensions["privacy"] = crypto.Keyring(new_key)  # the old key dropped
        shown = as_user(cast.secretary).get(f"/api/incidents/{incident_id}").get_json()
        assert shown["resident_phone"] == PHONE
    finally:
        app.extensions["privacy"] = old_ring
        db.session.remove()


def test_production_refuses_to_start_without_a_personal_data_key(monkeypatch, tmp_path):
    monkeypatch.setenv("GRIDLINK_INSTANCE", str(tmp_path))
    settings = {"SECRET_KEY": "given", "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    with pytest.raises(RuntimeError, match="PERSONAL_DATA_KEY"):
        create_app("prod", settings)
    assert not (tmp_path / crypto.KEY_FILE).exists()  # production makes none itself
    with pytest.raises(RuntimeError, match="32 bytes"):
        create_app("prod", {**settings, "PERSONAL_DATA_KEY": "too short"})
    key = crypto.make_key()
    (tmp_path / crypto.KEY_FILE).write_text(key + "\n")
    assert create_app("prod", settings).extensions["privacy"].current == crypto.Keyring(key).current


def test_dev_makes_its_own_key_once(monkeypatch, tmp_path):
    monkeypatch.setenv("GRIDLINK_INSTANCE", str(tmp_path))
    settings = {"PERSONAL_DATA_KEY": None, "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    first = create_app("dev", settings).extensions["privacy"].current
    assert create_app("dev", settings).extensions["privacy"].current == first
    assert (tmp_path / crypto.KEY_FILE).stat().st_mode & 0o777 == 0o600


# Who may ask for a case's resident phone in full: (who, status).
UNMASK = [
    ("member", 200),  # handles the case in their grid: asks, with a reason
    ("colleague", 200),
    ("secretary", 200),
    ("district_admin", 200),
    ("dept_user", 404),  # not called to it: the case does not exist for them
    ("outsider", 404),
]


@pytest.mark.parametrize(("who", "status"), UNMASK)
def test_who_may_unmask_a_residents_phone(db, cast, as_user, who, status):
    incident_id = _report(as_user(cast.member), cast.grid)
    client = as_user(getattr(cast, who))
    body = {"entity": "incident", "id": incident_id, "field": "resident_phone", "reason": "回电"}
    response = client.post("/api/privacy/unmask", json=body)
    assert response.status_code == status, response.get_json()
    events = as_user(cast.district_admin).get("/api/privacy/unmaskings").get_json()
    if status == 200:
        assert response.get_json() == {"value": PHONE}
        [event] = events
        assert event["actor"]["id"] == getattr(cast, who).id
        assert (event["entity"], event["entity_id"], event["field"], event["reason"]) == (
            "incident",
            incident_id,
            "resident_phone",
            "回电",
        )
        assert event["at"].endswith("+00:00")
    else:
        assert response.get_json()["error"]["code"] == "not_found" and events == []


def test_an_unmasking_needs_a_reason_and_a_known_field(db, cast, as_user):
    incident_id = _report(as_user(cast.member), cast.grid)
    client = as_user(cast.member)
    base = {"entity": "incident", "id": incident_id, "field": "resident_phone"}
    assert client.post("/api/privacy/unmask", json={**base, "reason": "  "}).status_code == 422
    unknown = client.post("/api/privacy/unmask", json={**base, "field": "state", "reason": "x"})
    assert unknown.get_json()["error"]["fields"] == {"field": ["unknown"]}
    assert as_user(cast.district_admin).get("/api/privacy/unmaskings").get_json() == []


@pytest.mark.parametrize("who", ["member", "secretary", "street_admin", "dept_user"])
def test_only_the_district_reads_the_unmasking_events(db, cast, as_user, who):
    response = as_user(getattr(cast, who)).get("/api/privacy/unmaskings")
    assert response.status_code == 403

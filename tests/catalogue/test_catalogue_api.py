"""The catalogue and holiday list through the API: everyone reads, district admins edit."""

import copy
from datetime import UTC, datetime

import pytest

from app import clock
from app.catalogue.catalogue import load_catalogue
from tests.builders import report_body


def test_everyone_reads_the_shipped_catalogue(cast, as_user):
    body = as_user(cast.member).get("/api/catalogue").get_json()
    assert body["version"] == 0
    codes = [c["code"] for c in body["data"]["categories"]]
    assert codes[:6] == [
        "party_building",
        "comprehensive_governance",
        "civil_affairs",
        "urban_management",
        "petitions",
        "emergency_management",
    ]
    assert "other" in codes


def test_only_district_admins_edit_and_bad_edits_name_the_path(cast, as_user):
    data = copy.deepcopy(as_user(cast.member).get("/api/catalogue").get_json()["data"])
    refused = as_user(cast.secretary).put("/api/catalogue", json={"data": data})
    assert refused.status_code == 403

    admin = as_user(cast.district_admin)
    broken = copy.deepcopy(data)
    broken["categories"][3]["subcategories"][0]["limits"]["handle"]["urgent"]["unit"] = "fortnights"
    response = admin.put("/api/catalogue", json={"data": broken})
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert any(path.endswith("limits.handle.urgent.unit") for path in fields)

    data["categories"][3]["subcategories"][1]["name"] = "乱堆乱放（新）"
    saved = admin.put("/api/catalogue", json={"data": data})
    assert saved.status_code == 200 and saved.get_json()["version"] == 1
    assert as_user(cast.member).get("/api/catalogue").get_json()["version"] == 1


def test_a_new_time_limit_applies_to_new_reports(cast, as_user, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 12, 1, 2, 0, tzinfo=UTC))  # Tue 10:00
    member, admin = as_user(cast.member), as_user(cast.district_admin)
    before = member.post("/api/incidents", json=report_body(cast.grid)).get_json()
    data = load_catalogue().to_dict()
    for category in data["categories"]:
        for sub in category["subcategories"]:
            if sub["code"] == "clutter_piling":
                sub["limits"]["accept"]["ordinary"] = {"amount": 3, "unit": "working_hours"}
    assert admin.put("/api/catalogue", json={"data": data}).status_code == 200
    after = member.post("/api/incidents", json=report_body(cast.grid)).get_json()
    # 10:00-12:00, lunch, 14:30-15:30 in Tongren.
    assert datetime.fromisoformat(after["deadline"]) == datetime(2026, 12, 1, 7, 30, tzinfo=UTC)
    assert after["deadline"] != before["deadline"]


def test_holidays_shift_working_time_deadlines(cast, as_user, monkeypatch):
    # Friday 2026-12-04 17:30 in Tongren; one working hour runs to Monday 09:00...
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 12, 4, 9, 30, tzinfo=UTC))
    member, admin = as_user(cast.member), as_user(cast.district_admin)
    data = load_catalogue().to_dict()
    for category in data["categories"]:
        for sub in category["subcategories"]:
            if sub["code"] == "clutter_piling":
                sub["limits"]["accept"]["ordinary"] = {"amount": 1, "unit": "working_hours"}
    admin.put("/api/catalogue", json={"data": data})
    first = member.post("/api/incidents", json=report_body(cast.grid)).get_json()
    assert datetime.fromisoformat(first["deadline"]) == datetime(2026, 12, 7, 1, 0, tzinfo=UTC)

    # ...unless Monday is made a holiday: then Tuesday 09:00.
    holidays = member.get("/api/calendar/holidays").get_json()["data"]
    holidays["years"][0]["holidays"].append(
        {"name": "演练假日", "start": "2026-12-07", "end": "2026-12-07"}
    )
    saved = admin.put("/api/calendar/holidays", json={"data": holidays})
    assert saved.status_code == 200, saved.get_json()
    second = member.post("/api/incidents", json=report_body(cast.grid)).get_json()
    assert datetime.fromisoformat(second["deadline"]) == datetime(2026, 12, 8, 1, 0, tzinfo=UTC)

    bad = admin.put("/api/calendar/holidays", json={"data": {"years": [{"year": "x"}]}})
    assert bad.status_code == 422 and bad.get_json()["error"]["fields"]


@pytest.mark.parametrize(
    "years, field",
    [
        (7, "years"),
        ([], "years"),
        (
            [
                {
                    "year": 2027,
                    "holidays": [{"name": "元旦", "start": "2027-01-03", "end": "2027-01-01"}],
                }
            ],
            "years[0].holidays[0].end",
        ),
        (
            [{"year": 2027}, {"year": 2027, "workdays": [{"name": "调休", "date": "2027-01-05"}]}],
            "years[1].workdays[0].date",
        ),
        ([{"year": 2026}, {"year": 2027}, {"year": 2026}], "years[2].year"),
    ],
)
def test_a_refused_holiday_list_names_the_year_and_field(cast, as_user, years, field):
    admin = as_user(cast.district_admin)
    before = admin.get("/api/calendar/holidays").get_json()
    bad = admin.put("/api/calendar/holidays", json={"data": {"years": years}})
    assert bad.status_code == 422, bad.get_json()
    assert field in bad.get_json()["error"]["fields"]
    assert admin.get("/api/calendar/holidays").get_json() == before


def test_a_worker_asks_for_new_versions_every_few_seconds_and_sees_its_own_at_once(
    app, cast, as_user, db, monkeypatch
):
    from app.catalogue import services
    from app.catalogue.models import ReferenceDocument

    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 12, 1, 2, 0, tzinfo=UTC))  # Tue 10:00
    monkeypatch.setitem(app.config, "REFERENCE_CHECK_SECONDS", 5)
    seconds = [1000.0]
    monkeypatch.setattr(services.time, "monotonic", lambda: seconds[0])
    monkeypatch.setattr(services, "_seen", {})  # what earlier tests' requests read
    member, admin = as_user(cast.member), as_user(cast.district_admin)

    def deadline():
        return member.post("/api/incidents", json=report_body(cast.grid)).get_json()["deadline"]

    def limited(hours):
        data = load_catalogue().to_dict()
        for category in data["categories"]:
            for sub in category["subcategories"]:
                if sub["code"] == "clutter_piling":
                    sub["limits"]["accept"]["ordinary"] = {"amount": hours, "unit": "working_hours"}
        return data

    shipped = deadline()
    # Another worker saves a version: this one goes on with what it read, for a few seconds.
    db.session.add(ReferenceDocument(kind="catalogue", version=1, data=limited(3)))
    db.session.commit()
    seconds[0] += 4
    assert deadline() == shipped
    seconds[0] += 2
    three_hours = deadline()
    assert three_hours != shipped
    # One saved here is in force here at once.
    assert admin.put("/api/catalogue", json={"data": limited(2)}).status_code == 200
    assert deadline() not in (shipped, three_hours)

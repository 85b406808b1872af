"""Category catalogue: the shipped file is valid and sensible; broken edits name their path."""

import copy
import json
from datetime import datetime

import pytest

from app.catalogue import (
    STAGES,
    Catalogue,
    InvalidData,
    Limit,
    load_calendar,
    load_catalogue,
    validate_catalogue,
)
from app.catalogue.calendar import DATA_DIR, TZ

# The department codes of the demo (app/people/demo.py), copied so this test needs no Flask.
DEPARTMENTS = {
    "urban_management",
    "civil_affairs",
    "emergency_management",
    "housing",
    "water",
    "market_regulation",
    "public_security",
    "petitions",
}
LINES_OF_WORK = [
    "party_building",
    "comprehensive_governance",
    "civil_affairs",
    "urban_management",
    "petitions",
    "emergency_management",
    "other",
]


@pytest.fixture
def data():
    return json.loads((DATA_DIR / "categories.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue(departments=DEPARTMENTS)


def test_shipped_catalogue_is_valid(data):
    assert validate_catalogue(data, DEPARTMENTS) == []
    assert data["version"] >= 1
    assert "GB/T 30428" in data["source"]


def test_shipped_catalogue_covers_the_six_lines_and_other(catalogue):
    assert [c.code for c in catalogue] == LINES_OF_WORK
    assert [c.name for c in catalogue] == [
        "党建",
        "综治",
        "民政",
        "城管",
        "信访",
        "应急管理",
        "其他",
    ]
    for category in catalogue:
        assert 3 <= len(category.subcategories) <= 6, category.code


STARTS = [
    datetime(2026, 1, 12, 10, tzinfo=TZ),  # Monday morning
    datetime(2026, 1, 9, 17, 45, tzinfo=TZ),  # Friday evening
    datetime(2026, 9, 30, 22, tzinfo=TZ),  # the night before National Day
]


def test_shipped_catalogue_is_sensible(catalogue):
    calendar = load_calendar()
    for sub in catalogue.subcategories():
        assert sub.department is None or sub.department in DEPARTMENTS
        for stage in STAGES:
            ordinary, urgent = sub.limit(stage), sub.limit(stage, urgent=True)
            for start in STARTS:
                # An urgent case is never due later than an ordinary one.
                assert calendar.deadline(start, urgent) <= calendar.deadline(start, ordinary)
        # Safety hazards run in natural time when urgent: nights and holidays do not pause them.
        if sub.category_code == "emergency_management":
            assert all(sub.limit(stage, urgent=True).natural for stage in STAGES), sub.code


def test_lookups(catalogue):
    assert catalogue.category("urban_management").name == "城管"
    manhole = catalogue.subcategory("manhole_cover")
    assert manhole.name == "井盖缺失/破损"
    assert manhole.category_code == "urban_management"
    assert manhole.department == "urban_management"
    assert catalogue.limit("manhole_cover", "accept", urgent=True) == Limit(10, "natural_minutes")
    assert catalogue.limit("manhole_cover", "handle", urgent=False) == Limit(1, "working_days")
    assert catalogue.subcategory("micro_wish").department is None
    assert "street_vending" in catalogue and "urban_management" in catalogue
    assert "nothing" not in catalogue
    assert len(catalogue) == 7
    with pytest.raises(KeyError):
        catalogue.category("street_vending")
    with pytest.raises(KeyError):
        catalogue.subcategory("urban_management")
    with pytest.raises(ValueError):
        catalogue.limit("manhole_cover", "close", urgent=False)


def test_round_trip(data):
    catalogue = Catalogue(data)
    assert catalogue.to_dict() == data
    catalogue.to_dict()["version"] = 99  # a copy: the catalogue is not changed
    assert catalogue.version == data["version"]


def test_invalid_catalogue_raises_with_every_problem(data):
    data["categories"][0]["code"] = "Party Building"
    data["categories"][1]["subcategories"][0]["limits"]["handle"]["urgent"]["unit"] = "hours"
    with pytest.raises(InvalidData) as raised:
        Catalogue(data)
    paths = [p.path for p in raised.value.problems]
    assert paths == [
        "categories[0].code",
        "categories[1].subcategories[0].limits.handle.urgent.unit",
    ]
    assert "categories[0].code" in str(raised.value)
    assert raised.value.problems[0].as_dict()["path"] == "categories[0].code"


def test_unknown_department_only_with_a_department_list(data):
    data["categories"][3]["subcategories"][0]["department"] = "transport"
    assert validate_catalogue(data) == []
    problems = validate_catalogue(data, DEPARTMENTS)
    assert [str(p) for p in problems] == [
        "categories[3].subcategories[0].department: unknown department 'transport'"
    ]


def _sub(d, i=2, j=1):
    return d["categories"][i]["subcategories"][j]


def _set(path_fn, key, value):
    def edit(d):
        path_fn(d)[key] = value

    return edit


def _drop(path_fn, key):
    def edit(d):
        del path_fn(d)[key]

    return edit


def _limits(d):
    return _sub(d)["limits"]


# Each edit breaks the shipped catalogue in one place; the problem must name that place.
INVALID_EDITS = [
    ("not an object", lambda d: d.clear() or d.update(categories="x"), "categories"),
    ("version not a number", _set(lambda d: d, "version", "1"), "version"),
    ("version zero", _set(lambda d: d, "version", 0), "version"),
    ("unknown top key", _set(lambda d: d, "categorys", []), "categorys"),
    ("empty categories", _set(lambda d: d, "categories", []), "categories"),
    ("category not an object", lambda d: d["categories"].append("城管"), "categories[7]"),
    ("category without name", _drop(lambda d: d["categories"][4], "name"), "categories[4].name"),
    ("blank name", _set(_sub, "name", "  "), "categories[2].subcategories[1].name"),
    (
        "duplicate category code",
        _set(lambda d: d["categories"][6], "code", "petitions"),
        "categories[6].code",
    ),
    (
        "empty subcategories",
        _set(lambda d: d["categories"][0], "subcategories", []),
        "categories[0].subcategories",
    ),
    (
        "duplicate subcategory code across categories",
        _set(lambda d: _sub(d, 6, 0), "code", "street_vending"),
        "categories[6].subcategories[0].code",
    ),
    (
        "subcategory code equal to a category code",
        _set(lambda d: _sub(d, 6, 2), "code", "other"),
        "categories[6].subcategories[2].code",
    ),
    ("code with capitals", _set(_sub, "code", "MicroWish"), "categories[2].subcategories[1].code"),
    ("code too long", _set(_sub, "code", "a" * 41), "categories[2].subcategories[1].code"),
    (
        "missing filing condition",
        _drop(_sub, "filing_condition"),
        "categories[2].subcategories[1].filing_condition",
    ),
    (
        "closing condition not text",
        _set(_sub, "closing_condition", ["已办结"]),
        "categories[2].subcategories[1].closing_condition",
    ),
    (
        "department not a code",
        _set(_sub, "department", "区民政局"),
        "categories[2].subcategories[1].department",
    ),
    (
        "missing department key (null must be explicit)",
        _drop(_sub, "department"),
        "categories[2].subcategories[1].department",
    ),
    ("typo in a field", _set(_sub, "limit", {}), "categories[2].subcategories[1].limit"),
    ("limits not an object", _set(_sub, "limits", []), "categories[2].subcategories[1].limits"),
    ("missing stage", _drop(_limits, "check"), "categories[2].subcategories[1].limits.check"),
    ("unknown stage", _set(_limits, "close", {}), "categories[2].subcategories[1].limits.close"),
    (
        "missing urgent",
        _drop(lambda d: _limits(d)["dispatch"], "urgent"),
        "categories[2].subcategories[1].limits.dispatch.urgent",
    ),
    (
        "unknown unit",
        _set(lambda d: _limits(d)["handle"]["urgent"], "unit", "hours"),
        "categories[2].subcategories[1].limits.handle.urgent.unit",
    ),
    (
        "amount zero",
        _set(lambda d: _limits(d)["accept"]["ordinary"], "amount", 0),
        "categories[2].subcategories[1].limits.accept.ordinary.amount",
    ),
    (
        "amount fractional",
        _set(lambda d: _limits(d)["accept"]["ordinary"], "amount", 1.5),
        "categories[2].subcategories[1].limits.accept.ordinary.amount",
    ),
    (
        "amount absurd",
        _set(lambda d: _limits(d)["handle"]["ordinary"], "amount", 1000),
        "categories[2].subcategories[1].limits.handle.ordinary.amount",
    ),
    (
        "limit not an object",
        _set(lambda d: _limits(d)["check"], "ordinary", 3),
        "categories[2].subcategories[1].limits.check.ordinary",
    ),
    (
        "urgent longer than ordinary",
        _set(lambda d: _limits(d)["handle"], "urgent", {"amount": 30, "unit": "working_days"}),
        "categories[2].subcategories[1].limits.handle.urgent",
    ),
]


@pytest.mark.parametrize(
    "edit, path", [c[1:] for c in INVALID_EDITS], ids=[c[0] for c in INVALID_EDITS]
)
def test_invalid_edit_names_the_path(data, edit, path):
    edited = copy.deepcopy(data)
    edit(edited)
    problems = validate_catalogue(edited, DEPARTMENTS)
    assert path in [p.path for p in problems], [str(p) for p in problems]
    assert all(p.reason for p in problems)


@pytest.mark.parametrize("document", [None, [], "catalogue", 7])
def test_non_object_documents(document):
    assert [p.path for p in validate_catalogue(document)] == [""]


def test_load_from_a_path(tmp_path, data):
    data["categories"][6]["subcategories"][0]["name"] = "市场秩序"
    path = tmp_path / "categories.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert load_catalogue(path).subcategory("market_order").name == "市场秩序"

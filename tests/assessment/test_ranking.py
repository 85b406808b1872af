"""Scores, grades and ranks by the plan on facts set by hand: the bands, 样本不足, the tie
rule, exclusions, the children's share (捆绑), manual scores and 加减分; appeals, publishing
and freezing; the bulletin; who may read and do what."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert

from app.assessment import facts, ranking
from app.assessment import plan as plans
from app.assessment.models import EntityFact

TZ = ZoneInfo("Asia/Shanghai")
RATE = {"key": "on_time_close_rate", "weight": 1, "bands": [[0, 0], [1, 100]]}


def a_plan(**changes):
    plan = {
        "name": "测试方案",
        "return_visit": {"reopen_dissatisfied": True},
        "grades": [["A", 90], ["B", 75], ["C", 60], ["D", 40], ["E", 0]],
        "appeal_days": 5,
        "bulletin_size": 2,
        "manual_weight": 0.1,
        "levels": {
            "grid": {"min_sample": 3, "indicators": [RATE]},
            "community": {"min_sample": 0, "children_weight": 0.5, "indicators": [RATE]},
        },
        "exclusions": [],
    }
    plan.update(changes)
    return plan


_serial = iter(range(1, 10**6))


def put(grid, day, due, on_time):
    """Facts of `due` cases of a grid on a day, `on_time` of them closed on time."""
    rows = []
    for n in range(due):
        case = f"case-{next(_serial)}"
        for measure in ("due", "on_time") if n < on_time else ("due",):
            rows.append(
                {
                    "entity": "incident",
                    "entity_id": case,
                    "unit_id": grid.id,
                    "measure": measure,
                    "day": day,
                    "value": 1.0,
                }
            )
    facts.db.session.execute(insert(EntityFact), rows)
    facts._resum({day})
    facts.db.session.commit()


@pytest.fixture
def grids(cast, db):
    """The five grids of cast.community: 90%, 80% of 10, 80% of 5, too few, 50%."""
    plans.replace(a_plan(), cast.district_admin)
    g = sorted((u for u in cast.community.children), key=lambda u: u.code)
    assert len(g) == 5 and cast.grid in g
    put(g[0], date(2026, 3, 5), 8, 8)
    put(g[0], date(2026, 3, 10), 2, 1)
    put(g[1], date(2026, 3, 6), 10, 8)
    put(g[2], date(2026, 3, 6), 5, 4)
    put(g[3], date(2026, 3, 6), 2, 2)
    put(g[4], date(2026, 3, 7), 4, 2)
    put(g[4], date(2026, 4, 1), 6, 0)  # April's: not March's
    return g


def rows(key="2026-03", level="grid"):
    return {r["code"]: r for r in ranking.compute(key)["levels"][level]}


def test_scores_grades_and_ranks_among_peers(grids):
    got = rows()
    table = [(got[g.code]["score"], got[g.code]["grade"], got[g.code]["rank"]) for g in grids]
    assert table == [
        (90.0, "A", 1),
        (80.0, "B", 2),  # ties with the next on score and rate: the larger sample first
        (80.0, "B", 3),
        (100.0, None, None),  # 2 cases: 样本不足, shown but not ranked
        (50.0, "D", 4),
    ]
    assert got[grids[3].code]["insufficient"] and not got[grids[3].code]["ranked"]
    assert {got[g.code]["peers"] for g in grids if got[g.code]["ranked"]} == {4}


def test_a_rerun_gives_the_same_order_and_codes_break_the_last_ties(grids):
    assert [r["code"] for r in ranking.compute("2026-03")["levels"]["grid"]] == [
        r["code"] for r in ranking.compute("2026-03")["levels"]["grid"]
    ]
    twins = [
        {"code": code, "parent": "c", "ranked": True, "score": 80.0, "sample": 5.0,
         "indicators": {"on_time_close_rate": 0.8}}
        for code in ("g2", "g1")
    ]  # fmt: skip
    ranking._rank(twins)
    assert [(r["code"], r["rank"]) for r in twins] == [("g1", 1), ("g2", 2)]


def test_the_community_holds_its_grids_and_their_scores(grids, cast):
    community = rows(level="community")[cast.community.code]
    own = 100 * (9 + 8 + 4 + 2 + 2) / (10 + 10 + 5 + 2 + 4)  # every grid's cases, 样本不足 too
    children = (90 + 80 + 80 + 50) / 4  # the ranked grids' scores (捆绑)
    assert community["own_score"] == pytest.approx(own)
    assert community["children_score"] == pytest.approx(children)
    assert community["score"] == pytest.approx(0.5 * own + 0.5 * children, abs=0.01)
    assert community["grade"] == "B"


@pytest.mark.parametrize(
    "days, unit, score",
    [
        (("2026-03-10", "2026-03-10"), None, 100.0),  # a day, everywhere: 8 of 8
        (("2026-03-10", "2026-03-10"), 0, 100.0),  # the grid's own bad day
        (("2026-03-10", "2026-03-10"), 1, 90.0),  # another grid's: 9 of 10
        (("2026-03-01", "2026-03-09"), None, 50.0),  # all but the 10th: 1 of 2
    ],
)
def test_exclusions_take_days_out(grids, cast, days, unit, score):
    exclusion = {"from": days[0], "to": days[1], "reason": "停电"}
    if unit is not None:
        exclusion["unit"] = grids[unit].code
    plans.replace(a_plan(exclusions=[exclusion]), cast.district_admin)
    assert rows()[grids[0].code]["score"] == score


def test_an_excluded_unit_counts_nowhere(grids, cast):
    plans.replace(
        a_plan(exclusions=[{"unit": grids[4].code, "reason": "新划网格"}]), cast.district_admin
    )
    got = rows()
    assert got[grids[4].code]["excluded"] and got[grids[4].code]["rank"] is None
    community = rows(level="community")[cast.community.code]
    assert community["own_score"] == pytest.approx(100 * 23 / 27)


def test_manual_scores_and_points(grids, cast, as_user):
    street = as_user(cast.street_admin)
    for grid, kind, value in ((grids[1], "manual", 60), (grids[0], "points", -5)):
        response = street.post(
            "/api/assessment/periods/2026-03/adjustments",
            json={"level": "grid", "id": grid.id, "kind": kind, "value": value,
                  "reason": "专项检查", "evidence": ["检查记录3号"]},
        )  # fmt: skip
        assert response.status_code == 201, response.get_json()
    got = rows()
    assert got[grids[1].code]["score"] == pytest.approx(0.9 * 80 + 0.1 * 60)
    assert got[grids[0].code]["score"] == 85.0 and got[grids[0].code]["grade"] == "B"
    listed = street.get("/api/assessment/periods/2026-03/adjustments").get_json()
    assert [(a["kind"], a["entered_by"]["id"]) for a in listed] == [
        ("manual", cast.street_admin.id),
        ("points", cast.street_admin.id),
    ]
    body = {"level": "grid", "id": grids[0].id, "kind": "points", "value": 5, "reason": "x"}
    assert (
        as_user(cast.secretary)
        .post("/api/assessment/periods/2026-03/adjustments", json=body)
        .status_code
        == 403
    )


def test_appeal_correct_publish_and_freeze(grids, cast, as_user, frozen):
    frozen.at = datetime(2026, 4, 2, 9, tzinfo=TZ)
    district, secretary = as_user(cast.district_admin), as_user(cast.secretary)
    base = "/api/assessment/periods/2026-03"
    assert secretary.post(f"{base}/open").status_code == 403
    opened = district.post(f"{base}/open").get_json()
    assert opened["state"] == "appeal"
    appeal = {"level": "grid", "id": grids[4].id, "indicator": "on_time_close_rate",
              "cases": ["case-x"], "reason": "两件为系统故障超期"}  # fmt: skip
    assert as_user(cast.member).post(f"{base}/appeals", json=appeal).status_code == 403
    assert as_user(cast.outside_secretary).post(f"{base}/appeals", json=appeal).status_code == 403
    filed = secretary.post(f"{base}/appeals", json=appeal)
    assert filed.status_code == 201
    refused = secretary.post(f"{base}/appeals", json={**appeal, "id": grids[1].id}).get_json()
    # While the window is open nobody publishes; a decided appeal stays decided.
    assert district.post(f"{base}/publish").get_json()["error"]["code"] == "appeal_open"
    decide = "/api/assessment/appeals/{}/decide"
    assert (
        secretary.post(decide.format(filed.get_json()["id"]), json={"accepted": True}).status_code
        == 403
    )
    assert (
        district.post(decide.format(filed.get_json()["id"]), json={"accepted": True}).status_code
        == 422
    )
    district.post(decide.format(filed.get_json()["id"]), json={"accepted": True, "value": 1.0})
    district.post(decide.format(refused["id"]), json={"accepted": False, "note": "不符"})
    frozen.move(days=6)
    late = secretary.post(f"{base}/appeals", json=appeal)
    assert late.get_json()["error"]["code"] == "appeal_closed"
    published = district.post(f"{base}/publish").get_json()
    assert published["state"] == "published"
    by_code = {r["code"]: r for r in published["levels"]["grid"]}
    assert by_code[grids[4].code]["indicators"]["on_time_close_rate"] == 1.0
    assert (by_code[grids[4].code]["score"], by_code[grids[4].code]["rank"]) == (100.0, 1)
    # History arriving later changes the facts, never the published period.
    put(grids[0], date(2026, 3, 20), 10, 0)
    put(grids[3], date(2026, 3, 21), 10, 10)
    assert ranking.compute("2026-03")["levels"] != published["levels"]
    again = district.get(base).get_json()
    assert again["levels"] == published["levels"] and again["state"] == "published"
    assert district.post(f"{base}/publish").status_code == 409


def test_a_period_opens_for_appeal_once_it_is_over(grids, cast, as_user, frozen):
    frozen.at = datetime(2026, 3, 20, 9, tzinfo=TZ)
    response = as_user(cast.district_admin).post("/api/assessment/periods/2026-03/open")
    assert response.get_json()["error"]["code"] == "period_not_over"


def test_the_bulletin_lists_the_top_and_the_bottom_with_their_change(grids, cast):
    put(grids[0], date(2025, 12, 5), 10, 5)  # last quarter: grid 0 scored 50
    put(grids[1], date(2025, 12, 5), 10, 9)
    bulletin = ranking.bulletin("2026-Q1")
    grid = bulletin["levels"]["grid"]
    assert bulletin["previous"] == "2025-Q4"
    assert [
        (r["code"], r["place"], r["previous_place"], r["score_change"]) for r in grid["red"]
    ] == [
        (grids[0].code, 1, 2, 40.0),
        (grids[1].code, 2, 1, -10.0),
    ]
    assert [r["code"] for r in grid["black"]] == [grids[4].code, grids[2].code]
    assert grid["grades"] == {"A": 1, "B": 2, "D": 1}
    assert grid["insufficient"] == 35 - 4  # the district's other grids have no cases


@pytest.mark.parametrize(
    "role, status",
    [("member", 403), ("secretary", 200), ("street_admin", 200), ("dept_user", 200),
     ("district_admin", 200)],
)  # fmt: skip
def test_who_reads_rankings(grids, cast, as_user, role, status):
    client = as_user(getattr(cast, role))
    assert client.get("/api/assessment/periods/2026-03?level=grid").status_code == status
    assert client.get("/api/assessment/periods/2026-Q1/bulletin").status_code == status
    mine = client.get("/api/assessment/periods/2026-03/mine")
    assert mine.status_code == 200


def test_a_member_sees_their_own_figures_and_their_grids_place(grids, cast, as_user):
    mine = as_user(cast.member).get("/api/assessment/periods/2026-03/mine").get_json()
    assert [(g["code"], g["rank"]) for g in mine["grids"]] == [
        (cast.grid.code, rows()[cast.grid.code]["rank"])
    ]


def test_a_leaders_sheet_lists_the_units_they_answer_for(grids, cast, db, as_user):
    from tests.conftest import make_user

    leader = make_user("district_admin", [cast.district_admin.units[0]],
                       responsible_for=[grids[0], cast.community])  # fmt: skip
    sheet = as_user(leader).get("/api/assessment/periods/2026-03/sheet").get_json()
    assert [(r["level"], r["code"]) for r in sheet] == [
        ("grid", grids[0].code),
        ("community", cast.community.code),
    ]


@pytest.mark.parametrize(
    "change, path",
    [
        ({"grades": [["A", 90], ["B", 95], ["E", 0]]}, "grades"),
        ({"grades": [["A", 90], ["E", 10]]}, "grades[1]"),
        ({"levels": {"grid": {"indicators": [{**RATE, "key": "speed"}]}}},
         "levels.grid.indicators[0].key"),
        ({"levels": {"grid": {"indicators": [{**RATE, "weight": 0}]}}},
         "levels.grid.indicators[0].weight"),
        ({"levels": {"grid": {"indicators": [{**RATE, "bands": [[1, 0], [0, 100]]}]}}},
         "levels.grid.indicators[0].bands"),
        ({"levels": {"grid": {"indicators": [{**RATE, "bands": [[0, 0], [1, 120]]}]}}},
         "levels.grid.indicators[0].bands[1][1]"),
        ({"levels": {"grid": {"indicators": [RATE, RATE]}}}, "levels.grid.indicators[1].key"),
        ({"levels": {"town": {"indicators": [RATE]}}}, "levels.town"),
        ({"levels": {"grid": {"indicators": [RATE], "children_weight": 2}}},
         "levels.grid.children_weight"),
        ({"exclusions": [{"reason": "停电"}]}, "exclusions[0]"),
        ({"exclusions": [{"from": "2026-03-02", "to": "2026-03-01", "reason": "x"}]},
         "exclusions[0].to"),
        ({"exclusions": [{"unit": "x", "reason": "x", "from": "yesterday", "to": "2026-03-01"}]},
         "exclusions[0].from"),
        ({"return_visit": {}}, "return_visit.reopen_dissatisfied"),
        ({"colour": "red"}, "colour"),
    ],
)  # fmt: skip
def test_a_plan_names_every_problem_by_its_path(cast, as_user, change, path):
    response = as_user(cast.district_admin).put(
        "/api/assessment/plan", json={"data": a_plan(**change)}
    )
    assert response.status_code == 422
    assert path in response.get_json()["error"]["fields"], response.get_json()


def test_the_plan_is_versioned_and_edited_by_the_district(cast, as_user):
    district = as_user(cast.district_admin)
    assert district.get("/api/assessment/plan").get_json()["version"] == 0
    assert plans.validate(district.get("/api/assessment/plan").get_json()["data"]) == []
    assert (
        as_user(cast.secretary).put("/api/assessment/plan", json={"data": a_plan()}).status_code
        == 403
    )
    assert district.put("/api/assessment/plan", json={"data": a_plan()}).get_json()["version"] == 1
    assert district.get("/api/assessment/plan").get_json()["data"]["name"] == "测试方案"

"""Indicators against numbers worked out by hand on a small month of one grid: the counting
rule (a case counts in the month its handling deadline falls), extensions, rework, overdue,
working hours, source, supervision and return visits; whistles, tasks and roll-calls, drills
left out."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.assessment import facts, ranking
from app.assessment import plan as plans
from app.assessment.periods import parse
from app.emergency import rollcalls
from app.errors import Invalid
from app.incidents import services as incidents
from app.incidents.schemas import ReportIn
from app.return_visits import services as visits
from app.tasks import services as tasks
from tests.builders import report_body
from tests.tasks.conftest import task_body

TZ = ZoneInfo("Asia/Shanghai")
AFTER = [{"sha256": "b" * 64, "kind": "after"}]


def at(month, day, hour, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=TZ)


class Month:
    """Runs the services at given moments of the district's clock."""

    def __init__(self, cast, frozen):
        self.cast, self.frozen = cast, frozen

    def when(self, moment):
        self.frozen.at = moment
        return self

    def report(self, moment, **extra):
        self.when(moment)
        body = ReportIn().load(report_body(self.cast.grid, **extra))
        return incidents.report(self.cast.member, body).incident.id

    def dispatched(self, reported, deadline, **extra):
        """Reported, accepted an hour later, dispatched an hour after that (by 11:00)."""
        case = self.report(reported, **extra)
        self.when(reported + timedelta(hours=1))
        incidents.accept(self.cast.secretary, case)
        self.when(reported + timedelta(hours=2))
        incidents.dispatch(self.cast.secretary, case, self.cast.colleague.id, deadline=deadline)
        return case

    def handle(self, case, moment):
        self.when(moment)
        incidents.handle(self.cast.colleague, case, "已处置", AFTER)

    def check(self, case, moment, passed=True):
        self.when(moment)
        incidents.check(self.cast.secretary, case, passed, None if passed else "没清干净")


@pytest.fixture
def month(cast, frozen):
    return Month(cast, frozen)


@pytest.fixture
def march(month, cast, frozen):
    """Seven cases of cast.grid; six count in March. Hand-worked figures in EXPECTED."""
    m = month
    # A: on time. Reported 09:00, accepted 10:00, dispatched 11:00, handled 3-05, closed.
    a = m.dispatched(at(3, 2, 9), at(3, 10, 18))
    m.handle(a, at(3, 5, 10))
    m.check(a, at(3, 5, 15))
    # B: never handled; its deadline passed. Supervised (督办).
    b = m.dispatched(at(3, 2, 9), at(3, 12, 18))
    m.when(at(3, 13, 9))
    incidents.supervise(cast.street_admin, b, "请加快")
    # C: extended into April: it counts there, not in March.
    c = m.dispatched(at(3, 3, 9), at(3, 15, 18))
    m.when(at(3, 10, 9))
    incidents.extend(cast.secretary, c, at(4, 3, 18), "需协调物业")
    # D: reported in February, due in March: counts in March, on time.
    d = m.dispatched(at(2, 26, 9), at(3, 3, 18))
    m.handle(d, at(3, 2, 10))
    m.check(d, at(3, 2, 15))
    # E: handled on the spot (自行处置) when reported, closed.
    e = m.report(
        at(3, 4, 9),
        handled_on_spot=True,
        photos=[{"sha256": "a" * 64, "kind": "before"}, *AFTER],
    )
    m.when(at(3, 4, 10))
    incidents.check(cast.secretary, e, True)
    # F: handled, failed its check (返工), handled again after its deadline, closed.
    f = m.dispatched(at(3, 2, 9), at(3, 9, 18))
    m.handle(f, at(3, 6, 10))
    m.check(f, at(3, 6, 15), passed=False)
    m.handle(f, at(3, 11, 10))
    m.check(f, at(3, 11, 15))
    # G: from the 12345 hotline; closed on time; the resident was satisfied.
    g = m.dispatched(at(3, 16, 9), at(3, 20, 18), source="hotline_12345")
    m.handle(g, at(3, 18, 10))
    m.check(g, at(3, 18, 15))
    m.when(at(3, 19, 10))
    visits.record(cast.secretary, g, "satisfied", "满意")
    m.when(at(3, 25, 9))
    facts.refresh()
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f, "g": g}


def grid_row(key, cast):
    return next(r for r in ranking.compute(key)["levels"]["grid"] if r["id"] == cast.grid.id)


EXPECTED = [
    ("on_time_close_rate", 4 / 6),  # A, D, E, G (F was handled late)
    ("close_rate", 5 / 6),  # A, D, E, F, G
    ("handle_rate", 5 / 6),
    ("rework_rate", 1 / 6),  # F
    ("extension_rate", 0.0),  # C was extended, but into April
    ("overdue_rate", 2 / 6),  # B (never handled), F (handled late)
    ("accept_hours", 1.0),  # A, B, D, F, G: an hour each (E was never accepted)
    ("dispatch_hours", 1.0),
    ("supervised", 1.0),  # B
    ("active_rate", 5 / 6),  # all but G, from the hotline
    ("satisfaction", 1.0),  # G: satisfied, the one reached
]


def test_a_grid_month_by_hand(march, cast):
    """The table above, each indicator against its hand-worked value (one month, built once)."""
    row = grid_row("2026-03", cast)
    assert row["sample"] == 6
    got = {indicator: row["indicators"][indicator] for indicator, _ in EXPECTED}
    assert got == pytest.approx(dict(EXPECTED)), got


def test_handle_hours_are_working_hours(march, cast):
    """Dispatch to first handling in working hours (8:30-12:00, 14:30-18:00): from 11:00
    the rest of a day is 4.5 h, a whole day 7 h, 8:30-10:00 is 1.5 h."""
    a = 4.5 + 7 + 7 + 1.5  # 3-02 → 3-05
    d = 4.5 + 7 + 7 + 1.5  # 2-26 → 3-02: 2-27, and 2-28, a working Saturday (调休) of 2026
    f = 4.5 + 7 + 7 + 7 + 1.5  # 3-02 → 3-06, its first handling
    g = 4.5 + 7 + 1.5  # 3-16 → 3-18
    row = grid_row("2026-03", cast)
    assert row["indicators"]["handle_hours"] == pytest.approx((a + d + f + g) / 4)


def test_an_extended_case_counts_in_the_month_of_its_new_deadline(march, cast):
    april = grid_row("2026-04", cast)
    assert april["sample"] == 1 and april["indicators"]["extension_rate"] == 1.0
    behind = ranking.drill(cast.district_admin, "2026-04", "grid", cast.grid.id, "extension_rate")
    assert [d["id"] for d in behind] == [march["c"]]


def test_the_cases_behind_a_figure(march, cast):
    def ids(indicator, side="num"):
        rows = ranking.drill(cast.secretary, "2026-03", "grid", cast.grid.id, indicator, side)
        return sorted(r["id"] for r in rows)

    assert ids("rework_rate") == [march["f"]]
    assert ids("overdue_rate") == sorted([march["b"], march["f"]])
    assert ids("on_time_close_rate", "den") == sorted(march[k] for k in "abdefg")
    # The community's figure is its grids': the same cases.
    behind = ranking.drill(cast.secretary, "2026-03", "community", cast.community.id, "rework_rate")
    assert [r["id"] for r in behind] == [march["f"]]
    with pytest.raises(Exception) as outside:
        ranking.drill(cast.outside_secretary, "2026-03", "grid", cast.grid.id, "rework_rate")
    assert getattr(outside.value, "status", None) == 404


def test_a_case_turns_overdue_without_new_history(month, cast):
    case = month.dispatched(at(3, 2, 9), at(3, 3, 18))
    month.when(at(3, 3, 12))
    facts.refresh()
    assert grid_row("2026-03", cast)["indicators"]["overdue_rate"] == 0.0
    month.when(at(3, 4, 9))
    facts.refresh()  # nothing new in the history: the deadline passed
    assert grid_row("2026-03", cast)["indicators"]["overdue_rate"] == 1.0
    assert case


def test_the_persons_own_figures(march, cast):
    mine = ranking.person_figures("2026-03", cast.colleague.id)
    # The colleague handled A, D, F, G (E was the member's own); B is dispatched to them.
    assert mine["on_time_close_rate"] == pytest.approx(3 / 5)
    assert mine["rework_rate"] == pytest.approx(1 / 5)
    assert ranking.person_figures("2026-03", cast.member.id)["close_rate"] == 1.0
    plan = {**plans.plan(), "exclusions": [{"person": cast.colleague.id, "reason": "病假"}]}
    plans.replace(plan, cast.district_admin)
    assert ranking.person_figures("2026-03", cast.colleague.id) == {}


def test_whistles_count_for_their_department(month, cast):
    case = month.dispatched(at(3, 2, 9), at(3, 6, 18))
    month.when(at(3, 2, 12))
    calls = incidents.whistle(cast.street_admin, case, ["urban_management", "water"], minutes=30)
    by_department = {c.department_id: c.id for c in calls}
    month.when(at(3, 2, 12, 20))  # within 30 minutes
    incidents.whistle_step(cast.dept_user, by_department[cast.department.id], "report")
    month.when(at(3, 2, 12, 50))
    incidents.whistle_step(cast.dept_user, by_department[cast.department.id], "done", "已清运")
    month.when(at(3, 2, 14))
    incidents.rate_whistle(cast.street_admin, by_department[cast.department.id], 4)
    month.when(at(3, 2, 13))  # the other department reported in late
    other = cast.other_dept_user
    incidents.whistle_step(other, by_department[other.department_id], "report")
    facts.refresh()
    rows = {r["id"]: r for r in ranking.compute("2026-03")["levels"]["department"]}
    mine, late = rows[cast.department.id]["indicators"], rows[other.department_id]["indicators"]
    assert mine["whistle_on_time"] == 1.0 and late["whistle_on_time"] == 0.0
    assert mine["whistle_arrival"] == pytest.approx(50.0)  # arrived with its outcome, 50 min
    assert mine["whistle_rating"] == 4.0 and late["whistle_rating"] is None


def test_tasks_on_time_and_their_checks(month, cast):
    def task(deadline):
        month.when(at(3, 2, 9))
        made, _ = tasks.create(cast.secretary, task_body(cast.grid, deadline=deadline))
        tasks.claim(cast.member, made.id)
        return made.id

    point = (cast.grid.geom.representative_point().y, cast.grid.geom.representative_point().x)
    on_time, late, never = task(at(3, 5, 18)), task(at(3, 6, 18)), task(at(3, 7, 18))
    month.when(at(3, 4, 9))
    tasks.complete(cast.member, on_time, "完成", *point, AFTER)
    tasks.verify(cast.secretary, on_time, False, "不合格")
    month.when(at(3, 5, 9))
    tasks.complete(cast.member, on_time, "重做", *point, AFTER)
    tasks.verify(cast.secretary, on_time, True)
    month.when(at(3, 8, 9))
    tasks.complete(cast.member, late, "晚了", *point, AFTER)
    tasks.verify(cast.secretary, late, True)
    facts.refresh()
    row = grid_row("2026-03", cast)
    assert row["indicators"]["task_on_time"] == pytest.approx(1 / 3)
    behind = ranking.drill(cast.secretary, "2026-03", "grid", cast.grid.id, "task_pass_rate", "den")
    assert sorted(b["id"] for b in behind) == sorted([on_time, late])
    assert ranking.person_figures("2026-03", cast.member.id)["task_pass_rate"] == pytest.approx(
        2 / 3
    )
    assert never


def test_roll_calls_count_acknowledgements_and_drills_count_nowhere(month, cast, db):
    month.when(at(3, 2, 9))
    grids = [(cast.grid.id, cast.grid.code, cast.community.id, cast.street.id)]
    call, asked = rollcalls.call(cast.district_admin, grids, "汛期叫应", 10)
    drill, _ = rollcalls.call(cast.district_admin, grids, "演练", 10)
    drill.drill = True  # as a drill switch's roll-call is
    db.session.commit()
    assert {cast.member.id, cast.colleague.id} <= set(asked)
    month.when(at(3, 2, 9, 3))  # 3 minutes: within the 3rd minute
    rollcalls.acknowledge(cast.member, call.id)
    rollcalls.acknowledge(cast.member, drill.id)
    month.when(at(3, 2, 9, 7))
    rollcalls.acknowledge(cast.colleague, call.id)
    facts.refresh()
    row = grid_row("2026-03", cast)
    grid_asked = [u for u in asked if u in (cast.member.id, cast.colleague.id)]
    assert row["indicators"]["rollcall_ack_rate"] == pytest.approx(2 / len(grid_asked))
    assert row["indicators"]["rollcall_median_minutes"] == 4.0  # of 4 and 8: the lower middle
    behind = ranking.drill(cast.secretary, "2026-03", "grid", cast.grid.id, "rollcall_ack_rate")
    assert sorted(b["id"] for b in behind) == sorted(
        f"{call.id}:{u}" for u in (cast.member.id, cast.colleague.id)
    )


def test_periods():
    assert parse("2026-03")[1:] == ("month", parse("2026-03").start, parse("2026-04").start)
    assert parse("2026-Q1").previous().key == "2025-Q4"
    assert parse("2026-H2").previous().key == "2026-H1"
    assert parse("2026").end == parse("2027-01").start
    assert parse("2026-01").previous().key == "2025-12"
    for bad in ("2026-13", "2026-Q5", "26-01", "2026-H3", ""):
        with pytest.raises(Invalid):
            parse(bad)


def test_late_history_counts_in_the_period_it_arrives_in(march, cast, month):
    """March published; a March case handled in April and another reopened by a return
    visit in April: March's ranking and facts stay as published, April counts the changes, and the
    drill-down names the day each was counted for."""
    month.when(at(4, 1, 9))
    ranking.open_appeals(cast.district_admin, "2026-03")
    month.when(at(4, 7, 9))
    published = ranking.publish(cast.district_admin, "2026-03").result
    april = grid_row("2026-04", cast)["indicators"]
    assert (april["close_rate"], april["rework_rate"]) == (0.0, 0.0)  # C: due, not closed
    month.handle(march["b"], at(4, 8, 10))  # B, due 3-12, handled and closed late
    month.check(march["b"], at(4, 8, 15))
    month.when(at(4, 9, 10))
    visits.record(cast.secretary, march["a"], "dissatisfied", "没修好")  # A reopened
    facts.refresh()
    month.when(at(4, 10, 10))
    facts.refresh()  # again, nothing new: nothing counted twice

    def grid_rows(key):
        return [r for r in ranking.compute(key)["levels"]["grid"] if r["id"] == cast.grid.id]

    assert grid_rows("2026-03") == [
        r for r in published["levels"]["grid"] if r["id"] == cast.grid.id
    ], "March's facts stay as they were published"
    assert ranking.ranking("2026-03")["levels"] == published["levels"]
    line = ranking.trend(cast.secretary, "2026-04", "grid", cast.grid.id, "close_rate")
    mine = next(r for r in published["levels"]["grid"] if r["id"] == cast.grid.id)
    assert line[-2] == {"period": "2026-03", "value": mine["indicators"]["close_rate"]}
    row = grid_row("2026-04", cast)
    # April: C is its one case due; B's closing (+1) and A's reopening (-1) arrived.
    assert row["sample"] == 1
    assert row["indicators"]["close_rate"] == 0.0
    assert row["indicators"]["rework_rate"] == 1.0  # A, reworked after its visit
    assert row["indicators"]["satisfaction"] == 0.0  # A: one reached, dissatisfied

    def behind(indicator):
        return {
            (d["id"], d["value"], d["counted_for"] and d["counted_for"].isoformat())
            for d in ranking.drill(cast.secretary, "2026-04", "grid", cast.grid.id, indicator)
        }

    assert behind("close_rate") == {
        (march["b"], 1.0, "2026-03-12"),
        (march["a"], -1.0, "2026-03-10"),
    }
    assert behind("rework_rate") == {(march["a"], 1.0, "2026-03-10")}
    assert behind("extension_rate") == {(march["c"], 1.0, None)}  # counted on its own day
    # The whole year sums each case once: B closed, A reopened; C still open.
    year = grid_row("2026", cast)
    assert year["sample"] == 7 and year["indicators"]["close_rate"] == pytest.approx(5 / 7)


def test_the_sums_moved_by_each_rebuild_are_the_sums_made_whole(march, cast, month, db):
    """Each rebuild moves the monthly sums by its changes (an extension moving a case to
    another month, a case closed, a verdict); they equal the sums made again whole."""
    from sqlalchemy import select

    from app.assessment.models import MonthFact

    month.when(at(3, 26, 9))
    incidents.extend(cast.secretary, march["c"], at(5, 6, 18), "等待材料")
    month.handle(march["b"], at(3, 27, 10))
    facts.refresh()

    def kept(table, when):
        rows = db.session.execute(select(table)).scalars()
        return sorted(
            (getattr(r, when), r.subject, r.subject_id, r.measure, round(r.value, 6)) for r in rows
        )

    moved = kept(MonthFact, "month")
    assert any(r[0].month == 5 for r in moved)  # C, now due in May
    assert not any(r[0].month == 4 for r in moved)  # and no longer in April
    facts._resum({r[0] for r in moved} | {date(2026, 4, 3)})
    assert kept(MonthFact, "month") == moved


def test_an_indicators_trend_line(march, cast, as_user):
    """按期结案率 of the grid over the six months to April: nothing before March, 4 of 6 in
    March, C (due in April, open) in April; a member sees their own grid's line."""
    url = f"/api/assessment/periods/2026-04/trend?level=grid&id={cast.grid.id}"
    line = as_user(cast.member).get(f"{url}&indicator=on_time_close_rate").get_json()
    assert [p["period"] for p in line] == [
        "2025-11", "2025-12", "2026-01", "2026-02", "2026-03", "2026-04"
    ]  # fmt: skip
    assert [p["value"] for p in line] == [None, None, None, None, pytest.approx(4 / 6), 0.0]
    assert as_user(cast.outside_secretary).get(f"{url}&indicator=close_rate").status_code == 404

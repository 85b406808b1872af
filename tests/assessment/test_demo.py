"""The demo district's 考核 has numbers: months of cases, the month before last published,
last month open for appeal with one appeal."""

from sqlalchemy import select

from app import demo
from app.assessment import ranking
from app.assessment.models import Appeal, Period


def test_the_demo_has_a_published_month_and_one_open_for_appeal(db, tmp_path):
    demo.load(str(tmp_path), members=80, streets=7, communities=7, grids=35)
    periods = {p.key: p for p in db.session.execute(select(Period)).scalars()}
    assert sorted(p.state for p in periods.values()) == ["appeal", "published"]
    published = next(p for p in periods.values() if p.state == "published")
    ranked = [r for r in published.result["levels"]["grid"] if r["ranked"]]
    assert ranked and all(r["grade"] for r in ranked)
    [appeal] = db.session.execute(select(Appeal)).scalars().all()
    assert (
        appeal.state == "pending"
        and appeal.cases
        and periods[next(k for k, p in periods.items() if p.state == "appeal")].id
        == appeal.period_id
    )
    # The drill-down of the published month leads to its cases.
    row = ranked[0]
    admin = published.opened_by_id
    from app.people.models import User

    behind = ranking.drill(db.session.get(User, admin), published.key, "grid", row["id"],
                           "on_time_close_rate", "den")  # fmt: skip
    assert len(behind) == row["sample"]

"""The demo district has patrols to show: a plan per grid of the demo community, walked and
reviewed patrols of the demo member."""

from sqlalchemy import func, select

from app import demo
from app.patrols.models import Patrol, PatrolPlan


def test_the_demo_district_has_plans_and_walked_patrols(db, tmp_path):
    demo.load(str(tmp_path), members=80, streets=7, communities=7, grids=35)
    patrols = db.session.execute(select(Patrol)).scalars().all()
    assert len(patrols) == 3 and {p.state for p in patrols} == {"ended"}
    assert all(p.counted and p.length_m > 0 and p.coverage > 0 for p in patrols)
    assert [p.score for p in patrols if p.score] == [4]
    plans = db.session.execute(select(func.count()).select_from(PatrolPlan)).scalar()
    assert plans == len(patrols[0].grid.parent.children)

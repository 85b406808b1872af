"""A first sync's snapshot shows what each domain's snapshot query reads, without asking the
domain's `visible` again row by row (app/sync/feed.py, _changes): that holds only while every
snapshot reads nothing `visible` would refuse, for anyone."""

from sqlalchemy import select

from app import clock
from app.extensions import db
from app.households import groups
from app.households.models import Household
from app.people.models import HOTLINE_OPERATOR, LIAISON, PARTY_MEMBER, User
from app.sync import feed
from tests.conftest import make_user
from tests.sync.test_pull import pull_all
from tests.test_api_contract import everything  # noqa: F401 (a fixture: one of each kind)

PEOPLE = (
    "member",
    "colleague",
    "secretary",
    "street_admin",
    "district_admin",
    "dept_user",
    "other_dept_user",
    "outsider",
    "outside_secretary",
)


def test_every_snapshot_reads_only_what_its_domain_lets_the_user_see(cast, everything):  # noqa: F811
    since = clock.now() - feed.RECENT
    read = dict.fromkeys(feed.ENTITIES, 0)
    liaison, other_liaison = make_user(LIAISON, [cast.grid]), make_user(LIAISON, [cast.grid])
    homes = db.session.execute(select(Household.id)).scalars().all()
    group = {"grid": cast.grid.code, "name": "一组", "liaison_id": liaison.id, "households": homes}
    groups.save(db.session.get(User, cast.secretary.id), group)
    others = [
        liaison,
        other_liaison,
        make_user(PARTY_MEMBER, [cast.grid]),
        make_user(HOTLINE_OPERATOR, [cast.street]),
    ]
    for who in [getattr(cast, name) for name in PEOPLE] + others:
        user = db.session.get(User, who.id)
        for entity, (module, *_) in feed.ENTITIES.items():
            rows = module.snapshot(user, "", since, 10_000)
            refused = [row.id for row in rows if not module.visible(user, row)]
            assert refused == [], (user.role, user.name, entity)
            read[entity] += len(rows)
    assert [entity for entity, n in read.items() if n == 0] == []
    # The 联户长's snapshot is not empty for want of a group: it reads their group's homes.
    read_by_liaison = feed.ENTITIES["household"][0].snapshot(liaison, "", since, 10)
    assert sorted(home.id for home in read_by_liaison) == sorted(homes)


def test_another_street_s_member_pulls_nothing_of_the_grid(cast, as_user, everything):  # noqa: F811
    member = {(c["entity"], c["id"]) for c in pull_all(everything)[0] if c["op"] == "put"}
    outsider = {(c["entity"], c["id"]) for c in pull_all(as_user(cast.outsider))[0]}
    assert {entity for entity, _ in member} == set(feed.ENTITIES)
    assert member & outsider == set()

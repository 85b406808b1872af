"""A first sync's snapshot shows what each domain's snapshot query reads, without asking the
domain's `visible` again row by row (app/sync/feed.py, _changes): that holds only while every
snapshot reads nothing `visible` would refuse, for anyone."""

from app import clock
from app.extensions import db
from app.people.models import User
from app.sync import feed
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
    for name in PEOPLE:
        user = db.session.get(User, getattr(cast, name).id)
        for entity, (module, *_) in feed.ENTITIES.items():
            rows = module.snapshot(user, "", since, 10_000)
            refused = [row.id for row in rows if not module.visible(user, row)]
            assert refused == [], (name, entity)
            read[entity] += len(rows)
    assert [entity for entity, n in read.items() if n == 0] == []


def test_another_street_s_member_pulls_nothing_of_the_grid(cast, as_user, everything):  # noqa: F811
    member = {(c["entity"], c["id"]) for c in pull_all(everything)[0] if c["op"] == "put"}
    outsider = {(c["entity"], c["id"]) for c in pull_all(as_user(cast.outsider))[0]}
    assert {entity for entity, _ in member} == set(feed.ENTITIES)
    assert member & outsider == set()

"""Fifty party members claim one wish at once, over real PostgreSQL connections: exactly one
holds it, every run, and the other 49 are told it is claimed; the history has one claim."""

from collections import Counter

import pytest
from sqlalchemy import select

from app.extensions import db as _db
from app.history.services import timeline
from app.people.models import PARTY_MEMBER
from app.wishes import services
from app.wishes.models import CLAIMED, Wish, WishClaim
from tests.tasks.conftest import people_in_bulk
from tests.tasks.test_task_concurrency import THREADS, _fire, postgis, wide_app  # noqa: F401
from tests.wishes.conftest import published

RUNS = 3


@pytest.fixture
def wide(wide_app, app):  # noqa: F811
    """The wide pool's app with the app's personal-data key: a wish's beneficiary is encrypted."""
    if wide_app is not None:
        wide_app.extensions["privacy"] = app.extensions["privacy"]
    return wide_app


def test_fifty_claimants_at_once_one_holds_the_wish(postgis, wide, db, crowd):  # noqa: F811
    claimants = people_in_bulk(PARTY_MEMBER, [crowd.place.community], THREADS)
    ids = [claimant.id for claimant in claimants]
    for run in range(RUNS):
        wish = published(crowd, need=f"run {run}")
        outcomes = _fire(wide, ids, wish.id, action=services.claim)

        assert not [o for o in outcomes if o[0] == "error"], outcomes
        assert len({pid for _, pid, _ in outcomes}) == THREADS  # one connection each
        assert Counter(code for code, _, _ in outcomes) == {"ok": 1, "wish_claimed": THREADS - 1}
        winner = next(ids[i] for i, o in enumerate(outcomes) if o[0] == "ok")
        _db.session.expire_all()
        assert _db.session.get(Wish, wish.id).state == CLAIMED
        live = _db.session.execute(
            select(WishClaim.user_id).where(WishClaim.wish_id == wish.id, WishClaim.live)
        ).scalars()
        assert list(live) == [winner]
        claims = [e.actor_id for e in timeline("wish", wish.id) if e.action == "claim"]
        assert claims == [winner]

"""A grid's month of history for the sync pull: `python -m bench.history` reads JSON (stdin) and
prints JSON (the incidents made, the seconds taken).

It calls the services in process, with the server's environment (as bench.inprocess does),
each change in its own transaction as the routes make it: a member's reports, the secretary
accepting them, the member's comments. Over HTTP the same set-up took half a minute per
backend; it is not what is measured, the pull of it is.
"""

import json
import sys
import time

from sqlalchemy import select

from app import create_app
from app.extensions import db
from app.incidents import services as incidents
from app.incidents.schemas import ReportIn
from app.people.models import User
from app.sync.commands import CommentIn, comment
from bench.sync import history_plan


def main():
    spec = json.load(sys.stdin)
    app = create_app()
    with app.app_context():
        member, secretary = (_user(spec[role]) for role in ("member", "secretary"))
        started = time.perf_counter()
        made = []
        for action, body in history_plan([tuple(p) for p in spec["points"]], **spec["counts"]):
            if action == "report":
                made.append(incidents.report(member, ReportIn().load(body))[0].id)
            elif action == "accept":
                incidents.accept(secretary, body["id"])
            else:
                comment(member, CommentIn().load(body))
        seconds = time.perf_counter() - started
    json.dump({"incidents": made, "seconds": seconds}, sys.stdout)


def _user(phone):
    return db.session.execute(select(User).where(User.phone == phone)).scalar_one()


if __name__ == "__main__":
    main()

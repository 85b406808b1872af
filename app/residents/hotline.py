"""The 12345 hotline: an operator files a caller's case (source hotline_12345, the caller's
number kept for the 回访), and the figures per source of what came in and how it went."""

from sqlalchemy import false, func, or_, select

from app import clock
from app.extensions import db
from app.incidents import services as incidents
from app.incidents.models import FINAL, HOTLINE, OPEN, SOURCES, Incident
from app.people import services as people
from app.people.models import DISTRICT_ADMIN, HOTLINE_OPERATOR
from app.return_visits.models import VERDICTS, ReturnVisit
from app.rules import require


def file(operator, body):
    """A caller's case, filed by the operator who took the call."""
    require(operator.role == HOTLINE_OPERATOR, "Calls are filed by the hotline's operators.")
    return incidents.report(
        operator,
        {
            "category": body["category"],
            "urgent": body["urgent"],
            "description": body["description"],
            "lat": body["lat"],
            "lng": body["lng"],
            "address": body.get("address"),
            "photos": [],
            "handled_on_spot": False,
            "resident_name": body.get("caller_name"),
            "resident_phone": body["caller_phone"],
        },
        shown=True,
        source=HOTLINE,
    )


_LEVEL = {
    "street": Incident.street_id,
    "community": Incident.community_id,
    "grid": Incident.grid_id,
}


def figures(user, start, end):
    """Per source, of the cases reported in [start, end) in the user's area: how many came
    in, how many are open (and overdue), closed, rejected, merged, and the verdicts of
    their return visits."""
    require(user.role in people.MANAGERS, "The figures are for managers.")
    where = [Incident.reported_at >= start, Incident.reported_at < end]
    if user.role != DISTRICT_ADMIN:
        areas = [_LEVEL[a.level] == a.id for a in people.areas(user) if a.level in _LEVEL]
        where.append(or_(*areas) if areas else false())
    rows = {
        source: {"source": source, "came_in": 0, "open": 0, "overdue": 0}
        | dict.fromkeys(FINAL, 0)
        | dict.fromkeys(VERDICTS, 0)
        for source in SOURCES
    }
    by_state = select(Incident.source, Incident.state, func.count()).where(*where)
    for source, state, count in db.session.execute(
        by_state.group_by(Incident.source, Incident.state)
    ):
        rows[source]["came_in"] += count
        rows[source][state if state in FINAL else "open"] += count
    late = select(Incident.source, func.count()).where(
        *where, Incident.state.in_(OPEN), Incident.deadline < clock.now()
    )
    for source, count in db.session.execute(late.group_by(Incident.source)):
        rows[source]["overdue"] = count
    verdicts = (
        select(Incident.source, ReturnVisit.verdict, func.count())
        .join(ReturnVisit, ReturnVisit.incident_id == Incident.id)
        .where(*where, ReturnVisit.reached)
    )
    for source, verdict, count in db.session.execute(
        verdicts.group_by(Incident.source, ReturnVisit.verdict)
    ):
        rows[source][verdict] += count
    return list(rows.values())

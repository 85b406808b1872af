"""Recording return visits (回访) and the cases waiting for one. A dissatisfied verdict sends
the case back for rework when the assessment plan says so (`return_visit.reopen_dissatisfied`)."""

from sqlalchemy import exists, func, select

from app import clock, transaction
from app.assessment import plan as plans
from app.errors import Conflict, Invalid, NotFound
from app.extensions import db
from app.history.models import HistoryEntry
from app.history.services import record as record_history
from app.incidents import services as incidents
from app.incidents.models import CLOSED, Incident
from app.people import services as people
from app.return_visits.models import (
    CALL_CENTRE,
    CHANNELS,
    DISSATISFIED,
    RESIDENT,
    SECRETARY,
    VERDICTS,
    ReturnVisit,
)
from app.rules import require, require_state

# The call centre's operators (the residents' domain adds the role): they call back the
# cases of the whole district. A role not in ROLES yet matches nobody.
CALL_CENTRE_ROLES = ("hotline_operator",)


def _closed_at(incident_id):
    """When the case was last closed: the closing a visit is about."""
    return db.session.execute(
        select(func.max(HistoryEntry.at)).where(
            HistoryEntry.entity == "incident",
            HistoryEntry.entity_id == incident_id,
            HistoryEntry.to_state == CLOSED,
        )
    ).scalar()


def _incident_for(user, incident_id):
    """The case, locked, if this user may record its visit: its grid's managers or the call
    centre; None is the resident's own page (its caller vouches for the resident)."""
    if user is None or user.role in CALL_CENTRE_ROLES:
        incident = db.session.get(Incident, incident_id, with_for_update=True)
        if incident is None:
            raise NotFound("No such incident.", fields={"id": [incident_id]})
        return incident, RESIDENT if user is None else CALL_CENTRE
    incident = incidents.get_visible(user, incident_id, lock=True)
    require(
        people.manages(user, incident.grid),
        "Return visits are for the community's secretary, the street, the district or the "
        "call centre.",
    )
    return incident, SECRETARY


def record(user, incident_id, verdict, note=None, reached=True, by=None):
    """回访 of a closed case: the resident's verdict (satisfied, basically_satisfied,
    dissatisfied) with a note, or an attempt that did not reach them (`reached=False`, no
    verdict). `user` None is the resident on their tracking page. One reached verdict per
    closing; a dissatisfied one reopens the case for rework if the plan says so."""
    incident, channel = _incident_for(user, incident_id)
    by = by or channel
    if by not in CHANNELS:
        raise Invalid("Unknown channel.", fields={"by": [by]})
    if reached and verdict not in VERDICTS:
        raise Invalid("Give the resident's verdict.", fields={"verdict": [f"one of {VERDICTS}"]})
    if not reached and verdict is not None:
        raise Invalid("Nobody reached, no verdict.", fields={"verdict": ["not reached"]})
    require_state(incident, (CLOSED,), "record a return visit of")
    closed_at = _closed_at(incident.id)
    if reached and _verdict_of(incident.id, closed_at) is not None:
        raise Conflict("This closing of the case already has its verdict.", code="already_visited")
    visit = ReturnVisit(
        incident_id=incident.id,
        closed_at=closed_at,
        reached=reached,
        verdict=verdict,
        note=note,
        by=by,
        recorded_by_id=user.id if user else None,
        at=clock.now(),
    )
    db.session.add(visit)
    db.session.flush()
    record_history(
        "incident",
        incident.id,
        "return_visit",
        user,
        note=note,
        data={"visit": visit.id, "reached": reached, "verdict": verdict, "by": by},
    )
    if verdict == DISSATISFIED and plans.plan()["return_visit"]["reopen_dissatisfied"]:
        visit.reopened = True
        incidents.rework_after_visit(incident, user, note or "回访不满意")
    transaction.commit()
    return visit


def _verdict_of(incident_id, closed_at):
    return db.session.execute(
        select(ReturnVisit.id).where(
            ReturnVisit.incident_id == incident_id,
            ReturnVisit.closed_at == closed_at,
            ReturnVisit.reached,
        )
    ).scalar()


def visits(user, incident_id):
    """The visits of a case the user can see, oldest first."""
    incident = incidents.get_visible(user, incident_id)
    return (
        db.session.execute(
            select(ReturnVisit)
            .where(ReturnVisit.incident_id == incident.id)
            .order_by(ReturnVisit.id)
        )
        .scalars()
        .all()
    )


def pending(user, limit=100):
    """Closed cases of the user's area still waiting for a reached verdict of their last
    closing, longest closed first: the desk's 回访 list."""
    require(user.role in people.MANAGERS, "Return visits are for managers.")
    closed = (
        select(HistoryEntry.entity_id.label("incident_id"), func.max(HistoryEntry.at).label("at"))
        .where(HistoryEntry.entity == "incident", HistoryEntry.to_state == CLOSED)
        .group_by(HistoryEntry.entity_id)
        .subquery()
    )
    visited = exists().where(
        ReturnVisit.incident_id == closed.c.incident_id,
        ReturnVisit.closed_at == closed.c.at,
        ReturnVisit.reached,
    )
    query = (
        incidents.visible_query(user)
        .join(closed, closed.c.incident_id == Incident.id)
        .where(Incident.state == CLOSED, ~visited)
        .order_by(closed.c.at, Incident.id)
        .limit(limit)
    )
    return db.session.execute(query).scalars().all()

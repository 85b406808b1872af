"""An area at a glance for those who answer for it (a street, the district): open, overdue and
escalated cases and active emergency switches, in all and per unit below (a street's
communities, the district's streets), each unit a tap away from its desk or overview."""

from sqlalchemy import case, func, select

from app import clock
from app.emergency.models import ACTIVE, EmergencySwitch, SwitchGrid
from app.errors import Forbidden, Invalid
from app.extensions import db
from app.incidents.models import OPEN, Incident
from app.people import services as people
from app.units.models import Unit

BELOW = {"district": "street", "street": "community", "community": "grid"}
# The incident's column naming the unit below the area.
COLUMN = {
    "street": Incident.street_id,
    "community": Incident.community_id,
    "grid": Incident.grid_id,
}
WITHIN = {"street": Incident.street_id, "community": Incident.community_id}


def _area(user, code):
    if code is None:
        own = [u for u in user.units if u.level in ("district", "street")]
        if len(own) != 1:
            raise Invalid("Say which unit.", fields={"unit": ["required"]})
        area = own[0]
    else:
        area = db.session.execute(select(Unit).where(Unit.code == code)).scalar()
        if area is None or area.level not in BELOW:
            raise Invalid(f"No district, street or community {code}.", fields={"unit": [code]})
    if not people.manages(user, area):
        raise Forbidden("The overview is for those who answer for the area.", code="not_allowed")
    return area


def overview(user, code=None, now=None):
    area = _area(user, code)
    now = now or clock.now()
    below = BELOW[area.level]
    children = (
        db.session.execute(
            select(Unit)
            .where(Unit.level == below, Unit.code.startswith(area.code))
            .order_by(Unit.code)
        )
        .scalars()
        .all()
    )
    column = COLUMN[below]
    query = select(
        column,
        func.count(),
        func.sum(case((Incident.deadline < now, 1), else_=0)),
        func.sum(case((Incident.escalation > 0, 1), else_=0)),
    ).where(Incident.state.in_(OPEN))
    if area.level in WITHIN:
        query = query.where(WITHIN[area.level] == area.id)
    figures = {row[0]: row[1:] for row in db.session.execute(query.group_by(column))}
    # Active switches over the area's grids, counted once per unit below they touch.
    touched = db.session.execute(
        select(SwitchGrid.switch_id, Unit.code)
        .join(EmergencySwitch, EmergencySwitch.id == SwitchGrid.switch_id)
        .join(Unit, Unit.id == SwitchGrid.grid_id)
        .where(EmergencySwitch.state == ACTIVE, Unit.code.startswith(area.code))
    ).all()
    rows = []
    for child in children:
        open_, overdue, escalated = figures.get(child.id, (0, 0, 0))
        switches = {s for s, grid in touched if grid.startswith(child.code)}
        rows.append(
            {
                "code": child.code,
                "name": child.name,
                "level": child.level,
                "open": open_,
                "overdue": int(overdue or 0),
                "escalated": int(escalated or 0),
                "switches": len(switches),
            }
        )
    return {
        "unit": {"code": area.code, "name": area.name, "level": area.level},
        "open": sum(r["open"] for r in rows),
        "overdue": sum(r["overdue"] for r in rows),
        "escalated": sum(r["escalated"] for r in rows),
        "switches": len({s for s, _ in touched}),
        "units": rows,
    }

"""Rules of the 民情日志: a member writes one entry per day (written again, the same entry),
drafted from the day's work if they like; the secretary comments (点评). Every version
and comment is one history entry."""

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app import clock, transaction
from app.catalogue import services as catalogue
from app.errors import Conflict, Invalid, NotFound
from app.extensions import db
from app.history.services import record, register_scope
from app.households.models import Household  # noqa: F401  (Visit's relationship names it)
from app.incidents.models import Incident
from app.journal.models import JournalEntry
from app.notify import services as inbox
from app.patrols.models import Patrol
from app.people import services as people
from app.people.models import DISTRICT_ADMIN
from app.rules import require
from app.schemas import Shown
from app.units.models import Unit
from app.visits.models import Visit

# Where a draft's lines come from: function(user, start, end) -> {"problems": [...],
# "measures": [...], "results": [...]} for the member's day [start, end). Patrols, visits
# and incidents are here; another domain adds its own with register_source.
_sources = []


def register_source(source):
    _sources.append(source)


def _unit(entry):
    return db.session.get(Unit, entry.grid_id or entry.community_id) if entry else None


def visible(user, entry):
    """A member's entries are theirs and their managers' (secretary and up)."""
    if entry.member_id == user.id or user.role == DISTRICT_ADMIN:
        return True
    unit = _unit(entry)
    return unit is not None and people.manages(user, unit)


def get_visible(user, entry_id):
    entry = db.session.get(JournalEntry, entry_id, options=SHOWN_WITH)
    if entry is None or not visible(user, entry):
        raise NotFound("No such journal entry.", fields={"id": [entry_id]})
    return entry


def _home_grid(user):
    grids = sorted((u for u in user.units if u.level == "grid"), key=lambda u: u.code)
    return grids[0] if grids else None


def write(user, args):
    """The member's entry for the day: made, or written over if the day has one (from this
    phone or another); the id of an entry already made for another day or person is refused."""
    require(user.role in people.FIELD, "The 民情日志 is kept by grid members and team members.")
    if args["day"] > clock.today():
        raise Invalid("Not a day that has come.", fields={"day": [args["day"].isoformat()]})
    entry = db.session.get(JournalEntry, args["id"])
    if entry is not None and (entry.member_id != user.id or entry.day != args["day"]):
        raise Conflict("That id is taken.", code="id_taken", fields={"id": [args["id"]]})
    entry = (
        entry
        or db.session.execute(
            select(JournalEntry).where(
                JournalEntry.member_id == user.id, JournalEntry.day == args["day"]
            )
        ).scalar()
    )
    now = clock.now()
    if entry is None:
        grid = _home_grid(user)
        entry = JournalEntry(
            id=args["id"],
            member_id=user.id,
            day=args["day"],
            grid_id=grid.id if grid else None,
            community_id=grid.parent_id if grid else None,
            created_at=now,
        )
        try:
            with db.session.begin_nested():  # the day written on two phones at once: one entry
                for name in ("problems", "measures", "results", "drafted"):
                    setattr(entry, name, args[name])
                entry.updated_at = now
                db.session.add(entry)
        except IntegrityError:
            taken = select(JournalEntry.id).where(
                JournalEntry.member_id == user.id, JournalEntry.day == args["day"]
            )
            if db.session.execute(taken).first() is None:
                raise  # another refusal than the day written twice: as it came
            return write(user, args)
    else:
        for name in ("problems", "measures", "results", "drafted"):
            setattr(entry, name, args[name])
        entry.updated_at = now
    record(
        "journal",
        entry.id,
        "write",
        user,
        note="\n".join((entry.problems, entry.measures, entry.results)),
        device_time=args.get("device_time"),
        scope=(entry.grid_id, entry.community_id),
        data={"day": entry.day.isoformat(), "drafted": entry.drafted},
    )
    transaction.commit()
    return entry


def comment(user, entry_id, note):
    """The secretary's 点评 of an entry; the member is told. A newer one replaces it (both
    stay in the history)."""
    entry = get_visible(user, entry_id)
    unit = _unit(entry)
    require(
        unit is not None and people.manages(user, unit), "Entries are commented by the secretary."
    )
    entry.comment, entry.commented_by, entry.commented_at = note, user, clock.now()
    entry.updated_at = clock.now()
    record(
        "journal", entry.id, "comment", user, note=note, scope=(entry.grid_id, entry.community_id)
    )
    inbox.deliver(
        [entry.member_id],
        "patrol",
        f"民情日志点评（{entry.day.isoformat()}）",
        note,
        "journal",
        entry.id,
    )
    transaction.commit()
    return entry


def draft(user, day):
    """A draft of the member's entry for `day` from what the server knows of it: its
    patrols, the incidents they reported, their secretary's comments, and what other
    sources register (visits). The member edits it before it is written."""
    start, end = clock.day_bounds(day)
    lines = {"problems": [], "measures": [], "results": []}
    for source in (_from_patrols, _from_visits, _from_incidents, *_sources):
        for key, found in source(user, start, end).items():
            lines[key].extend(found)
    return {"day": day, **{key: "\n".join(found) for key, found in lines.items()}}


def _from_patrols(user, start, end):
    patrols = (
        db.session.execute(
            select(Patrol)
            .where(Patrol.member_id == user.id, Patrol.started_at >= start, Patrol.started_at < end)
            .order_by(Patrol.started_at)
        )
        .scalars()
        .all()
    )
    if not patrols:
        return {}
    minutes = sum(p.duration_s for p in patrols) // 60
    km = sum(p.length_m for p in patrols) / 1000
    measures = [f"巡查{len(patrols)}次，共{minutes}分钟，{km:.1f}公里。"]
    results = [
        f"巡查点评：{p.score}分{('，' + p.review_note) if p.review_note else ''}"
        for p in patrols
        if p.score is not None
    ]
    covered = [p.coverage for p in patrols if p.coverage is not None]
    if covered:
        measures.append(f"网格覆盖率最高{max(covered):.0%}。")
    return {"measures": measures, "results": results}


def _from_visits(user, start, end):
    notes = (
        db.session.execute(
            select(Visit.note)
            .where(Visit.visitor_id == user.id, Visit.at >= start, Visit.at < end)
            .order_by(Visit.at)
        )
        .scalars()
        .all()
    )
    if not notes:
        return {}
    return {"measures": [f"走访{len(notes)}户：" + "；".join(notes)]}


def _from_incidents(user, start, end):
    found = (
        db.session.execute(
            select(Incident)
            .where(
                Incident.reporter_id == user.id,
                or_(
                    Incident.device_time.between(start, end),
                    Incident.device_time.is_(None) & Incident.reported_at.between(start, end),
                ),
            )
            .order_by(Incident.reported_at)
        )
        .scalars()
        .all()
    )
    if not found:
        return {}
    names = catalogue.catalogue()
    problems = [f"{_category(names, i.category_code)}：{i.description}" for i in found]
    handled = sum(1 for i in found if i.self_handled)
    results = [f"上报事件{len(found)}件，其中现场处置{handled}件。"]
    return {"problems": problems, "results": results}


def _category(names, code):
    try:
        return names.subcategory(code)["name"]
    except (KeyError, TypeError):
        return code


# -- reading ------------------------------------------------------------------------------------

SHOWN_WITH = (joinedload(JournalEntry.member), joinedload(JournalEntry.commented_by))


def _visible_to(user):
    query = select(JournalEntry).options(*SHOWN_WITH)
    if user.role == DISTRICT_ADMIN:
        return query
    own = [JournalEntry.member_id == user.id]
    if user.role in people.MANAGERS:
        for area in people.areas(user):
            if area.level == "district":
                return query
            if area.level == "street":
                inside = select(Unit.id).where(Unit.parent_id == area.id)
                own.append(JournalEntry.community_id.in_(inside))
            elif area.level == "community":
                own.append(JournalEntry.community_id == area.id)
            else:
                own.append(JournalEntry.grid_id == area.id)
    return query.where(or_(*own))


def listing(user, filters):
    query = _visible_to(user)
    if filters.get("member_id"):
        query = query.where(JournalEntry.member_id == filters["member_id"])
    if filters.get("since"):
        query = query.where(JournalEntry.day >= filters["since"])
    if filters.get("until"):
        query = query.where(JournalEntry.day <= filters["until"])
    query = query.order_by(JournalEntry.day.desc(), JournalEntry.id)
    rows = db.session.execute(
        query.limit(filters.get("limit", 100)).offset(filters.get("offset", 0))
    )
    return rows.unique().scalars().all()


def snapshot(user, after_id, since, limit):
    """A page of a first sync: entries of the last 30 days (`since`)."""
    query = _visible_to(user).where(JournalEntry.updated_at >= since, JournalEntry.id > after_id)
    return db.session.execute(query.order_by(JournalEntry.id).limit(limit)).unique().scalars().all()


def present(user, entries):
    return [Shown(entry, mine=entry.member_id == user.id) for entry in entries]


def _scope(entry_id):
    entry = db.session.get(JournalEntry, entry_id)
    return entry.grid_id, entry.community_id


register_scope("journal", _scope)

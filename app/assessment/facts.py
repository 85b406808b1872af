"""Facts from the history: each case, call, task and acknowledgement read into measures
(counts, sums) for the subjects it counts for, on the day it counts in, and summed per month.

The counting rule: a case counts on the day its handling deadline falls (the deadline its
dispatch set, or the last extension's), whatever day it was reported; a case handled on the
spot on the day it was reported. A call (吹哨) counts on the day of its report-in deadline, a
task on the day of its deadline, an acknowledgement on the day of its roll-call. Drills
(演练) count nowhere: their roll-calls and the tasks of their switches make no facts.

Late history: a period opened for appeal or published keeps its facts. What changes after
(a case due in March closed, or reopened by a return visit, in April) counts by the same
rule in the period in which it arrives: the entity's facts now, less those frozen, on the
day the change is read, the first day no frozen period holds; the drill-down names the day
each late change was counted for. Summed over every period, each entity counts once.

A new measure is a function registered with `@measures(entity)`; no column changes."""

import gc
import re
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import (
    Date,
    String,
    and_,
    any_,
    bindparam,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY

from app import clock
from app.assessment.models import DEPARTMENT as DEPARTMENT_SUBJECT
from app.assessment.models import PERSON, SUBJECT_COLUMNS, UNIT, Cursor, EntityFact, MonthFact
from app.assessment.models import Period as PeriodRow
from app.assessment.periods import day_of, parse, zone
from app.catalogue import services as catalogue
from app.emergency.models import EmergencySwitch, RollCall, RollCallPerson
from app.extensions import db
from app.history.models import HistoryEntry
from app.incidents.models import ACTIVE_SOURCES, CLOSED, HANDLED, Incident, Whistle
from app.return_visits.models import BASICALLY_SATISFIED, DISSATISFIED, SATISFIED
from app.tasks.models import CANCELLED, COMPLETED, VERIFIED, Task

CHUNK = 2000  # ids per IN (...)
# Acknowledgements slower than this many minutes share the last bucket of the histogram
# the median is read from.
ACK_BUCKETS = 60
# A PostgreSQL transaction may commit history below an id already read: each run looks back
# this many ids (rebuilding an entity twice changes nothing).
LOOK_BACK = 1000

_MEASURES = defaultdict(list)


def measures(entity):
    """Register fn(record) -> {measure: value} for an entity's records."""

    def register(fn):
        _MEASURES[entity].append(fn)
        return fn

    return register


@dataclass
class Record:
    """An entity as the measures read it: when it counts, for whom, and what happened."""

    entity: str
    id: str
    day: date
    subjects: list
    facts: dict = field(default_factory=dict)


def _postgresql():
    return db.session.get_bind().dialect.name == "postgresql"


def _chunks(ids):
    """The ids in chunks for `among`: on PostgreSQL all at once (one array parameter)."""
    ids = list(ids)
    size = len(ids) or 1 if _postgresql() else CHUNK
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def among(column, ids):
    """column IN ids: on PostgreSQL `= ANY(:array)`, one parameter however many ids (a list
    of thousands of literals is converted anew by the driver each time), else IN (...)."""
    ids = list(ids)
    if _postgresql():
        return column == any_(bindparam(None, ids, type_=ARRAY(column.type)))
    return column.in_(ids)


def _history(entity, ids):
    """{entity id: [entries, oldest first]}."""
    found = defaultdict(list)
    for chunk in _chunks(ids):
        for row in db.session.execute(
            select(
                HistoryEntry.entity_id,
                HistoryEntry.action,
                HistoryEntry.at,
                HistoryEntry.to_state,
                HistoryEntry.actor_id,
                HistoryEntry.data,
            )
            .where(HistoryEntry.entity == entity, among(HistoryEntry.entity_id, chunk))
            .order_by(HistoryEntry.id)
        ):
            found[row.entity_id].append(row)
    return found


_HOUR = timedelta(hours=1)


def _length(periods):
    return sum((end - start for start, end in periods), timedelta(0))


class WorkingClock:
    """The calendar's working time between two moments, as a difference of working time
    worked since a day (kept per day: its work periods as UTC instants and the working time
    of the days before it), so a month's 100,000 spans are not each a walk over their days
    (WorkCalendar.working_time_between, which it equals)."""

    def __init__(self, calendar):
        self.calendar = calendar
        self.first = None  # the first day kept
        # day: (its work periods, working time from the first day asked to it, below zero
        # for the days before that one)
        self.days = {}
        self.last = None

    def _day(self, day):
        kept = self.days.get(day)
        if kept is not None:
            return kept
        if self.first is None:
            self.first = self.last = day
            self.days[day] = (self._periods(day), timedelta(0))
            return self.days[day]
        if max(self.first - day, day - self.last).days > 3660:  # years away: the calendar's
            return None
        while day < self.first:  # working time before the first day kept counts below zero
            periods = self._periods(self.first - timedelta(days=1))
            before = self.days[self.first][1] - _length(periods)
            self.first -= timedelta(days=1)
            self.days[self.first] = (periods, before)
        while self.last < day:
            periods, before = self.days[self.last]
            self.last += timedelta(days=1)
            self.days[self.last] = (self._periods(self.last), before + _length(periods))
        return self.days[day]

    def _periods(self, day):
        calendar = self.calendar
        return calendar._periods(day) if calendar.is_working_day(day) else ()

    def _worked(self, instant):
        """Working time from the first day asked to `instant` (UTC); None years away."""
        kept = self._day(instant.astimezone(self.calendar.zone).date())
        if kept is None:
            return None
        periods, worked = kept
        for start, end in periods:
            if instant >= end:
                worked += end - start
            elif instant > start:
                worked += instant - start
        return worked

    def between(self, a, b):
        a, b = a.astimezone(UTC), b.astimezone(UTC)
        low, high = self._worked(a), self._worked(b)
        if low is None or high is None:
            return self.calendar.working_time_between(a, b)
        return high - low

    def hours(self, a, b):
        return self.between(a, b) / _HOUR


# -- cases -----------------------------------------------------------------------------------


def _cases(ids, now):
    calendar, cat, tz = catalogue.calendar(), catalogue.catalogue(), zone()
    working = WorkingClock(calendar)
    history = _history("incident", ids)
    for chunk in _chunks(ids):
        for row in db.session.execute(
            select(
                Incident.id,
                Incident.grid_id,
                Incident.assignee_id,
                Incident.category_code,
                Incident.urgent,
                Incident.source,
                Incident.state,
            ).where(among(Incident.id, chunk))
        ):
            case = _case(row, history.get(row.id, ()), working, cat, now)
            if case is not None:
                day = day_of(case["deadline"], tz)
                subjects = [(UNIT, row.grid_id)]
                if case["handler"]:
                    subjects.append((PERSON, case["handler"]))
                yield Record("incident", row.id, day, subjects, case)


def _case(row, entries, working, cat, now):
    """What happened to one case, from its history; None while it has no handling deadline
    (not yet dispatched, or rejected or merged)."""
    c = {
        "row": row,
        "deadline": None,
        "reported": None,
        "accepted": None,
        "dispatched": None,
        "first_handled": None,
        "handled": None,
        "reworks": 0,
        "extended": False,
        "supervised": 0,
        "verdict": None,
        "handler": row.assignee_id,
    }
    for e in entries:
        action, data = e.action, e.data or {}
        if action == "report":
            c["reported"] = e.at
            if e.to_state == HANDLED:  # 自行处置: handled when reported
                c["deadline"] = c["first_handled"] = c["handled"] = e.at
                c["handler"] = c["handler"] or e.actor_id
        elif action == "accept" and c["accepted"] is None:
            c["accepted"] = e.at
        elif action == "dispatch" and c["dispatched"] is None:
            c["dispatched"] = e.at
            if data.get("deadline"):
                c["deadline"] = datetime.fromisoformat(data["deadline"])
            else:
                try:
                    limit = cat.limit(row.category_code, "handle", row.urgent)
                except KeyError:  # a category since removed: its limits are unknown
                    return None
                c["deadline"] = working.calendar.deadline(e.at, limit)
        elif action == "extend" and c["dispatched"] and c["first_handled"] is None:
            c["deadline"] = datetime.fromisoformat(data["to"])
            c["extended"] = True
        elif action == "handle":
            c["first_handled"] = c["first_handled"] or e.at
            c["handled"] = e.at
            c["handler"] = e.actor_id
        elif action == "rework":
            c["reworks"] += 1
            c["handled"] = None  # to be done again
        elif action == "supervise":
            c["supervised"] += 1
        elif action == "return_visit" and data.get("reached"):
            c["verdict"] = data.get("verdict")
    if c["deadline"] is None:
        return None
    c["now"] = now
    c["working"] = working
    return c


@measures("incident")
def case_flow(record):
    c = record.facts
    row, deadline, handled = c["row"], c["deadline"], c["handled"]
    closed = row.state == CLOSED
    return {
        "due": 1,  # due to be handled in the period: the denominator of the rates
        "closed": closed,
        "on_time": closed and handled is not None and handled <= deadline,
        "handled": row.state in (HANDLED, CLOSED),
        "overdue": (handled or c["now"]) > deadline,
        "reworked": c["reworks"] > 0,
        "reworks": c["reworks"],
        "extended": c["extended"],
        "supervised": c["supervised"],
        "active": row.source in ACTIVE_SOURCES,
    }


@measures("incident")
def case_times(record):
    """Working hours from report to accept (受理), accept to dispatch, dispatch to handle."""
    c = record.facts
    out = {}
    for name, start, end in (
        ("accept", c["reported"], c["accepted"]),
        ("dispatch", c["accepted"], c["dispatched"]),
        ("handle", c["dispatched"], c["first_handled"]),
    ):
        if start and end:
            out[f"{name}_h"] = c["working"].hours(start, end)
            out[f"{name}_n"] = 1
    return out


@measures("incident")
def satisfaction(record):
    """The last reached verdict of the case's return visits (回访)."""
    verdict = record.facts["verdict"]
    return {
        "visit_reached": verdict is not None,
        "visit_satisfied": verdict in (SATISFIED, BASICALLY_SATISFIED),
        "visit_dissatisfied": verdict == DISSATISFIED,
    }


# -- whistles (吹哨报到) ---------------------------------------------------------------------------


def _whistles(ids, now):
    tz = zone()
    history = _history("whistle", ids)
    for chunk in _chunks(ids):
        for row in db.session.execute(
            select(
                Whistle.id, Whistle.department_id, Whistle.called_at, Whistle.report_deadline
            ).where(among(Whistle.id, [int(i) for i in chunk]))
        ):
            steps = {"rating": None}
            for e in history.get(str(row.id), ()):
                if e.action in ("report", "arrive", "done"):
                    steps.setdefault("reported", e.at)
                if e.action in ("arrive", "done"):
                    steps.setdefault("arrived", e.at)
                if e.action == "rate":
                    steps["rating"] = (e.data or {}).get("rating")
            steps["row"] = row
            yield Record(
                "whistle",
                str(row.id),
                day_of(row.report_deadline, tz),
                [(DEPARTMENT_SUBJECT, row.department_id)],
                steps,
            )


@measures("whistle")
def whistle_answer(record):
    s, row = record.facts, record.facts["row"]
    out = {
        "whistles": 1,
        "whistle_on_time": s.get("reported") is not None and s["reported"] <= row.report_deadline,
    }
    if s.get("arrived"):
        out["arrive_min"] = (s["arrived"] - row.called_at) / timedelta(minutes=1)
        out["arrive_n"] = 1
    if s["rating"] is not None:
        out["rating_sum"], out["rating_n"] = s["rating"], 1
    return out


# -- tasks ----------------------------------------------------------------------------------------


def _tasks(ids, now):
    tz = zone()
    history = _history("task", ids)
    drills = select(EmergencySwitch.id).where(EmergencySwitch.drill)
    for chunk in _chunks(ids):
        for row in db.session.execute(
            select(
                Task.id,
                Task.grid_id,
                Task.community_id,
                Task.deadline,
                Task.state,
                Task.emergency_id,
            ).where(
                among(Task.id, chunk),
                Task.state != CANCELLED,
                Task.emergency_id.is_(None) | Task.emergency_id.not_in(drills),
            )
        ):
            steps = {"row": row, "completed": None, "by": None, "passed": 0, "checked": 0}
            for e in history.get(row.id, ()):
                if e.action == "complete":
                    steps["completed"], steps["by"] = e.at, e.actor_id
                elif e.action in ("verify", "return"):
                    steps["checked"] += 1
                    steps["passed"] += e.action == "verify"
            subjects = [(UNIT, row.grid_id or row.community_id)]
            if steps["by"]:
                subjects.append((PERSON, steps["by"]))
            yield Record("task", row.id, day_of(row.deadline, tz), subjects, steps)


@measures("task")
def task_work(record):
    s, row = record.facts, record.facts["row"]
    done = row.state in (COMPLETED, VERIFIED) and s["completed"] <= row.deadline
    out = {"tasks": 1, "task_on_time": done, "task_checked": s["checked"], "task_pass": s["passed"]}
    if row.emergency_id:
        out["em_tasks"], out["em_task_on_time"] = 1, done
    return out


# -- roll-calls (叫应): each acknowledgement is an entity "ack", id "<roll-call>:<person>" ------


def _acks(call_ids, now):
    tz = zone()
    for chunk in _chunks(call_ids):
        for row in db.session.execute(
            select(
                RollCallPerson.roll_call_id,
                RollCallPerson.user_id,
                RollCallPerson.grid_id,
                RollCallPerson.community_id,
                RollCallPerson.street_id,
                RollCallPerson.acknowledged_at,
                RollCall.created_at,
                RollCall.last_issued_at,
            )
            .join(RollCall, RollCall.id == RollCallPerson.roll_call_id)
            .where(among(RollCall.id, chunk), RollCall.drill.is_(False))
        ):
            unit = row.grid_id or row.community_id or row.street_id
            subjects = [(PERSON, row.user_id)] + ([(UNIT, unit)] if unit else [])
            yield Record(
                "ack",
                f"{row.roll_call_id}:{row.user_id}",
                day_of(row.created_at, tz),
                subjects,
                {"row": row},
            )


@measures("ack")
def acknowledgement(record):
    row = record.facts["row"]
    out = {"rc_asked": 1}
    if row.acknowledged_at:
        minutes = max(0.0, (row.acknowledged_at - row.created_at) / timedelta(minutes=1))
        out["rc_acked"] = 1
        # The histogram the median is read from: bucket k holds answers within k minutes.
        out[f"rc_ack_m{min(ACK_BUCKETS, int(minutes) + 1):02d}"] = 1
    return out


LOADERS = {"incident": _cases, "whistle": _whistles, "task": _tasks, "ack": _acks}
# What history entries touch: the entity whose facts they change.
_TOUCHES = {"incident": "incident", "whistle": "whistle", "task": "task", "rollcall": "ack"}
# Entities whose ids are "<prefix>:<...>", rebuilt by their prefix (the id the history
# gives): the prefix of a history id as the facts file it.
_PREFIXED = {"ack": str}


def loader(entity, touched_by, prefix=None):
    """Register fn(ids, now) -> Records of an entity, rebuilt when the history of
    `touched_by` grows (its ids are the entity's ids, or with `prefix`, the prefixes of
    them: `prefix(history id)`, all of one length)."""

    def register(fn):
        LOADERS[entity] = fn
        _TOUCHES[touched_by] = entity
        if prefix:
            _PREFIXED[entity] = prefix
        return fn

    return register


# -- writing --------------------------------------------------------------------------------------


def _subjects(record):
    """(unit id, person id, department id) of a record: whom its facts count for."""
    ids = dict.fromkeys(_SUBJECTS)
    for subject, subject_id in record.subjects:
        if ids[subject] not in (None, subject_id):
            raise ValueError(f"{record.entity} {record.id}: two subjects of kind {subject}")
        ids[subject] = subject_id
    return tuple(ids.values())


def _rows(records):
    """The records' facts, [(entity, entity id, unit id, person id, department id, measure,
    day, value, counted for)]: each record's measures (summed over its functions, zeros left
    out), once for all its subjects."""
    rows, seen, again = [], set(), False
    append = rows.append
    for record in records:
        entity, entity_id, day = record.entity, record.id, record.day
        values = {}
        for fn in _MEASURES[entity]:
            for measure, value in fn(record).items():
                if value:  # a missing measure sums as zero
                    values[measure] = values.get(measure, 0.0) + float(value)
        again = again or (entity, entity_id) in seen
        seen.add((entity, entity_id))
        unit, person, department = _subjects(record)
        for measure, value in values.items():
            append((entity, entity_id, unit, person, department, measure, day, value, None))
    if not again:
        return rows
    summed = {}  # an entity read twice (no loader here does): its facts summed, on its first day
    for row in rows:
        was = summed.get(row[:6])
        summed[row[:6]] = row if was is None else (*was[:7], was[7] + row[7], None)
    return list(summed.values())


def _entity_filter(entity, ids):
    if entity in _PREFIXED:  # e.g. the acknowledgements of these roll-calls
        prefixes = [_PREFIXED[entity](i) for i in ids]
        length = len(prefixes[0]) if prefixes else 1
        return (
            EntityFact.entity == entity,
            among(func.substr(EntityFact.entity_id, 1, length, type_=String), prefixes),
        )
    return EntityFact.entity == entity, among(EntityFact.entity_id, ids)


def frozen_spans():
    """[(first day, day after the last)] of the periods opened for appeal or published:
    their facts stay as they were frozen."""
    keys = db.session.execute(select(PeriodRow.key)).scalars()
    return sorted(parse(key)[2:] for key in keys)


def _open_from(day, spans):
    """The first day from `day` on that no frozen period holds."""
    for start, end in spans:  # sorted by start: a span ending in another is followed on
        if start <= day < end:
            day = end
    return day


def _in_spans(column, spans):
    return or_(*(and_(column >= start, column < end) for start, end in spans))


def _late(rows, kept, spans, arrival):
    """The late rule: an entity's facts on frozen days stay; what has changed since (its
    facts now, less those kept) counts on the day it arrives, the first open day; so does
    a new entity whose day a frozen period holds (a report synced a month late). A fact
    whose subjects changed (a new handler) is another fact: the kept one is taken back, the
    new one counts. Every late row keeps the day the counting rule gives it (counted_for)."""
    touched = {key[:2] for key in kept}
    frozen = {start + timedelta(n) for start, end in spans for n in range((end - start).days)}
    if not touched and frozen.isdisjoint({row[6] for row in rows}):
        return rows  # nothing frozen here (the usual rebuild): every row as it is
    out = []
    for row in rows:
        if row[6] not in frozen and row[:2] not in touched:
            out.append(row)
            continue
        was, counted_for = kept.pop(row[:6], (0.0, row[6]))
        if abs(row[7] - was) > 1e-9:
            out.append((*row[:6], arrival, row[7] - was, counted_for))
    for key, (was, counted_for) in kept.items():  # a measure no longer true: taken back
        out.append((*key, arrival, -was, counted_for))
    return out


@contextmanager
def _uncollected():
    """The cyclic garbage collector paused: a month's rebuild makes a million objects it
    keeps to the end (history rows, records, facts, none of them in cycles), and the
    collector's passes over them, longer as they grow, were a third of its Python time."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@_uncollected()
def rebuild(entity, ids, now=None):
    """Facts of these entities (for "ack": of these roll-calls), anew; the monthly sums move
    by the difference (the facts taken out, returned by the DELETE, and those put
    in; an extension moves a case from one day to another). The facts of frozen periods
    stay; a late change counts on the day it arrives (_late)."""
    now = now or clock.now()
    ids = sorted(set(ids))
    spans = frozen_spans()
    kept = {}
    changes = defaultdict(float)  # (month, subject, subject id, measure): the change of its sum
    for chunk in _chunks(ids):
        where = _entity_filter(entity, chunk)
        if spans:
            frozen = _in_spans(EntityFact.day, spans)
            for *key, value, counted_for in db.session.execute(
                select(
                    *(getattr(EntityFact, c) for c in _KEY),
                    func.sum(EntityFact.value),
                    func.min(func.coalesce(EntityFact.counted_for, EntityFact.day)),
                )
                .where(*where, frozen)
                .group_by(*(getattr(EntityFact, c) for c in _KEY))
            ):
                kept[tuple(key)] = (value, counted_for)
            where = (*where, ~frozen)
        taken = db.session.execute(
            delete(EntityFact)
            .where(*where)
            .returning(*(getattr(EntityFact, c) for c in _SUM_KEY), EntityFact.value)
        )
        _move(changes, taken, -1.0)
    rows = _rows(LOADERS[entity](ids, now))
    if spans:
        rows = _late(rows, kept, spans, _open_from(day_of(now), spans))
    _insert(rows)
    _move(changes, (row[2:8] for row in rows), 1.0)
    _upsert(MonthFact, MonthFact.month, {k: v for k, v in changes.items() if abs(v) > 1e-9})
    return len(rows)


def _move(changes, facts, sign):
    """changes[(month, subject, subject id, measure)] moved by each fact (unit id, person id,
    department id, measure, day, value) for each of its subjects."""
    months = {}
    for unit, person, department, measure, day, value in facts:
        month = months.get(day) or months.setdefault(day, _month(day))
        value *= sign
        if unit is not None:
            changes[(month, UNIT, unit, measure)] += value
        if person is not None:
            changes[(month, PERSON, person, measure)] += value
        if department is not None:
            changes[(month, DEPARTMENT_SUBJECT, department, measure)] += value


def _month(day):
    return day.replace(day=1)


_SUBJECTS = tuple(SUBJECT_COLUMNS)  # the kinds of subject, in the order of their columns
_KEY = ("entity", "entity_id", *SUBJECT_COLUMNS.values(), "measure")
_COLUMNS = (*_KEY, "day", "value", "counted_for")
_SUM_KEY = (*SUBJECT_COLUMNS.values(), "measure", "day")  # what a sum is of


def _insert(rows):
    """The entities' facts written: by COPY on PostgreSQL (a month is some 600,000 rows, which
    an INSERT per row took most of a rebuild's time over), else in batches."""
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        for start in range(0, len(rows), 5000):
            batch = [dict(zip(_COLUMNS, row, strict=True)) for row in rows[start : start + 5000]]
            connection.execute(insert(EntityFact), batch)
        return
    columns = ", ".join(_COLUMNS)
    with connection.connection.dbapi_connection.cursor() as cursor:
        with cursor.copy(f"COPY assessment_entity_fact ({columns}) FROM STDIN") as copy:
            for start in range(0, len(rows), 20_000):
                copy.write(_copy_text(rows[start : start + 20_000]))


_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}
_ESCAPED = re.compile("[\\\\\t\n\r]")


def _text(value):
    """A string as COPY's text format has it."""
    return _ESCAPED.sub(lambda m: _ESCAPES[m.group()], value)


class _Escaped(dict):
    """Each name, id and day as COPY's text has it, made once: a look-up in C after that."""

    def __missing__(self, value):
        if value is None:
            text = _NULL
        elif isinstance(value, date):
            text = value.isoformat()
        elif isinstance(value, int):
            text = str(int(value))  # a bool or an int subclass as its number
        else:
            text = _text(value)
        self[value] = text
        return text


def _copy_text(rows):
    """Rows in COPY's text format, formatted here at once: psycopg's write_row, a call per
    row, was a fifth of a month's rebuild."""
    name = _Escaped()  # the rows of an entity come together; names and days repeat
    lines = []
    for entity, entity_id, unit, person, department, measure, day, value, counted_for in rows:
        lines.append(
            f"{name[entity]}\t{name[entity_id]}\t{name[unit]}\t{name[person]}\t"
            f"{name[department]}\t{name[measure]}\t{name[day]}\t{float(value)!r}\t"
            f"{name[counted_for]}\n"
        )
    return "".join(lines).encode()


_NULL = "\\N"


def _next_month(month):
    return (month + timedelta(days=32)).replace(day=1)


_DELTA = "assessment_delta"


def _upsert(table, when, changes):
    """value += change for each key of the table, a new row where there was none; rows
    whose value is then nothing are deleted. On PostgreSQL the changes are copied into a
    temporary table and applied by one INSERT ... SELECT ... ON CONFLICT."""
    if not changes:
        return
    name, key = table.__tablename__, f"{when.key}, subject, subject_id, measure"
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        from sqlalchemy.dialects.sqlite import insert as upsert

        rows = [
            {when.key: k[0], "subject": k[1], "subject_id": k[2], "measure": k[3], "value": v}
            for k, v in changes.items()
        ]
        statement = upsert(table)
        statement = statement.on_conflict_do_update(
            index_elements=[when.key, "subject", "subject_id", "measure"],
            set_={"value": table.value + statement.excluded.value},
        )
        for start in range(0, len(rows), 5000):
            connection.execute(statement, rows[start : start + 5000])
        connection.execute(delete(table).where(func.abs(table.value) < 1e-9))
        return
    connection.exec_driver_sql(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {_DELTA} (at date, subject varchar(12), "
        "subject_id integer, measure varchar(40), value double precision) ON COMMIT DROP"
    )
    with connection.connection.dbapi_connection.cursor() as cursor:
        with cursor.copy(f"COPY {_DELTA} FROM STDIN") as copy:
            for row in changes.items():
                copy.write_row([*row[0], row[1]])
    connection.exec_driver_sql(
        f"INSERT INTO {name} ({key}, value) SELECT at, subject, subject_id, measure, value "
        f"FROM {_DELTA} ON CONFLICT ({key}) DO UPDATE SET value = {name}.value + EXCLUDED.value"
    )
    connection.exec_driver_sql(
        f"DELETE FROM {name} t USING {_DELTA} d WHERE t.{when.key} = d.at "
        "AND t.subject = d.subject AND t.subject_id = d.subject_id AND t.measure = d.measure "
        "AND abs(t.value) < 1e-9"
    )
    connection.exec_driver_sql(f"TRUNCATE {_DELTA}")


def _resum(days):
    """The monthly facts of these days' months summed again whole from the entities' facts
    (a repair; rebuild moves them by its changes)."""
    for month in sorted({_month(day) for day in days}):
        db.session.execute(delete(MonthFact).where(MonthFact.month == month))
        for subject in SUBJECT_COLUMNS:
            subject_id = _column(subject)
            db.session.execute(
                insert(MonthFact).from_select(
                    ["month", "subject", "subject_id", "measure", "value"],
                    select(
                        literal(month, Date),
                        literal(subject, String),
                        subject_id,
                        EntityFact.measure,
                        func.sum(EntityFact.value),
                    )
                    .where(
                        subject_id.is_not(None),
                        EntityFact.day >= month,
                        EntityFact.day < _next_month(month),
                    )
                    .group_by(subject_id, EntityFact.measure)
                    .having(func.abs(func.sum(EntityFact.value)) >= 1e-9),
                )
            )


def _column(subject):
    """The facts' column of a kind of subject's ids."""
    return getattr(EntityFact, SUBJECT_COLUMNS[subject])


def refresh(batch=20_000, now=None):
    """Bring the facts up to the history (the worker's job): every entity with new entries
    is rebuilt, and cases still waiting to be handled whose deadline day has come (they turn
    overdue with no new entry). Commits; returns how many entities were rebuilt."""
    now = now or clock.now()
    cursor = db.session.get(Cursor, "history") or Cursor(name="history", position=0)
    db.session.add(cursor)
    top = db.session.execute(select(func.max(HistoryEntry.id))).scalar() or 0
    touched = defaultdict(set)
    low = max(0, cursor.position - LOOK_BACK)
    while low < top:
        high = min(top, low + batch)
        for entity, entity_id in db.session.execute(
            select(HistoryEntry.entity, HistoryEntry.entity_id)
            .where(
                HistoryEntry.id > low,
                HistoryEntry.id <= high,
                HistoryEntry.entity.in_(list(_TOUCHES)),
            )
            .distinct()
        ):
            touched[_TOUCHES[entity]].add(entity_id)
        low = high
    touched["incident"] |= set(_waiting(now))
    count = 0
    for entity, ids in touched.items():
        count += len(ids)
        rebuild(entity, ids, now)
    cursor.position = top
    db.session.commit()
    return count


def _waiting(now):
    """Cases counted but neither handled nor yet overdue, whose day has come."""
    handled = select(EntityFact.entity_id).where(
        EntityFact.entity == "incident", EntityFact.measure.in_(("handled", "overdue"))
    )
    return db.session.execute(
        select(EntityFact.entity_id).where(
            EntityFact.entity == "incident",
            EntityFact.measure == "due",
            EntityFact.unit_id.is_not(None),
            EntityFact.day <= day_of(now),
            EntityFact.entity_id.not_in(handled),
        )
    ).scalars()


def sums(start, end, subjects=(UNIT, PERSON, DEPARTMENT_SUBJECT), skip_days=()):
    """{(subject, subject id): {measure: sum}} over the days start <= day < end, less the
    days skipped: whole months from the monthly facts, less the entities' facts of the days
    skipped; other spans from the entities' facts."""
    found = defaultdict(lambda: defaultdict(float))
    subjects = list(subjects)
    skip = sorted(day for day in skip_days if start <= day < end)

    def add(query, sign=1.0):
        for subject, subject_id, measure, value in db.session.execute(query):
            found[(subject, subject_id)][measure] += sign * value

    def by_entities(*where, sign=1.0):
        for subject in subjects:
            subject_id = _column(subject)
            add(
                select(
                    literal(subject, String),
                    subject_id,
                    EntityFact.measure,
                    func.sum(EntityFact.value),
                )
                .where(subject_id.is_not(None), *where)
                .group_by(subject_id, EntityFact.measure),
                sign,
            )

    if start.day == 1 and end.day == 1:
        add(
            select(
                MonthFact.subject,
                MonthFact.subject_id,
                MonthFact.measure,
                func.sum(MonthFact.value),
            )
            .where(MonthFact.month >= start, MonthFact.month < end, MonthFact.subject.in_(subjects))
            .group_by(MonthFact.subject, MonthFact.subject_id, MonthFact.measure)
        )
        if skip:
            by_entities(EntityFact.day.in_(skip), sign=-1.0)
            return {  # a sum the days skipped took to nothing, as if never made
                key: {m: v for m, v in measures.items() if abs(v) > 1e-9}
                for key, measures in found.items()
                if any(abs(v) > 1e-9 for v in measures.values())
            }
    else:
        where = [EntityFact.day >= start, EntityFact.day < end]
        if skip:
            where.append(EntityFact.day.not_in(skip))
        by_entities(*where)
    return {key: dict(measures) for key, measures in found.items()}


def entities(subject, subject_ids, measure, start, end):
    """The entities behind a measure (穿透): (entity, id, value, counted for) for these
    subjects; counted for is the day the rule gives a late change (else None)."""
    rows = db.session.execute(
        select(
            EntityFact.entity,
            EntityFact.entity_id,
            func.sum(EntityFact.value),
            func.min(EntityFact.counted_for),
        )
        .where(
            _column(subject).in_(list(subject_ids)),
            EntityFact.measure == measure,
            EntityFact.day >= start,
            EntityFact.day < end,
        )
        .group_by(EntityFact.entity, EntityFact.entity_id)
        .order_by(EntityFact.entity_id)
    )
    return [tuple(row) for row in rows if abs(row[2]) > 1e-9]


def late(start, end):
    """The entities counted late in start <= day < end (补计: changes that arrived after the
    period their counting rule gives was frozen), as the drill-down marks them: [(entity,
    id, unit id, department id, counted for)] by entity and id."""
    rows = db.session.execute(
        select(
            EntityFact.entity,
            EntityFact.entity_id,
            func.min(EntityFact.unit_id),
            func.min(EntityFact.department_id),
            func.min(EntityFact.counted_for),
        )
        .where(EntityFact.counted_for.is_not(None), EntityFact.day >= start, EntityFact.day < end)
        .group_by(EntityFact.entity, EntityFact.entity_id)
        .order_by(EntityFact.entity, EntityFact.entity_id)
    )
    return [tuple(row) for row in rows]


from app.assessment import field  # noqa: E402, F401 (its loaders and measures)

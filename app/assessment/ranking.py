"""Rankings (月排名、季通报、半年排位、全面考核) by one engine over any period: figures from the
facts (monthly sums), scores by the plan, ranks among peers; appeals, publishing and freezing; the
bulletin's red and black lists; leaders' sheets; the cases behind every figure (穿透).

Ranks compare peers: grids within their community, communities within their street, the
streets, the departments. Ties are broken by a stated rule, so a re-run gives the same
order: the higher score, then the higher 按期结案率, then the larger sample, then the
smaller unit code (a department's code)."""

from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import select

from app import clock, transaction
from app.assessment import facts
from app.assessment import plan as plans
from app.assessment.indicators import INDICATORS
from app.assessment.models import (
    ACCEPTED,
    APPEAL,
    DRAFT,
    MANUAL,
    PENDING,
    POINTS,
    PUBLISHED,
    REFUSED,
    UNIT,
    Adjustment,
    Appeal,
    Period,
)
from app.assessment.models import DEPARTMENT as DEPARTMENT_SUBJECT
from app.assessment.periods import parse
from app.errors import Conflict, Invalid, NotFound
from app.extensions import db
from app.people import services as people
from app.people.models import (
    DEPARTMENT,
    DISTRICT_ADMIN,
    SECRETARY,
    STREET_ADMIN,
    Department,
)
from app.rules import require
from app.units.models import Unit

UNIT_LEVELS = ("grid", "community", "street")
# The measure that decides ties after the score.
TIE_INDICATOR = "on_time_close_rate"


# -- figures: the monthly facts summed, exclusions applied, rolled up the map --------------------


def _units():
    return db.session.execute(
        select(Unit.id, Unit.code, Unit.name, Unit.level, Unit.parent_id).order_by(Unit.code)
    ).all()


def _add(into, measures, sign=1.0):
    for measure, value in measures.items():
        into[measure] = into.get(measure, 0.0) + sign * value


def _exclusions(plan, period):
    """(days excluded everywhere, unit codes excluded, [(unit code, start, end)])."""
    days, units, unit_days = set(), set(), []
    for entry in plan.get("exclusions") or []:
        if "from" in entry:
            start = max(date.fromisoformat(entry["from"]), period.start)
            end = min(date.fromisoformat(entry["to"]) + timedelta(days=1), period.end)
            if start >= end:
                continue
            if "unit" in entry:
                unit_days.append((entry["unit"], start, end))
            else:
                days |= {start + timedelta(days=n) for n in range((end - start).days)}
        elif "unit" in entry:
            units.add(entry["unit"])
    return days, units, unit_days


def figures(period, plan):
    """{level: {subject id: summed measures}} with each unit's children's folded in, and the
    units excluded by the plan (their facts count nowhere)."""
    days, excluded, unit_days = _exclusions(plan, period)
    sums = facts.sums(period.start, period.end, (UNIT, DEPARTMENT_SUBJECT), days)
    units = _units()
    code_of = {u.id: u.code for u in units}
    for code, start, end in unit_days:  # a unit's bad days: their facts taken out again
        for key, measures in facts.sums(start, end, (UNIT,), days).items():
            if key in sums and code_of.get(key[1], "").startswith(code):
                _add(sums[key], measures, -1.0)
    totals = {u.id: dict(sums.get((UNIT, u.id), {})) for u in units}
    excluded_ids = {u.id for u in units if any(u.code.startswith(c) for c in excluded)}
    for unit in sorted(units, key=lambda u: -len(u.code)):  # children before their parents
        if unit.id in excluded_ids:
            totals[unit.id] = {}
        if unit.parent_id in totals:
            _add(totals[unit.parent_id], totals[unit.id])
    by_level = {level: {} for level in (*UNIT_LEVELS, "department")}
    for unit in units:
        if unit.level in by_level:
            by_level[unit.level][unit.id] = totals[unit.id]
    for (subject, subject_id), measures in sums.items():
        if subject == DEPARTMENT_SUBJECT:
            by_level["department"][subject_id] = measures
    return by_level, units, excluded_ids


def _rows(period, plan):
    """The rows of every level before scoring: who, their sample and indicator values."""
    by_level, units, excluded = figures(period, plan)
    codes = {u.id: u for u in units}
    departments = db.session.execute(select(Department.id, Department.code, Department.name)).all()
    out = {}
    for level, level_plan in plan["levels"].items():
        sample_measure = level_plan.get("sample", "due")
        if level == "department":
            subjects = [(d.id, d.code, d.name, None) for d in departments]
        else:
            subjects = [
                (u.id, u.code, u.name, codes[u.parent_id].code if u.parent_id in codes else None)
                for u in units
                if u.level == level
            ]
        rows = []
        for subject_id, code, name, parent in subjects:
            measures = by_level[level].get(subject_id, {})
            rows.append(
                {
                    "id": subject_id,
                    "code": code,
                    "name": name,
                    "parent": parent,
                    "excluded": subject_id in excluded if level != "department" else False,
                    "sample": measures.get(sample_measure, 0.0),
                    # Every indicator, not only those the plan scores: the table shows them.
                    "indicators": {k: i.value(measures) for k, i in INDICATORS.items()},
                }
            )
        out[level] = rows
    return out


# -- scores and ranks ----------------------------------------------------------------------------


def band_score(value, bands):
    """A value's score: linear between the plan's [value, score] points, capped at the ends."""
    points = sorted(bands)
    if value <= points[0][0]:
        return float(points[0][1])
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        if value <= x1:
            return y0 + (y1 - y0) * (value - x0) / (x1 - x0)
    return float(points[-1][1])


def grade(score, grades):
    for name, floor in grades:
        if score >= floor:
            return name
    return grades[-1][0]


def _adjustments(key):
    found = defaultdict(lambda: {MANUAL: [], POINTS: []})
    for a in db.session.execute(select(Adjustment).where(Adjustment.period_key == key)).scalars():
        found[(a.subject, a.subject_id)][a.kind].append(a.value)
    return found


def _tie_key(row):
    tie = row["indicators"].get(TIE_INDICATOR)
    return (-row["score"], -(tie if tie is not None else -1), -row["sample"], row["code"])


def score(rows_by_level, plan, key, corrections=None):
    """Scores, grades and ranks of every row, from its indicator values (corrected by
    accepted appeals: {(level, subject id): {indicator: value}}), the plan, the children's
    scores (捆绑) and the period's manual scores and 加减分."""
    corrections = corrections or {}
    adjustments = _adjustments(key)
    manual_weight = plan.get("manual_weight", 0)
    by_code = {}
    for level in (*UNIT_LEVELS, "department"):  # children first: their scores roll up
        if level not in rows_by_level:
            continue
        level_plan = plan["levels"][level]
        weights = {e["key"]: e for e in level_plan["indicators"]}
        subject = DEPARTMENT_SUBJECT if level == "department" else UNIT
        for row in rows_by_level[level]:
            row["indicators"].update(corrections.get((level, row["id"]), {}))
            scores = {
                k: band_score(v, weights[k]["bands"])
                for k, v in row["indicators"].items()
                if v is not None and k in weights
            }
            weight = sum(weights[k]["weight"] for k in scores)
            own = (
                sum(weights[k]["weight"] * s for k, s in scores.items()) / weight
                if weight
                else None
            )
            children = [
                c["score"]
                for c in by_code.get(row["code"], [])
                if c["ranked"] and c["score"] is not None
            ]
            share = level_plan.get("children_weight", 0) if children else 0
            total = None
            if own is not None:
                total = (1 - share) * own + share * (
                    sum(children) / len(children) if children else 0
                )
            adjust = adjustments.get((subject, row["id"]), {MANUAL: [], POINTS: []})
            if total is not None and adjust[MANUAL]:
                manual = sum(adjust[MANUAL]) / len(adjust[MANUAL])
                total = (1 - manual_weight) * total + manual_weight * manual
            if total is not None:
                total = max(0.0, min(100.0, total + sum(adjust[POINTS])))
            insufficient = row["sample"] < level_plan.get("min_sample", 0)
            row.update(
                scores=scores,
                own_score=own,
                children_score=sum(children) / len(children) if children else None,
                manual=adjust[MANUAL],
                points=sum(adjust[POINTS]),
                score=None if total is None else round(total, 2),
                insufficient=insufficient,
                ranked=not insufficient and not row["excluded"] and total is not None,
            )
            row["grade"] = grade(row["score"], plan["grades"]) if row["ranked"] else None
            if row["parent"]:
                by_code.setdefault(row["parent"], []).append(row)
        _rank(rows_by_level[level])
    return rows_by_level


def _rank(rows):
    peers = defaultdict(list)
    for row in rows:
        row["rank"] = row["peers"] = None
        if row["ranked"]:
            peers[row["parent"]].append(row)
    for group in peers.values():
        group.sort(key=_tie_key)
        for place, row in enumerate(group, start=1):
            row["rank"], row["peers"] = place, len(group)
    rows.sort(key=lambda r: (r["parent"] or "", r["rank"] is None, r["rank"] or 0, r["code"]))


def compute(key):
    """A period's ranking from the facts, as a draft."""
    period = parse(key)
    version, plan = plans.in_force()
    rows = score(_rows(period, plan), plan, key)
    return {
        "period": key,
        "state": DRAFT,
        "plan_version": version,
        "computed_at": clock.now().isoformat(),
        "plan": plan,  # what publishing scores the corrected figures by
        "levels": rows,
    }


def _period(key, *, lock=False):
    query = select(Period).where(Period.key == key)
    return db.session.execute(query.with_for_update() if lock else query).scalar()


def ranking(key):
    """The period's ranking: the stored one once opened for appeal (frozen), else a draft."""
    parse(key)
    stored = _period(key)
    if stored is None:
        return compute(key)
    return {**stored.result, "state": stored.state, "appeal_until": stored.appeal_until.isoformat()}


# -- appeal and publishing -----------------------------------------------------------------------


def _district(user):
    require(user.role == DISTRICT_ADMIN, "Only the district opens, decides and publishes.")


def open_appeals(user, key):
    """The draft frozen and open to appeals for the plan's number of days."""
    _district(user)
    period = parse(key)
    if period.end > clock.now().date() + timedelta(days=1):
        raise Conflict("The period has not ended yet.", code="period_not_over")
    if _period(key) is not None:
        raise Conflict("The period is already open for appeal or published.", code="wrong_state")
    result = compute(key)
    now = clock.now()
    row = Period(
        key=key,
        state=APPEAL,
        plan_version=result["plan_version"],
        result=result,
        opened_by_id=user.id,
        opened_at=now,
        appeal_until=now + timedelta(days=plans.plan().get("appeal_days", 5)),
    )
    db.session.add(row)
    transaction.commit()
    return row


def _head_of(user, level, subject_id):
    """A unit's head: its community's secretary (grids and communities), its street's
    admin; a department's own staff."""
    if level == "department":
        return user.role == DEPARTMENT and user.department_id == subject_id
    unit = db.session.get(Unit, subject_id)
    role = SECRETARY if level in ("grid", "community") else STREET_ADMIN
    return unit is not None and user.role == role and people.can_view(user, unit)


def _row(result, level, subject_id):
    for row in result["levels"].get(level, []):
        if row["id"] == subject_id:
            return row
    raise NotFound("No such unit in this ranking.", fields={"id": [subject_id]})


def file_appeal(user, key, level, subject_id, indicator, cases, reason):
    """申诉 by the unit's head while the window is open."""
    period = _period(key, lock=True)
    if period is None or period.state != APPEAL or clock.now() >= period.appeal_until:
        raise Conflict("The period is not open for appeal.", code="appeal_closed")
    row = _row(period.result, level, subject_id)
    require(_head_of(user, level, subject_id), "Only the unit's head appeals its figures.")
    if indicator not in row["indicators"]:
        raise Invalid("The unit is not assessed on that.", fields={"indicator": [indicator]})
    appeal = Appeal(
        period_id=period.id,
        subject=DEPARTMENT_SUBJECT if level == "department" else UNIT,
        subject_id=subject_id,
        indicator=indicator,
        cases=list(cases),
        reason=reason,
        state=PENDING,
        filed_by_id=user.id,
        filed_at=clock.now(),
    )
    db.session.add(appeal)
    transaction.commit()
    return appeal


def decide(user, appeal_id, accepted, value=None, note=None):
    """The district accepts an appeal with the corrected value, or refuses it."""
    _district(user)
    appeal = db.session.get(Appeal, appeal_id, with_for_update=True)
    if appeal is None:
        raise NotFound("No such appeal.")
    period = db.session.get(Period, appeal.period_id)
    if appeal.state != PENDING or period.state != APPEAL:
        raise Conflict("The appeal is already decided.", code="wrong_state")
    if accepted and value is None:
        raise Invalid("Give the corrected value.", fields={"value": ["required"]})
    appeal.state = ACCEPTED if accepted else REFUSED
    appeal.value = value if accepted else None
    appeal.decision, appeal.decided_by_id, appeal.decided_at = note, user.id, clock.now()
    transaction.commit()
    return appeal


def appeals(key):
    period = _period(key)
    if period is None:
        return []
    return (
        db.session.execute(select(Appeal).where(Appeal.period_id == period.id).order_by(Appeal.id))
        .scalars()
        .all()
    )


def _level_of(period_result, subject, subject_id):
    for level, rows in period_result["levels"].items():
        if (level == "department") == (subject == DEPARTMENT_SUBJECT) and any(
            r["id"] == subject_id for r in rows
        ):
            return level
    return None


def publish(user, key):
    """Published and frozen for good: the frozen draft scored again with the accepted
    appeals' corrections and the period's adjustments. History arriving later changes the
    facts, never this."""
    _district(user)
    period = _period(key, lock=True)
    if period is None or period.state != APPEAL:
        raise Conflict("Open the period for appeal first.", code="wrong_state")
    if clock.now() < period.appeal_until:
        raise Conflict("The appeal window is still open.", code="appeal_open")
    if any(a.state == PENDING for a in appeals(key)):
        raise Conflict("Decide every appeal first.", code="appeals_pending")
    plan = period.result["plan"]
    corrections = defaultdict(dict)
    for appeal in appeals(key):
        if appeal.state == ACCEPTED:
            level = _level_of(period.result, appeal.subject, appeal.subject_id)
            corrections[(level, appeal.subject_id)][appeal.indicator] = appeal.value
    rows = score(period.result["levels"], plan, key, corrections)
    period.result = {**period.result, "levels": rows, "published_at": clock.now().isoformat()}
    period.state = PUBLISHED
    period.published_by_id, period.published_at = user.id, clock.now()
    transaction.commit()
    return period


# -- manual scores and 加减分 ----------------------------------------------------------------------


def _level_subject(level, subject_id):
    if level == "department":
        if db.session.get(Department, subject_id) is None:
            raise NotFound("No such department.", fields={"id": [subject_id]})
        return DEPARTMENT_SUBJECT, None
    unit = db.session.get(Unit, subject_id)
    if unit is None or unit.level != level:
        raise NotFound("No such unit.", fields={"id": [subject_id]})
    return UNIT, unit


def adjust(user, key, level, subject_id, kind, value, reason, evidence=()):
    """A manual score (0-100: a street's score of its communities and grids, a department's
    of the units it answers for, the district's of anyone) or 加减分 (the street within its
    street, the district anywhere), for a period not yet frozen."""
    parse(key)
    stored = _period(key)
    if stored is not None and stored.state == PUBLISHED:
        raise Conflict("A published period is frozen.", code="wrong_state")
    subject, unit = _level_subject(level, subject_id)
    if user.role == DISTRICT_ADMIN:
        allowed = True
    elif unit is None:
        allowed = False
    elif kind == MANUAL and user.role == DEPARTMENT:
        allowed = any(area.contains(unit) for area in user.responsible_for)
    else:
        allowed = (
            user.role == STREET_ADMIN and unit.level != "street" and people.can_view(user, unit)
        )
    require(
        allowed, "Manual scores and 加减分 are for the street, the departments and the district."
    )
    if kind == MANUAL and not 0 <= value <= 100:
        raise Invalid("A manual score is from 0 to 100.", fields={"value": [value]})
    adjustment = Adjustment(
        period_key=key,
        subject=subject,
        subject_id=subject_id,
        kind=kind,
        value=value,
        reason=reason,
        evidence=list(evidence),
        entered_by_id=user.id,
        at=clock.now(),
    )
    db.session.add(adjustment)
    transaction.commit()
    return adjustment


def adjustments(key):
    return (
        db.session.execute(
            select(Adjustment).where(Adjustment.period_key == key).order_by(Adjustment.id)
        )
        .scalars()
        .all()
    )


# -- the bulletin, leaders' sheets, a person's figures, the cases behind a figure ---------------


def bulletin(key):
    """季通报 (or any period's): per level the top and bottom N of the ranked (红黑榜) across
    the level, with their indicators and the change against the previous period; and what
    it counts late (补计)."""
    size = plans.plan().get("bulletin_size", 3)
    current = ranking(key)
    before = ranking(parse(key).previous().key)
    out = {}
    for level, rows in current["levels"].items():
        ranked = sorted((r for r in rows if r["ranked"]), key=_tie_key)
        previous = sorted((r for r in before["levels"].get(level, []) if r["ranked"]), key=_tie_key)
        place_before = {r["id"]: (place, r["score"]) for place, r in enumerate(previous, 1)}
        listed = []
        for place, row in enumerate(ranked, 1):
            was = place_before.get(row["id"])
            listed.append(
                {
                    **row,
                    "place": place,
                    "previous_place": was[0] if was else None,
                    "score_change": round(row["score"] - was[1], 2) if was else None,
                }
            )
        red = listed[:size]
        black = [r for r in listed[-size:][::-1] if r not in red]
        grades = defaultdict(int)
        for row in ranked:
            grades[row["grade"]] += 1
        out[level] = {
            "red": red,
            "black": black,
            "grades": dict(grades),
            "insufficient": sum(r["insufficient"] for r in rows),
        }
    return {
        "period": key,
        "previous": before["period"],
        "state": current["state"],
        "levels": out,
        "late": _late_entities(parse(key)),
    }


def _late_entities(period):
    """What the period counts late (补计), each with its unit's or department's code and
    the day its counting rule gives it, as the drill-down names it."""
    codes = {(UNIT, row.id): row.code for row in _units()}
    for row in db.session.execute(select(Department.id, Department.code)):
        codes[(DEPARTMENT_SUBJECT, row.id)] = row.code
    return [
        {
            "entity": entity,
            "id": entity_id,
            "code": codes.get((UNIT, unit_id)) or codes.get((DEPARTMENT_SUBJECT, department_id)),
            "counted_for": counted_for,
        }
        for entity, entity_id, unit_id, department_id, counted_for in facts.late(
            period.start, period.end
        )
    ]


def sheet(key, person):
    """A 包保 leader's sheet: the units they answer for, with their rows."""
    result = ranking(key)
    ids = {u.id for u in person.responsible_for}
    return [
        {"level": level, **row}
        for level in UNIT_LEVELS
        for row in result["levels"].get(level, [])
        if row["id"] in ids
    ]


def person_figures(key, person_id):
    """A person's own figures: every indicator with something behind it; none for a person
    the plan excludes (their grid's figures keep their cases)."""
    period = parse(key)
    if any(e.get("person") == person_id for e in plans.plan().get("exclusions") or []):
        return {}
    measures = facts.sums(period.start, period.end, ("person",)).get(("person", person_id), {})
    values = {k: i.value(measures) for k, i in INDICATORS.items()}
    return {k: v for k, v in values.items() if v is not None and (v or measures)}


def visible_level(user, level, subject_id):
    """Whether the user may open the cases behind a unit's or department's figures."""
    if user.role == DISTRICT_ADMIN:
        return True
    if level == "department":
        return user.role == DEPARTMENT and user.department_id == subject_id
    unit = db.session.get(Unit, subject_id)
    return unit is not None and people.can_view(user, unit)


def drill(user, key, level, subject_id, indicator, side="num"):
    """穿透: the cases, tasks, calls or acknowledgements behind a unit's figure, those
    counted (`num`) or all that could have counted (`den`); one that arrived late (after
    the period its counting rule gives was frozen) names that day."""
    period = parse(key)
    if indicator not in INDICATORS:
        raise Invalid("No such indicator.", fields={"indicator": [indicator]})
    if not visible_level(user, level, subject_id):
        raise NotFound("No such unit.", fields={"id": [subject_id]})
    if level == "department":
        subject, ids = DEPARTMENT_SUBJECT, [subject_id]
    else:
        unit = db.session.get(Unit, subject_id)
        subject = UNIT
        ids = (
            db.session.execute(select(Unit.id).where(Unit.code.startswith(unit.code)))
            .scalars()
            .all()
        )
    measure = INDICATORS[indicator].measure(side)
    return [
        {"entity": entity, "id": entity_id, "value": value, "counted_for": counted_for}
        for entity, entity_id, value, counted_for in facts.entities(
            subject, ids, measure, period.start, period.end
        )
    ]


def trend(user, key, level, subject_id, indicator, count=6):
    """An indicator of one unit (or department) over the `count` periods up to `key`, oldest
    first: [{period, value}]; a frozen period's value is the stored one."""
    if indicator not in INDICATORS:
        raise Invalid("No such indicator.", fields={"indicator": [indicator]})
    if not visible_level(user, level, subject_id):
        raise NotFound("No such unit.", fields={"id": [subject_id]})
    period, plan, out = parse(key), plans.plan(), []
    for _ in range(count):
        stored = _period(period.key)
        if stored is not None:
            rows = stored.result["levels"].get(level, [])
            row = next((r for r in rows if r["id"] == subject_id), None)
            value = row["indicators"].get(indicator) if row else None
        else:
            measures = figures(period, plan)[0].get(level, {}).get(subject_id, {})
            value = INDICATORS[indicator].value(measures)
        out.append({"period": period.key, "value": value})
        period = period.previous()
    return out[::-1]


# -- who reads what ------------------------------------------------------------------------------

READERS = (*people.MANAGERS, DEPARTMENT)


def require_reader(user):
    """Rankings, bulletins, appeals and adjustments circulate among the district's managers
    and departments; a member sees their own figures."""
    require(user.role in READERS, "Rankings are for managers and departments; see your own.")


def ranking_for(user, key, level=None, parent=None):
    """A period's ranking as its readers see it, narrowed to a level and a parent's
    children."""
    require_reader(user)
    result = ranking(key)
    levels = {
        name: [r for r in rows if parent is None or r["parent"] == parent]
        for name, rows in result["levels"].items()
        if level is None or name == level
    }
    return {**result, "levels": levels, "tie_rule": TIE_RULE}


TIE_RULE = "score, then 按期结案率, then the sample, higher first; then the code"


def bulletin_for(user, key):
    require_reader(user)
    return bulletin(key)


def mine(user, key):
    """A person's own figures and the rows of the grids they serve."""
    result = ranking(key)
    grids = {u.id for u in user.units if u.level == "grid"}
    return {
        "indicators": person_figures(key, user.id),
        "grids": [r for r in result["levels"].get("grid", []) if r["id"] in grids],
    }


def sheet_for(user, key, person_id=None):
    from app.people.models import User

    person = user if person_id in (None, user.id) else db.session.get(User, person_id)
    if person is None or (person.id != user.id and user.role != DISTRICT_ADMIN):
        raise NotFound("No such person.", fields={"person": [person_id]})
    return sheet(key, person)

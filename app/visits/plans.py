"""Visit plans (走访计划) by tag: how often a household or a tagged person is visited, the form
a visit of them fills (fields as the catalogue defines a report's: code, name, datatype,
required, values), and which department signs the record off (签收) within how long. Data,
not code: data/plans.json, versioned, checked when loaded."""

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from app.catalogue.catalogue import _check_fields
from app.catalogue.problems import InvalidData, Problem, check_keys, check_text, is_int, join
from app.households.models import PERSON_TAGS

HOUSEHOLD = "household"  # the plan of every household, whoever lives there
DATA = Path(__file__).parent / "data" / "plans.json"
PLAN_KEYS = ("tag", "name", "every_days")


@dataclass(frozen=True)
class Plan:
    tag: str
    name: str
    every_days: int
    fields: tuple = ()
    signoff: dict | None = None  # {department: code, hours: n}


@dataclass(frozen=True)
class Plans:
    version: int
    by_tag: dict

    def of(self, tags):
        return [self.by_tag[tag] for tag in tags if tag in self.by_tag]


def check(document):
    """The document's plans, or InvalidData naming every problem."""
    problems = []
    check_keys(document, "", ("version", "plans"), ("source",), problems)
    if not is_int(document.get("version")):
        problems.append(Problem("version", "must be an integer"))
    by_tag = {}
    for i, plan in enumerate(document.get("plans") or []):
        where = join("plans", i)
        if not isinstance(plan, dict):
            problems.append(Problem(where, "must be an object"))
            continue
        check_keys(plan, where, PLAN_KEYS, ("fields", "signoff"), problems)
        check_text(plan, where, "name", problems, max_length=50)
        if plan.get("tag") not in (HOUSEHOLD, *PERSON_TAGS) or plan.get("tag") in by_tag:
            problems.append(Problem(join(where, "tag"), "must be a known tag, once"))
        days = plan.get("every_days")
        if not is_int(days) or not 1 <= days <= 366:
            problems.append(Problem(join(where, "every_days"), "must be 1-366 days"))
        if "fields" in plan:
            _check_fields(plan["fields"], join(where, "fields"), problems)
        signoff = plan.get("signoff")
        if signoff is not None and not (
            isinstance(signoff, dict)
            and set(signoff) == {"department", "hours"}
            and isinstance(signoff["department"], str)
            and is_int(signoff["hours"])
            and 1 <= signoff["hours"] <= 24 * 30
        ):
            problems.append(Problem(join(where, "signoff"), "must be {department, hours}"))
        by_tag[plan.get("tag")] = Plan(
            plan.get("tag"),
            plan.get("name"),
            days,
            tuple(plan.get("fields", ())),
            signoff,
        )
    if problems:
        raise InvalidData("visit plans", problems)
    return Plans(document["version"], by_tag)


@cache
def plans():
    return check(json.loads(DATA.read_text(encoding="utf-8")))

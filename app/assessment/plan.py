"""The assessment plan (考核方案) in force: a versioned reference document like the catalogue,
seeded from data/plan.json, edited by district admins and validated, every problem named by
its path.

Per level (grid, community, street, department): the indicators with their weights and the
bands that map each to a score (linear between the points, capped at the ends), the minimum
sample to be ranked (样本不足 below it) and the share of the score that is the children's
(捆绑). Also the grade bands, the share of manual scores, the appeal window, the size of the
bulletin's lists, exclusions (a unit, a person or days, with a reason) and whether a
dissatisfied return visit reopens its case."""

from datetime import date
from pathlib import Path

from app.assessment.indicators import INDICATORS
from app.catalogue import services as documents
from app.catalogue.problems import Problem, check_keys, check_text, is_int, join
from app.errors import Invalid

KIND = "assessment_plan"
LEVELS = ("grid", "community", "street", "department")
documents.ship(KIND, Path(__file__).parent / "data" / "plan.json")


def plan():
    """The plan in force (a dict)."""
    return documents.document(KIND)[1]


def in_force():
    """(version, plan)."""
    return documents.document(KIND)


def replace(data, user):
    """A new version of the plan, in force from now; its number."""
    problems = validate(data)
    if problems:
        fields = {}
        for problem in problems:
            fields.setdefault(problem.path or "_document", []).append(problem.reason)
        raise Invalid("The plan has problems.", fields=fields)
    return documents.save_document(KIND, data, user)


def _number(value):
    return isinstance(value, int | float) and not isinstance(value, bool)


def _share(data, path, key, problems):
    if key in data and not (_number(data[key]) and 0 <= data[key] <= 1):
        problems.append(Problem(join(path, key), "must be a number from 0 to 1"))


def _count(data, path, key, problems, low, high):
    if key in data and not (is_int(data[key]) and low <= data[key] <= high):
        problems.append(Problem(join(path, key), f"must be a whole number from {low} to {high}"))


def validate(data):
    """Every problem of a plan, by path ([] when it is sound)."""
    problems = []
    if not isinstance(data, dict):
        return [Problem("", "must be an object")]
    check_keys(
        data,
        "",
        ("name", "return_visit", "grades", "levels"),
        ("appeal_days", "bulletin_size", "manual_weight", "exclusions"),
        problems,
    )
    check_text(data, "", "name", problems, max_length=200)
    visit = data.get("return_visit")
    if "return_visit" in data:
        if not isinstance(visit, dict) or not isinstance(visit.get("reopen_dissatisfied"), bool):
            problems.append(Problem("return_visit.reopen_dissatisfied", "must be true or false"))
    _count(data, "", "appeal_days", problems, 0, 60)
    _count(data, "", "bulletin_size", problems, 1, 50)
    _share(data, "", "manual_weight", problems)
    if "grades" in data:
        _grades(data["grades"], problems)
    levels = data.get("levels")
    if "levels" in data:
        if not isinstance(levels, dict) or not levels:
            problems.append(Problem("levels", "must name at least one level"))
        else:
            for name, level in levels.items():
                _level(level, join("levels", name), name, problems)
    for i, exclusion in enumerate(data.get("exclusions") or []):
        _exclusion(exclusion, join("exclusions", i), problems)
    if "exclusions" in data and not isinstance(data["exclusions"], list):
        problems.append(Problem("exclusions", "must be a list"))
    return problems


def _grades(grades, problems):
    if not isinstance(grades, list) or not grades:
        problems.append(Problem("grades", "must list [grade, lowest score] pairs"))
        return
    floors = []
    for i, pair in enumerate(grades):
        path = join("grades", i)
        if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str)):
            problems.append(Problem(path, "must be [grade, lowest score]"))
        elif not _number(pair[1]):
            problems.append(Problem(join(path, 1), "must be a number"))
        else:
            floors.append(pair[1])
    if floors != sorted(floors, reverse=True) or len(set(floors)) != len(floors):
        problems.append(Problem("grades", "lowest scores must fall from the first grade down"))
    if floors and floors[-1] != 0:
        problems.append(Problem(join("grades", len(grades) - 1), "the last grade starts at 0"))


def _level(level, path, name, problems):
    if name not in LEVELS:
        problems.append(Problem(path, f"is not a level ({', '.join(LEVELS)})"))
        return
    if not isinstance(level, dict):
        problems.append(Problem(path, "must be an object"))
        return
    check_keys(level, path, ("indicators",), ("min_sample", "sample", "children_weight"), problems)
    _count(level, path, "min_sample", problems, 0, 100_000)
    _share(level, path, "children_weight", problems)
    if "sample" in level and not isinstance(level["sample"], str):
        problems.append(Problem(join(path, "sample"), "must be a measure's name"))
    indicators = level.get("indicators")
    if "indicators" not in level:
        return
    if not isinstance(indicators, list) or not indicators:
        problems.append(Problem(join(path, "indicators"), "must list at least one indicator"))
        return
    seen = set()
    for i, entry in enumerate(indicators):
        _indicator(entry, join(join(path, "indicators"), i), seen, problems)


def _indicator(entry, path, seen, problems):
    if not isinstance(entry, dict):
        problems.append(Problem(path, "must be an object"))
        return
    check_keys(entry, path, ("key", "weight", "bands"), (), problems)
    key = entry.get("key")
    if "key" in entry and key not in INDICATORS:
        problems.append(Problem(join(path, "key"), f"is not an indicator: {key!r}"))
    elif key in seen:
        problems.append(Problem(join(path, "key"), "is listed twice"))
    seen.add(key)
    if "weight" in entry and not (_number(entry["weight"]) and entry["weight"] > 0):
        problems.append(Problem(join(path, "weight"), "must be a positive number"))
    bands = entry.get("bands")
    if "bands" not in entry:
        return
    if not isinstance(bands, list) or len(bands) < 2:
        problems.append(Problem(join(path, "bands"), "must list at least two [value, score]"))
        return
    values = []
    for i, point in enumerate(bands):
        where = join(join(path, "bands"), i)
        if not (isinstance(point, list) and len(point) == 2 and all(map(_number, point))):
            problems.append(Problem(where, "must be [value, score], two numbers"))
        elif not 0 <= point[1] <= 100:
            problems.append(Problem(join(where, 1), "a score is from 0 to 100"))
        else:
            values.append(point[0])
    if values != sorted(values) or len(set(values)) != len(values):
        problems.append(Problem(join(path, "bands"), "values must rise from point to point"))


def _exclusion(entry, path, problems):
    if not isinstance(entry, dict):
        problems.append(Problem(path, "must be an object"))
        return
    check_keys(entry, path, ("reason",), ("unit", "person", "from", "to"), problems)
    check_text(entry, path, "reason", problems, max_length=500)
    if not {"unit", "person", "from"} & entry.keys():
        problems.append(Problem(path, "must name a unit, a person or days (from, to)"))
    if "person" in entry and not is_int(entry["person"]):
        problems.append(Problem(join(path, "person"), "must be a person's id"))
    if "unit" in entry and not isinstance(entry["unit"], str):
        problems.append(Problem(join(path, "unit"), "must be a unit code"))
    if ("from" in entry) != ("to" in entry):
        problems.append(Problem(path, "days need both from and to"))
    parsed = []
    for key in ("from", "to"):
        if key in entry:
            try:
                parsed.append(date.fromisoformat(entry[key]))
            except (TypeError, ValueError):
                problems.append(Problem(join(path, key), "must be a date, 2026-07-01"))
    if len(parsed) == 2 and parsed[0] > parsed[1]:
        problems.append(Problem(join(path, "to"), "must not be before from"))

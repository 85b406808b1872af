"""Incident category catalogue (事件分类目录): 大类/小类 with filing and closing conditions,
responsible department and per-stage time limits; loaded from JSON and validated for admin edits.

The shipped list is data/categories.json. The document shape:

    {"version": 1, "source": "...", "categories": [
        {"code": "urban_management", "name": "城管", "name_en": "Urban management",
         "subcategories": [
            {"code": "street_vending", "name": "占道经营", "name_en": "...",
             "filing_condition": "...", "closing_condition": "...",
             "department": "urban_management" | null,
             "limits": {"accept":   {"ordinary": {"amount": 1, "unit": "working_hours"},
                                     "urgent":   {"amount": 30, "unit": "natural_minutes"}},
                        "dispatch": {...}, "handle": {...}, "check": {...}},
             "resident_open": true, "public_photos": false, "keywords": ["摆摊", "占道"],
             "fields": [{"code": "stall_count", "name": "摊位数", "datatype": "number",
                         "required": false}]}]}]}

Codes are snake_case and stable (incidents keep them). Subcategory codes are unique across the
whole catalogue, and differ from every category code, so one code names one thing.
A department of null means the community handles the case itself.

Optional per subcategory: `resident_open` (residents and other systems may report it: the
随手拍 page and the Open311 gateway offer it), `public_photos` (the handling photos of its
closed cases may be shown publicly: on the resident's tracking page and as Open311's
`media_url`; a street light's repair may be shown, a property dispute's rooms not),
`keywords` (what a resident might call it) and `fields` (what a report of it must or may say
besides the description; Open311's attributes).
"""

import copy
import json
import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from .calendar import DATA_DIR, NATURAL_UNITS, UNITS, Limit
from .problems import InvalidData, Problem, check_keys, check_text, is_int, join

STAGES = ("accept", "dispatch", "handle", "check")  # 受理/立案, 派遣, 处置, 核查
PRIORITIES = ("ordinary", "urgent")
CODE_PATTERN = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
CODE_MAX_LENGTH = 40
NAME_MAX_LENGTH = 50
CONDITION_MAX_LENGTH = 500
# No time limit longer than about a year: a larger number is a typo, not a rule.
MAX_AMOUNT = {
    "working_hours": 2000,
    "working_days": 250,
    "natural_minutes": 366 * 24 * 60,
    "natural_hours": 366 * 24,
    "natural_days": 366,
}
# Only to compare the urgent and ordinary limits of one stage: a nominal length per unit.
NOMINAL = {
    "working_hours": timedelta(hours=1),
    "working_days": timedelta(hours=7),
    **NATURAL_UNITS,
}

TOP_KEYS = ("version", "source", "categories")
CATEGORY_KEYS = ("code", "name", "name_en", "subcategories")
SUBCATEGORY_KEYS = (
    "code",
    "name",
    "name_en",
    "filing_condition",
    "closing_condition",
    "department",
    "limits",
)
SUBCATEGORY_OPTIONAL = ("resident_open", "public_photos", "keywords", "fields")
FIELD_KEYS = ("code", "name", "datatype", "required")
DATATYPES = ("string", "number", "text", "singlevaluelist")
KEYWORD_MAX = 10


@dataclass(frozen=True)
class StageLimits:
    """The time limits of one stage: ordinary (一般) and urgent (紧急)."""

    ordinary: Limit
    urgent: Limit

    def get(self, urgent):
        return self.urgent if urgent else self.ordinary


@dataclass(frozen=True)
class Subcategory:
    """小类: what can be filed under it, when it is done, who handles it, how fast."""

    code: str
    name: str
    name_en: str
    filing_condition: str
    closing_condition: str
    department: str | None
    limits: dict = field(hash=False)  # stage -> StageLimits, in STAGES order
    category_code: str
    resident_open: bool = False
    public_photos: bool = False
    keywords: tuple = ()
    fields: tuple = field(default=(), hash=False)  # of {code, name, datatype, required, values?}

    def limit(self, stage, urgent=False):
        if stage not in STAGES:
            raise ValueError(f"unknown stage {stage!r}; expected one of {', '.join(STAGES)}")
        return self.limits[stage].get(urgent)


@dataclass(frozen=True)
class Category:
    """大类: one line of work (党建, 综治, 民政, 城管, 信访, 应急管理) or 其他."""

    code: str
    name: str
    name_en: str
    subcategories: tuple

    def __iter__(self):
        return iter(self.subcategories)


class Catalogue:
    """A validated catalogue; iterate it for categories in file order."""

    def __init__(self, data, departments=None):
        problems = validate_catalogue(data, departments)
        if problems:
            raise InvalidData("catalogue", problems)
        self._data = copy.deepcopy(data)
        self.version = data["version"]
        self.source = data["source"]
        categories = []
        for c in data["categories"]:
            subs = tuple(_subcategory(s, c["code"]) for s in c["subcategories"])
            categories.append(Category(c["code"], c["name"], c["name_en"], subs))
        self.categories = tuple(categories)
        self._categories = {c.code: c for c in self.categories}
        self._subcategories = {s.code: s for c in self.categories for s in c}

    def __iter__(self):
        return iter(self.categories)

    def __len__(self):
        return len(self.categories)

    def __contains__(self, code):
        return code in self._categories or code in self._subcategories

    def category(self, code):
        """The category with `code`; KeyError if there is none."""
        try:
            return self._categories[code]
        except KeyError:
            raise KeyError(f"no category {code!r}") from None

    def subcategory(self, code):
        """The subcategory with `code`, from any category; KeyError if there is none."""
        try:
            return self._subcategories[code]
        except KeyError:
            raise KeyError(f"no subcategory {code!r}") from None

    def subcategories(self):
        """Every subcategory, in file order."""
        return [s for c in self.categories for s in c]

    def limit(self, sub_code, stage, urgent=False):
        """The time limit of `stage` for subcategory `sub_code`, urgent or ordinary."""
        return self.subcategory(sub_code).limit(stage, urgent)

    def to_dict(self):
        """The document this catalogue was built from (a copy), for the API and for saving."""
        return copy.deepcopy(self._data)


def _subcategory(data, category_code):
    limits = {
        stage: StageLimits(
            ordinary=Limit(**data["limits"][stage]["ordinary"]),
            urgent=Limit(**data["limits"][stage]["urgent"]),
        )
        for stage in STAGES
    }
    return Subcategory(
        code=data["code"],
        name=data["name"],
        name_en=data["name_en"],
        filing_condition=data["filing_condition"],
        closing_condition=data["closing_condition"],
        department=data["department"],
        limits=limits,
        category_code=category_code,
        resident_open=data.get("resident_open", False),
        public_photos=data.get("public_photos", False),
        keywords=tuple(data.get("keywords", ())),
        fields=tuple(copy.deepcopy(data.get("fields", []))),
    )


def load_catalogue(path=None, departments=None):
    """The catalogue at `path` (default: the shipped data/categories.json).

    `departments`, when given, is the set of known department codes; a subcategory naming
    another one is a problem. Raises InvalidData listing every problem.
    """
    path = Path(path) if path is not None else DATA_DIR / "categories.json"
    return Catalogue(json.loads(path.read_text(encoding="utf-8")), departments)


# -- validation ------------------------------------------------------------------------------


def validate_catalogue(data, departments=None):
    """Every problem in a catalogue document, each with its path; [] when it is valid.

    `departments`: known department codes, or None to check only that codes are well formed.
    """
    problems = []
    if not isinstance(data, dict):
        return [Problem("", "must be a JSON object")]
    known = None if departments is None else set(departments)
    check_keys(data, "", TOP_KEYS, (), problems)
    if "version" in data and (not is_int(data["version"]) or data["version"] < 1):
        problems.append(Problem("version", "must be a positive integer"))
    check_text(data, "", "source", problems, max_length=2000)
    categories = data.get("categories")
    if "categories" in data and (not isinstance(categories, list) or not categories):
        problems.append(Problem("categories", "must be a non-empty list"))
        return problems
    category_codes, sub_codes = {}, {}
    for i, category in enumerate(categories or []):
        path = join("categories", i)
        if not isinstance(category, dict):
            problems.append(Problem(path, "must be an object"))
            continue
        check_keys(category, path, CATEGORY_KEYS, (), problems)
        _check_code(category, path, category_codes, "category", problems)
        check_text(category, path, "name", problems, max_length=NAME_MAX_LENGTH)
        check_text(category, path, "name_en", problems, max_length=100)
        subs = category.get("subcategories")
        if "subcategories" in category and (not isinstance(subs, list) or not subs):
            problems.append(Problem(join(path, "subcategories"), "must be a non-empty list"))
            continue
        for j, sub in enumerate(subs or []):
            _check_subcategory(
                sub, join(join(path, "subcategories"), j), sub_codes, known, problems
            )
    for code, path in sub_codes.items():
        if code in category_codes:
            problems.append(
                Problem(
                    join(path, "code"), f"{code!r} is also a category code ({category_codes[code]})"
                )
            )
    return problems


def _check_code(data, path, seen, what, problems):
    if "code" not in data:
        return
    code = data["code"]
    where = join(path, "code")
    if not isinstance(code, str) or not CODE_PATTERN.match(code) or len(code) > CODE_MAX_LENGTH:
        problems.append(
            Problem(
                where, f"must be snake_case (a-z, 0-9, _) of at most {CODE_MAX_LENGTH} characters"
            )
        )
    elif code in seen:
        problems.append(Problem(where, f"duplicate {what} code {code!r} (first at {seen[code]})"))
    else:
        seen[code] = path


def _check_subcategory(sub, path, seen, departments, problems):
    if not isinstance(sub, dict):
        problems.append(Problem(path, "must be an object"))
        return
    check_keys(sub, path, SUBCATEGORY_KEYS, SUBCATEGORY_OPTIONAL, problems)
    _check_code(sub, path, seen, "subcategory", problems)
    check_text(sub, path, "name", problems, max_length=NAME_MAX_LENGTH)
    check_text(sub, path, "name_en", problems, max_length=100)
    check_text(sub, path, "filing_condition", problems, max_length=CONDITION_MAX_LENGTH)
    check_text(sub, path, "closing_condition", problems, max_length=CONDITION_MAX_LENGTH)
    if "department" in sub:
        department = sub["department"]
        where = join(path, "department")
        if department is None:
            pass
        elif not isinstance(department, str) or not CODE_PATTERN.match(department):
            problems.append(Problem(where, "must be a department code or null"))
        elif departments is not None and department not in departments:
            problems.append(Problem(where, f"unknown department {department!r}"))
    if "limits" in sub:
        _check_limits(sub["limits"], join(path, "limits"), problems)
    for flag in ("resident_open", "public_photos"):
        if flag in sub and not isinstance(sub[flag], bool):
            problems.append(Problem(join(path, flag), "must be true or false"))
    if "keywords" in sub:
        _check_keywords(sub["keywords"], join(path, "keywords"), problems)
    if "fields" in sub:
        _check_fields(sub["fields"], join(path, "fields"), problems)


def _check_keywords(keywords, path, problems):
    if not isinstance(keywords, list) or len(keywords) > KEYWORD_MAX:
        problems.append(Problem(path, f"must be a list of at most {KEYWORD_MAX} words"))
        return
    for i, word in enumerate(keywords):
        if not isinstance(word, str) or not word.strip() or len(word) > 20 or "," in word:
            problems.append(Problem(join(path, i), "must be a word of 1-20 characters, no comma"))


def _check_fields(fields, path, problems):
    """A report's further fields: a code (snake_case, unique), a name, a datatype, whether
    it is required, and for a list its values ({key, name})."""
    if not isinstance(fields, list):
        problems.append(Problem(path, "must be a list"))
        return
    seen = {}
    for i, spec in enumerate(fields):
        where = join(path, i)
        if not isinstance(spec, dict):
            problems.append(Problem(where, "must be an object"))
            continue
        check_keys(spec, where, FIELD_KEYS, ("values",), problems)
        _check_code(spec, where, seen, "field", problems)
        check_text(spec, where, "name", problems, max_length=NAME_MAX_LENGTH)
        if "datatype" in spec and spec["datatype"] not in DATATYPES:
            problems.append(
                Problem(join(where, "datatype"), f"must be one of {', '.join(DATATYPES)}")
            )
        if "required" in spec and not isinstance(spec["required"], bool):
            problems.append(Problem(join(where, "required"), "must be true or false"))
        listed = spec.get("datatype") == "singlevaluelist"
        values = spec.get("values")
        if listed != ("values" in spec):
            problems.append(
                Problem(join(where, "values"), "a singlevaluelist, and only it, has values")
            )
        elif listed and (
            not isinstance(values, list)
            or not values
            or not all(
                isinstance(v, dict)
                and set(v) == {"key", "name"}
                and all(isinstance(v[k], str) and v[k].strip() for k in ("key", "name"))
                for v in values
            )
        ):
            problems.append(
                Problem(join(where, "values"), "must be a non-empty list of {key, name}")
            )


def _check_limits(limits, path, problems):
    if not isinstance(limits, dict):
        problems.append(Problem(path, "must be an object with the stages " + ", ".join(STAGES)))
        return
    check_keys(limits, path, STAGES, (), problems)
    for stage in STAGES:
        stage_limits = limits.get(stage)
        stage_path = join(path, stage)
        if stage_limits is None:
            continue
        if not isinstance(stage_limits, dict):
            problems.append(Problem(stage_path, "must be an object with ordinary and urgent"))
            continue
        check_keys(stage_limits, stage_path, PRIORITIES, (), problems)
        valid = {
            p: _check_limit(stage_limits.get(p), join(stage_path, p), problems)
            for p in PRIORITIES
            if p in stage_limits
        }
        if valid.get("ordinary") and valid.get("urgent"):
            ordinary, urgent = valid["ordinary"], valid["urgent"]
            if ordinary.amount * NOMINAL[ordinary.unit] < urgent.amount * NOMINAL[urgent.unit]:
                problems.append(
                    Problem(
                        join(stage_path, "urgent"),
                        f"urgent limit ({urgent.amount} {urgent.unit}) is longer than the ordinary "
                        f"one ({ordinary.amount} {ordinary.unit})",
                    )
                )


def _check_limit(limit, path, problems):
    """The Limit when valid, else None (problems recorded)."""
    if not isinstance(limit, dict):
        problems.append(Problem(path, 'must be an object {"amount": N, "unit": "..."}'))
        return None
    before = len(problems)
    check_keys(limit, path, ("amount", "unit"), (), problems)
    unit, amount = limit.get("unit"), limit.get("amount")
    if "unit" in limit and unit not in UNITS:
        problems.append(Problem(join(path, "unit"), f"must be one of {', '.join(UNITS)}"))
    if "amount" in limit:
        if not is_int(amount) or amount < 1:
            problems.append(Problem(join(path, "amount"), "must be a positive integer"))
        elif unit in MAX_AMOUNT and amount > MAX_AMOUNT[unit]:
            problems.append(
                Problem(join(path, "amount"), f"must be at most {MAX_AMOUNT[unit]} {unit}")
            )
    return Limit(amount, unit) if len(problems) == before else None

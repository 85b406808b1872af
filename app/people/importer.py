"""Importing people from a spreadsheet (.xlsx, or .csv as Excel writes it): all or nothing,
each error naming its row and column; re-importing a phone updates its account."""

import csv
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import clock, transaction
from app.extensions import db
from app.history.services import record, record_many
from app.people import accounts
from app.people.models import (
    DEPARTMENT,
    DISTRICT_ADMIN,
    GRID_MEMBER,
    SECRETARY,
    STREET_ADMIN,
    TEAM_MEMBER,
    Department,
    User,
)
from app.units.models import Unit

# field -> the headers that name it, Chinese first.
COLUMNS = {
    "name": ("姓名", "name"),
    "phone": ("手机号", "手机号码", "手机", "phone"),
    "role": ("角色", "role"),
    "force": ("力量", "force"),
    "units": ("网格", "单位", "unit", "units"),
    "department": ("部门", "department"),
}
REQUIRED = ("name", "phone", "role")
ROLE_NAMES = {
    "网格员": GRID_MEMBER,
    "综合队员": TEAM_MEMBER,
    "网格综合队员": TEAM_MEMBER,
    "社区书记": SECRETARY,
    "书记": SECRETARY,
    "街道管理员": STREET_ADMIN,
    "区直部门": DEPARTMENT,
    "职能部门": DEPARTMENT,
    "区级管理员": DISTRICT_ADMIN,
}
FORCE_NAMES = {
    "区级支援力量": "district_support",
    "街道中坚力量": "street_backbone",
    "社区主体力量": "community_main",
    "社会后备力量": "social_reserve",
}
_SEPARATORS = re.compile(r"[\s,，、;；]+")
_SPACING = re.compile(r"[\s-]")
HEADER_SEARCH = 5


class ImportFailed(Exception):
    """Nothing was imported; `errors` are "row N, column X: what" lines."""

    def __init__(self, errors):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    codes: list = field(default_factory=list)  # (name, phone, code, expires_at) of new people

    def as_text(self):
        return f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}"


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a phone typed into a number cell
    return str(value).strip()


def _rows(path):
    """Every row of the file as text, the first being the spreadsheet's row 1."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".xlsx":
            book = load_workbook(path, read_only=True, data_only=True)
            try:
                return [[_cell(v) for v in row] for row in book.active.iter_rows(values_only=True)]
            finally:
                book.close()
        if suffix == ".csv":
            raw = path.read_bytes()
            try:
                text = raw.decode("utf-8-sig")  # Excel's "CSV UTF-8" starts with a BOM
            except UnicodeDecodeError:
                text = raw.decode("gb18030")  # Excel's plain "CSV" on a Chinese Windows
            return [[_cell(v) for v in row] for row in csv.reader(text.splitlines())]
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, InvalidFileException) as error:
        raise ImportFailed([f"{path.name}: not a readable {suffix} file ({error})"]) from None
    raise ImportFailed([f"{path.name}: not an .xlsx or .csv file"])


def _header(row, columns):
    """field -> (index, header as written) of the columns a row names, by `columns` (field ->
    the header names it may go by, the first as it is shown)."""
    found = {}
    for index, name in enumerate(row):
        for key, names in columns.items():
            if name.lower() in names and key not in found:
                found[key] = (index, name)
    return found


def header_and_rows(rows, columns, required, key):
    """The header, found in the first rows (a spreadsheet often starts with a title row) by
    the column `key` it must name, and the data rows after it as (row number, [text])."""
    number = next(
        (n for n, row in enumerate(rows[:HEADER_SEARCH], start=1) if key in _header(row, columns)),
        None,
    )
    if number is None:
        named = columns[key][0]
        raise ImportFailed([f"rows 1-{HEADER_SEARCH}: no header row naming {named} ({key})"])
    found = _header(rows[number - 1], columns)
    missing = [columns[name][0] for name in required if name not in found]
    if missing:
        raise ImportFailed([f"row {number}, column {name}: missing" for name in missing])
    return found, list(enumerate(rows[number:], start=number + 1))


def _values(row, columns, department_codes):
    def get(key):
        index = columns.get(key, (None,))[0]
        return row[index] if index is not None and index < len(row) else ""

    department = get("department")
    return {
        "name": get("name"),
        "phone": _SPACING.sub("", get("phone")),  # 138 0000 0001, 138-0000-0001
        "role": ROLE_NAMES.get(get("role"), get("role")),
        "force": FORCE_NAMES.get(get("force"), get("force")) or None,
        "department": department_codes.get(department, department) or None,
        "units": [code for code in _SEPARATORS.split(get("units")) if code],
    }


def _check(rows, columns):
    """Every row checked before anything is written: the rows' resolved values, or
    ImportFailed with every error of the file."""
    units = {u.code: u for u in db.session.execute(select(Unit)).scalars()}
    departments = {d.code: d for d in db.session.execute(select(Department)).scalars()}
    names = {d.name: d.code for d in departments.values()}
    errors, checked, first_row = [], [], {}
    for number, row in rows:
        if not any(row):
            continue
        values = _values(row, columns, names)
        values, problems = accounts.resolve(values, units, departments)
        phone = values["phone"]
        if phone in first_row and "phone" not in problems:
            problems["phone"] = [f"The same phone as row {first_row[phone]}."]
        first_row.setdefault(phone, number)
        for key, messages in problems.items():
            column = columns[key][1] if key in columns else COLUMNS[key][0]
            errors.extend(f"row {number}, column {column}: {message}" for message in messages)
        checked.append(values)
    if errors:
        raise ImportFailed(errors)
    return checked


def _changes(person, values):
    department_id = values["department"].id if values["department"] else None
    fields = {
        "name": (person.name, values["name"].strip()),
        "role": (person.role, values["role"]),
        "force": (person.force, values["force"]),
        "department": (person.department_id, department_id),
        "units": ([u.id for u in person.units], [u.id for u in values["units"]]),
    }
    return [key for key, (old, new) in fields.items() if old != new]


def import_people(path, *, hours=None, dry_run=False):
    """Check the whole file against the map and the departments, then write it in one
    transaction (or, for a dry run, only count). New people get a one-time code, in the
    result, to change at their first login; known phones are updated, the open work of the
    units they leave going back."""
    path = Path(path)
    columns, rows = header_and_rows(_rows(path), COLUMNS, REQUIRED, "phone")
    checked = _check(rows, columns)
    phones = [values["phone"] for values in checked]
    known = {
        user.phone: user
        for user in db.session.execute(
            select(User).options(selectinload(User.units)).where(User.phone.in_(phones))
        ).scalars()
    }
    result, created = ImportResult(), []
    for values in checked:
        person = known.get(values["phone"])
        changed = _changes(person, values) if person else None
        if person is None:
            result.created += 1
        elif changed:
            result.updated += 1
        else:
            result.unchanged += 1
        if dry_run or (person and not changed):
            continue
        if person is None:
            person = User(phone=values["phone"], active=True, created_at=clock.now())
            accounts.apply(person, values)
            code, expires_at = accounts.issue_code(person, hours)
            created.append(person)
            result.codes.append((person.name, person.phone, code, expires_at))
        else:
            accounts.apply(person, values)
            db.session.flush()
            handed = accounts.hand_back(person, None, "moved", moved=True)
            data = {"changed": changed, "source": path.name, **handed}
            record("person", person.id, "update", None, data=data)
    if dry_run:
        return result
    db.session.add_all(created)
    db.session.flush()  # one flush for the new people: the ids their history names
    record_many(
        "person",
        "create",
        None,
        [
            {
                "entity_id": p.id,
                "data": {"role": p.role, "units": [u.code for u in p.units], "source": path.name},
            }
            for p in created
        ],
    )
    transaction.commit()
    return result

"""`flask households import`: a community's register from its spreadsheet (.xlsx or .csv), one
row per person. All or nothing, each error named by row and column; idempotent by address
(a household is found again by its address in the community, a member by ID number or name)."""

import re
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import clock, privacy, transaction
from app.extensions import db
from app.history.services import record
from app.households import services
from app.households.models import (
    HOUSEHOLD_TAGS,
    MEMBER_FIELDS,
    PERSON_TAGS,
    RELATIONSHIPS,
    Household,
    HouseholdMember,
    member_id,
    normalize_id,
)
from app.people.importer import ImportFailed, _rows, header_and_rows
from app.units.models import Unit

# field -> the headers that name it, Chinese first.
COLUMNS = {
    "grid": ("网格", "网格编码", "grid"),
    "address": ("地址", "住址", "address"),
    "building": ("楼栋", "栋", "building"),
    "unit": ("单元", "unit"),
    "room": ("房号", "门牌号", "room"),
    "household_tags": ("户标签", "household_tags"),
    "name": ("姓名", "name"),
    "relationship": ("与户主关系", "关系", "relationship"),
    "phone": ("电话", "手机号", "联系电话", "phone"),
    "id_number": ("身份证号", "身份证号码", "id_number"),
    "tags": ("人员标签", "标签", "tags"),
}
REQUIRED = ("grid", "address", "name", "relationship")
RELATIONSHIP_NAMES = {
    "户主": "head",
    "本人": "head",
    "配偶": "spouse",
    "子女": "child",
    "子": "child",
    "女": "child",
    "父母": "parent",
    "孙子女": "grandchild",
    "兄弟姐妹": "sibling",
    "其他": "other",
    "租户": "tenant",
}
TAG_NAMES = {
    "出租屋": "rental",
    "独居老人": "elderly_alone",
    "低保户": "low_income",
    "低保": "low_income",
    "残疾人": "disabled",
    "精神障碍患者": "key_person:mental_disorder",
    "社区矫正": "key_person:community_correction",
    "刑满释放": "key_person:released",
    "吸毒人员": "key_person:drug",
    "重点信访": "key_person:petition",
}
# What an import sets on a household it finds again by its address.
HOUSEHOLD_FIELDS = ("building", "unit", "room", "tags")
_SEPARATORS = re.compile(r"[\s,，、;；]+")
_PHONE = re.compile(r"^1\d{10}$")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def valid_id_number(number):
    """GB 11643: 17 digits and the check character they give."""
    if not re.fullmatch(r"\d{17}[\dX]", number):
        return False
    total = sum(int(digit) * weight for digit, weight in zip(number, _WEIGHTS, strict=False))
    return "10X98765432"[total % 11] == number[17]


@dataclass
class ImportResult:
    households_created: int = 0
    households_updated: int = 0
    members_created: int = 0
    members_updated: int = 0
    unchanged: int = 0

    def as_text(self):
        return (
            f"households: {self.households_created} created, {self.households_updated} "
            f"updated; members: {self.members_created} created, {self.members_updated} "
            f"updated; {self.unchanged} rows unchanged"
        )


def _tags(text, allowed, problems, key):
    tags = []
    for name in (part for part in _SEPARATORS.split(text) if part):
        tag = TAG_NAMES.get(name, name)
        if tag in allowed:
            tags.append(tag)
        else:
            problems.setdefault(key, []).append(f"unknown tag {name}")
    return sorted(set(tags))


def _check(rows, columns):
    """Every row checked before anything is written: {address key: household values with
    its members}, or ImportFailed with every error of the file."""
    grids = {
        u.code: u for u in db.session.execute(select(Unit).where(Unit.level == "grid")).scalars()
    }
    errors, households = [], {}
    for number, row in rows:
        if not any(row):
            continue

        def get(key, row=row):
            index = columns.get(key, (None,))[0]
            return row[index] if index is not None and index < len(row) else ""

        problems = {}
        for key in REQUIRED:
            if not get(key):
                problems[key] = ["required"]
        grid = grids.get(get("grid"))
        if get("grid") and grid is None:
            problems["grid"] = [f"no grid {get('grid')}"]
        relationship = RELATIONSHIP_NAMES.get(get("relationship"), get("relationship"))
        if get("relationship") and relationship not in RELATIONSHIPS:
            problems["relationship"] = [f"unknown relationship {get('relationship')}"]
        phone = re.sub(r"[\s-]", "", get("phone")) or None
        if phone and not _PHONE.match(phone):
            problems["phone"] = ["not a mobile number"]
        id_number = normalize_id(get("id_number")) or None
        if id_number and not valid_id_number(id_number):
            problems["id_number"] = ["not a valid ID number (its check digit)"]
        household_tags = _tags(get("household_tags"), HOUSEHOLD_TAGS, problems, "household_tags")
        tags = _tags(get("tags"), PERSON_TAGS, problems, "tags")
        for field in ("address", "name"):
            if len(get(field)) > (200 if field == "address" else 50):
                problems[field] = ["too long"]
        for field in ("building", "unit", "room"):
            if len(get(field)) > 20:
                problems[field] = ["too long"]
        if grid is not None and not problems:
            key = (
                grid.parent_id,
                services.address_key(get("address"), get("building"), get("unit"), get("room")),
            )
            household = households.setdefault(
                key,
                {
                    "row": number,
                    "grid": grid,
                    "address": get("address"),
                    "building": get("building") or None,
                    "unit": get("unit") or None,
                    "room": get("room") or None,
                    "tags": household_tags,
                    "members": [],
                },
            )
            if household["grid"] is not grid:
                problems["grid"] = [f"row {household['row']} puts this address in another grid"]
            household["tags"] = sorted(set(household["tags"]) | set(household_tags))
            household["members"].append(
                {
                    "row": number,
                    "name": get("name"),
                    "relationship": relationship,
                    "phone": phone,
                    "id_number": id_number,
                    "tags": tags,
                }
            )
        for key, messages in problems.items():
            column = columns[key][1] if key in columns else COLUMNS[key][0]
            errors.extend(f"row {number}, column {column}: {message}" for message in messages)
    if errors:
        raise ImportFailed(errors)
    return households


def _write(row, values, fields):
    """Set what differs, each change a new version of its field; the fields changed."""
    versions = dict(row.versions or {})
    changed = []
    for field in fields:
        if values[field] != getattr(row, field):
            services.set_field(row, field, values[field])
            versions[field] = versions.get(field, 0) + 1
            changed.append(field)
    row.versions = versions
    return changed


def _find_member(household, values):
    for member in household.members:
        if values["id_number"] and member.id_index in privacy.blind_indexes(
            values["id_number"], normalize_id
        ):
            return member
    return next((m for m in household.members if m.name == values["name"]), None)


def import_households(path, *, dry_run=False):
    """Check the whole file against the map, then write it in one transaction (a dry run
    only counts)."""
    path = Path(path)
    columns, rows = header_and_rows(_rows(path), COLUMNS, REQUIRED, "address")
    checked = _check(rows, columns)
    existing = {
        (h.community_id, h.address_key): h
        for h in db.session.execute(
            select(Household)
            .where(Household.address_key.in_([key for _, key in checked]))
            .options(selectinload(Household.members))
        ).scalars()
    }
    result = ImportResult()
    now = clock.now()
    savepoint = db.session.begin_nested()  # a dry run writes, counts, and takes it back
    for key, values in checked.items():
        household = existing.get(key)
        if household is None:
            grid = values["grid"]
            household = Household(
                id=str(uuid.uuid4()),
                grid=grid,
                grid_id=grid.id,
                community_id=grid.parent_id,
                address=values["address"],
                address_key=key[1],
                versions={},
                tags=[],
                members=[],
            )
            db.session.add(household)
            result.households_created += 1
        changed = _write(household, values, HOUSEHOLD_FIELDS)
        members = []
        for member_values in values["members"]:
            member = _find_member(household, member_values)
            if member is None:
                member = HouseholdMember(
                    id=member_id(household.id, len(household.members)),
                    position=len(household.members),
                    versions={},
                    tags=[],
                )
                household.members.append(member)
                result.members_created += 1
            elif any(member_values[f] != getattr(member, f) for f in MEMBER_FIELDS):
                result.members_updated += 1
            else:
                result.unchanged += 1
                continue
            _write(member, member_values, MEMBER_FIELDS)
            members.append(member.id)
        if key not in existing or changed or members:
            result.households_updated += key in existing
            household.updated_at = now
            db.session.flush()
            record(
                services.ENTITY,
                household.id,
                "import",
                None,
                data={"fields": changed, "members": members},
                scope=(household.grid_id, household.community_id),
            )
    if dry_run:
        savepoint.rollback()
    else:
        savepoint.commit()
        transaction.commit()
    return result

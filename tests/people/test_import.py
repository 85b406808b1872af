"""`flask people import`: a real-looking .xlsx and an Excel CSV, all or nothing, every error
by row and column, re-import by phone."""

import csv
import os
import stat

from openpyxl import Workbook

from app.history.services import timeline
from app.people.models import GRID_MEMBER, SECRETARY, TEAM_MEMBER, User
from tests.conftest import PASSWORD, make_user

HEADER = ["序号", "姓名", "手机号", "角色", "力量", "网格", "部门"]


def _rows(cast):
    return [
        [1, "杨晓红", 13900000101, "网格员", "", cast.grid.code, ""],
        [2, "吴大勇", "13900000102", "综合队员", "社区主体力量", cast.grid.code, ""],
        [3, "龙书记", "13900000103", "社区书记", "", cast.community.code, ""],
        [4, "田科长", "13900000104", "区直部门", "", "", "区城市管理局"],
    ]


def _xlsx(path, header, rows):
    book = Workbook()
    sheet = book.active
    sheet.title = "花名册"
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    sheet.column_dimensions["C"].width = 14
    book.save(path)
    return str(path)


def _csv(path, header, rows, encoding="utf-8-sig"):
    with open(path, "w", encoding=encoding, newline="") as out:  # as Excel's "CSV UTF-8"
        csv.writer(out).writerows([header, *rows])
    return str(path)


def _import(runner, *args):
    return runner.invoke(args=["people", "import", *map(str, args)])


def test_an_xlsx_roster_creates_people_with_one_time_codes(app, runner, cast, tmp_path, db):
    roster = _xlsx(tmp_path / "花名册.xlsx", HEADER, _rows(cast))
    codes_file = tmp_path / "codes.csv"

    result = _import(runner, roster, "--codes", codes_file)

    assert result.exit_code == 0, result.output
    assert "created 4, updated 0, unchanged 0" in result.output
    assert stat.S_IMODE(os.stat(codes_file).st_mode) == 0o600
    with open(codes_file, encoding="utf-8-sig") as f:
        codes = {row["手机号"]: row for row in csv.DictReader(f)}
    assert set(codes) == {f"1390000010{i}" for i in range(1, 5)}
    people = {u.phone: u for u in db.session.query(User).filter(User.phone.like("1390000010%"))}
    assert people["13900000101"].role == GRID_MEMBER and not people["13900000101"].force
    assert people["13900000102"].role == TEAM_MEMBER
    assert people["13900000102"].force == "community_main"
    assert people["13900000103"].role == SECRETARY
    assert [u.code for u in people["13900000103"].units] == [cast.community.code]
    assert people["13900000104"].department.code == "urban_management"
    assert [u.level for u in people["13900000104"].units] == ["district"]
    assert all(u.password_change_required for u in people.values())
    assert [e.action for e in timeline("person", people["13900000101"].id)] == ["create"]

    client = app.test_client()
    me = client.post(
        "/api/auth/login",
        json={"phone": "13900000101", "password": codes["13900000101"]["一次性密码"]},
    ).get_json()
    assert me["name"] == "杨晓红" and me["password_change_required"] is True


def test_without_a_codes_file_the_codes_are_printed(runner, cast, tmp_path):
    result = _import(runner, _xlsx(tmp_path / "r.xlsx", HEADER, _rows(cast)[:1]))
    assert result.exit_code == 0, result.output
    assert "杨晓红,13900000101," in result.output


def test_reimporting_updates_by_phone_and_changes_nothing_twice(runner, cast, tmp_path, db):
    roster = _xlsx(tmp_path / "r.xlsx", HEADER, _rows(cast))
    assert _import(runner, roster, "--codes", tmp_path / "c1.csv").exit_code == 0
    hashes = dict(db.session.query(User.phone, User.password_hash))

    again = _import(runner, roster)
    assert "created 0, updated 0, unchanged 4" in again.output
    assert "一次性密码" not in again.output

    sibling = next(g for g in cast.community.children if g.id != cast.grid.id)
    rows = _rows(cast)
    rows[0][5] = sibling.code  # 杨晓红 moves to another grid
    moved = _import(runner, _xlsx(tmp_path / "r2.xlsx", HEADER, rows))
    assert "created 0, updated 1, unchanged 3" in moved.output, moved.output
    db.session.expire_all()
    person = db.session.query(User).filter_by(phone="13900000101").one()
    assert [u.code for u in person.units] == [sibling.code]
    assert person.password_hash == hashes["13900000101"]  # a re-import keeps the password
    entry = timeline("person", person.id)[-1]
    assert entry.action == "update" and entry.data["changed"] == ["units"]


def test_a_csv_with_bad_rows_imports_nothing_and_names_every_row_and_column(
    runner, cast, tmp_path, db
):
    make_user(GRID_MEMBER, [cast.grid], phone="13900000999")
    rows = [
        [1, "好人", "13900000201", "网格员", "", cast.grid.code, ""],
        [2, "坏号码", "1390000", "网格员", "", cast.grid.code, ""],
        [3, "无角色", "13900000203", "村长", "", cast.grid.code, ""],
        [4, "错网格", "13900000204", "网格员", "", "nowhere", ""],
        [5, "错层级", "13900000205", "网格员", "", cast.community.code, ""],
        [6, "无力量", "13900000206", "综合队员", "", cast.grid.code, ""],
        [7, "重号", "13900000201", "网格员", "", cast.grid.code, ""],
        [8, "", "13900000208", "网格员", "", cast.grid.code, ""],
        ["", "", "", "", "", "", ""],  # an empty row is skipped
    ]
    before = db.session.query(User).count()

    result = _import(runner, _csv(tmp_path / "名单.csv", HEADER, rows))

    assert result.exit_code == 1
    lines = result.output.splitlines()
    for expected in [
        "row 3, column 手机号: Not a mainland mobile number",
        "row 4, column 角色: Not a role",
        "row 5, column 网格: No unit nowhere.",
        f"row 6, column 网格: {cast.community.code} is a community; a grid_member serves a grid.",
        "row 7, column 力量: A team member belongs to one of the four forces.",
        "row 8, column 手机号: The same phone as row 2.",
        "row 9, column 姓名: Required.",
    ]:
        assert any(line.startswith(expected) for line in lines), (expected, lines)
    assert lines[-1] == "Nothing was imported."
    assert not any(line.startswith("row 2,") or line.startswith("row 10,") for line in lines)
    assert db.session.query(User).count() == before


def test_english_headers_and_a_gbk_csv_are_read_too(runner, cast, tmp_path, db):
    header = ["name", "phone", "role", "force", "unit", "department"]
    rows = [["杨晓红", "13900000301", "grid_member", "", cast.grid.code, ""]]
    result = _import(runner, _csv(tmp_path / "gbk.csv", header, rows, encoding="gb18030"))
    assert result.exit_code == 0, result.output
    assert db.session.query(User).filter_by(phone="13900000301").one().name == "杨晓红"


def test_a_missing_column_is_named(runner, cast, tmp_path):
    header = ["姓名", "手机号", "网格"]
    result = _import(runner, _csv(tmp_path / "r.csv", header, [["杨晓红", "13900000401", ""]]))
    assert result.exit_code == 1
    assert "row 1, column 角色: missing" in result.output


def test_a_title_row_above_the_header_and_spaced_phones(runner, cast, tmp_path, db):
    book = Workbook()
    sheet = book.active
    sheet.append(["碧江区网格员花名册（2026年12月）"])
    sheet.merge_cells("A1:G1")
    sheet.append(HEADER)
    sheet.append([1, "杨晓红", "139 0000 0501", "网格员", "", cast.grid.code, ""])
    sheet.append([2, "吴大勇", "139-0000-0502", "网格员", "", "nowhere", ""])
    book.save(tmp_path / "r.xlsx")

    result = _import(runner, tmp_path / "r.xlsx")

    assert result.exit_code == 1
    assert result.output.splitlines()[0] == "row 4, column 网格: No unit nowhere."


def test_a_file_that_is_not_a_spreadsheet_is_refused_in_words(runner, db, tmp_path):
    broken = tmp_path / "r.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really")
    result = _import(runner, broken)
    assert result.exit_code == 1
    assert "r.xlsx: not a readable .xlsx file" in result.output


def test_a_dry_run_counts_and_writes_nothing(runner, cast, tmp_path, db):
    result = _import(runner, _xlsx(tmp_path / "r.xlsx", HEADER, _rows(cast)), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "would have created 4" in result.output
    assert db.session.query(User).filter(User.phone.like("1390000010%")).count() == 0


def test_an_existing_codes_file_is_not_overwritten(runner, cast, tmp_path):
    codes = tmp_path / "codes.csv"
    codes.write_text(PASSWORD)
    result = _import(runner, _xlsx(tmp_path / "r.xlsx", HEADER, _rows(cast)), "--codes", codes)
    assert result.exit_code != 0 and "name a new file" in result.output
    assert codes.read_text() == PASSWORD

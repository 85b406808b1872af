"""`flask households import`: a community's spreadsheet, all or nothing, every error by row and
column, and importing again changes nothing."""

import csv

from openpyxl import Workbook
from sqlalchemy import text

from app.households.importer import valid_id_number
from app.households.models import Household, HouseholdMember

HEADER = [
    "网格",
    "地址",
    "楼栋",
    "单元",
    "房号",
    "户标签",
    "姓名",
    "与户主关系",
    "电话",
    "身份证号",
    "人员标签",
]


def _rows(grid):
    return [
        [
            grid,
            "清水塘路8号",
            "3栋",
            "2单元",
            "501",
            "",
            "张三丰",
            "户主",
            "139 1234 5678",
            "520602198001011232",
            "独居老人",
        ],
        [
            grid,
            "清水塘路8号",
            "3栋",
            "2单元",
            "502",
            "出租屋",
            "李四",
            "户主",
            "13900000001",
            "",
            "",
        ],
        [
            grid,
            "清水塘路8号",
            "3栋",
            "2单元",
            "502",
            "",
            "王五",
            "租户",
            "13900000002",
            "",
            "低保户、残疾人",
        ],
        [grid, "锦江北路1号", "", "", "", "", "赵六", "户主", "", "", "精神障碍患者"],
    ]


def _xlsx(path, rows):
    book = Workbook()
    sheet = book.active
    sheet.append(["碧江区某社区住户登记表"])  # a title row above the header, as such sheets have
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return str(path)


def test_a_spreadsheet_is_imported_and_importing_it_again_changes_nothing(
    db, cast, runner, tmp_path
):
    path = _xlsx(tmp_path / "住户.xlsx", _rows(cast.grid.code))
    first = runner.invoke(args=["households", "import", path])
    assert first.exit_code == 0, first.output
    assert "households: 3 created" in first.output and "members: 4 created" in first.output
    households = {h.room: h for h in db.session.query(Household)}
    assert set(households) == {"501", "502", None}
    assert households["502"].tags == ["rental"]
    tenant = next(m for m in households["502"].members if m.name == "王五")
    assert (tenant.relationship, tenant.tags) == ("tenant", ["disabled", "low_income"])
    assert db.session.query(HouseholdMember).filter_by(name="张三丰").one().phone == "13912345678"
    raw = db.session.execute(text("SELECT phone FROM household_member")).scalars().all()
    assert not any(value and value.startswith("139") for value in raw)  # encrypted at rest

    again = runner.invoke(args=["households", "import", path])
    assert again.exit_code == 0, again.output
    assert (
        "households: 0 created, 0 updated; members: 0 created, 0 updated; 4 rows unchanged"
        in again.output
    )

    rows = _rows(cast.grid.code)
    rows[3][10] = "独居老人"  # a person's tag changed since: updated, found by address and name
    csv_path = tmp_path / "住户.csv"
    with open(csv_path, "w", encoding="utf-8-sig", newline="") as out:
        csv.writer(out).writerows([HEADER, *rows])
    third = runner.invoke(args=["households", "import", str(csv_path)])
    assert "households: 0 created, 1 updated; members: 0 created, 1 updated" in third.output
    assert db.session.query(Household).count() == 3


def test_a_file_with_errors_imports_nothing_and_names_each_by_row_and_column(
    db, cast, runner, tmp_path
):
    rows = _rows(cast.grid.code)
    rows[0][9] = "520602198001011234"  # a wrong check digit
    rows[1][0] = "NOPE"
    rows[2][7] = "邻居"
    rows[3][8] = "12345"
    rows.append(
        [
            cast.other_grid.code,
            "清水塘路8号",
            "3栋",
            "2单元",
            "501",
            "",
            "钱七",
            "配偶",
            "",
            "",
            "外星人",
        ]
    )
    result = runner.invoke(args=["households", "import", _xlsx(tmp_path / "bad.xlsx", rows)])
    assert result.exit_code == 1
    errors = result.output.splitlines()
    assert errors == [
        "row 3, column 身份证号: not a valid ID number (its check digit)",
        "row 4, column 网格: no grid NOPE",
        "row 5, column 与户主关系: unknown relationship 邻居",
        "row 6, column 电话: not a mobile number",
        "row 7, column 人员标签: unknown tag 外星人",
        "Nothing was imported.",
    ]
    assert db.session.query(Household).count() == 0


def test_id_numbers_check_digit():
    assert valid_id_number("520602198001011232")
    assert valid_id_number("11010519491231002X")
    assert not valid_id_number("110105194912310021")
    assert not valid_id_number("1101051949123100")

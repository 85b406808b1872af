"""Exports: the worker claims each job once, reports progress, and the files hold the
ranking's numbers, what counts late marked (补计) as the drill-down marks it (read back
with openpyxl and python-docx)."""

import io
from datetime import datetime

import pytest
from docx import Document
from openpyxl import load_workbook

from app.assessment import exports, facts, ranking
from app.return_visits import services as visits
from tests.assessment.test_indicators import at, march, month  # noqa: F401  (fixtures)
from tests.assessment.test_ranking import grids  # noqa: F401  (the fixture)


@pytest.fixture
def export_root(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "EXPORT_ROOT", str(tmp_path))
    return tmp_path


def made(client, kind, period):
    job = client.post("/api/assessment/exports", json={"kind": kind, "period": period})
    assert job.status_code == 202, job.get_json()
    assert job.get_json()["state"] == "queued"
    assert exports.run_pending() == 1
    state = client.get(f"/api/assessment/exports/{job.get_json()['id']}").get_json()
    assert (state["state"], state["progress"]) == ("done", 100)
    response = client.get(f"/api/assessment/exports/{state['id']}/file")
    assert response.status_code == 200
    data = response.data
    response.close()  # send_file's handle
    return io.BytesIO(data)


def test_the_ranking_as_excel(grids, cast, as_user, export_root):  # noqa: F811
    book = load_workbook(made(as_user(cast.secretary), "ranking_xlsx", "2026-03"))
    assert book.sheetnames == ["网格", "社区", "案件明细"]
    sheet = book["网格"]
    assert sheet.freeze_panes == "A2"
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["排名", "同级数", "代码", "名称"]
    rate = header.index("按期结案率") + 1
    lines = {row[2].value: row for row in sheet.iter_rows(min_row=2)}
    first = lines[grids[0].code]
    assert (first[0].value, first[7].value, first[8].value) == (1, 90.0, "A")
    assert first[rate - 1].value == pytest.approx(0.9)
    assert first[rate - 1].number_format == "0.0%"
    cases = list(book["案件明细"].iter_rows(min_row=2, values_only=True))
    assert len(cases) == 10 + 10 + 5 + 2 + 4  # the cases counted in March, April's not
    assert {line[1] for line in cases} == {g.code for g in grids}


def test_the_bulletin_as_word(grids, cast, as_user, export_root):  # noqa: F811
    document = Document(made(as_user(cast.district_admin), "bulletin_docx", "2026-Q1"))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "考核通报（2026-Q1）" in text and "红榜" in text and "黑榜" in text
    assert len(document.inline_shapes) == 2  # a grade chart per level
    red = document.tables[0]
    assert [c.text for c in red.rows[1].cells][:4] == ["1", grids[0].code, grids[0].name, "90.00"]


def test_a_job_is_claimed_once_and_only_by_its_asker(grids, cast, as_user, export_root):  # noqa: F811
    secretary = as_user(cast.secretary)
    job = secretary.post(
        "/api/assessment/exports", json={"kind": "ranking_xlsx", "period": "2026-03"}
    )
    job_id = job.get_json()["id"]
    assert exports.claim() == job_id
    assert exports.claim() is None  # running: not taken again
    assert (
        as_user(cast.outside_secretary).get(f"/api/assessment/exports/{job_id}").status_code == 404
    )
    not_ready = secretary.get(f"/api/assessment/exports/{job_id}/file")
    assert not_ready.status_code == 409
    assert (
        as_user(cast.member)
        .post("/api/assessment/exports", json={"kind": "ranking_xlsx", "period": "2026-03"})
        .status_code
        == 403
    )


def test_the_exports_mark_what_counts_late(march, month, cast, as_user, export_root):  # noqa: F811
    """March published; in April B (due 3-12) is closed and A (due 3-10) reopened by a
    return visit: April's Excel lists both cases with their changes, marked 补计 with the
    day they were counted for, C (due in April) unmarked; the second quarter's bulletin
    names both as the drill-down does."""
    month.when(at(4, 1, 9))
    ranking.open_appeals(cast.district_admin, "2026-03")
    month.when(at(4, 7, 9))
    ranking.publish(cast.district_admin, "2026-03")
    month.handle(march["b"], at(4, 8, 10))
    month.check(march["b"], at(4, 8, 15))
    month.when(at(4, 9, 10))
    visits.record(cast.secretary, march["a"], "dissatisfied", "没修好")
    facts.refresh()
    month.when(at(4, 10, 10))
    admin = as_user(cast.district_admin)
    sheet = load_workbook(made(admin, "ranking_xlsx", "2026-04"))["案件明细"]
    header = [c.value for c in sheet[1]]
    assert header[-1] == "补计：原计入"
    cases = {
        line[0]: dict(zip(header, line, strict=True))
        for line in sheet.iter_rows(min_row=2, values_only=True)
    }
    assert set(cases) == {march["a"], march["b"], march["c"]}
    late_for = {case: line["补计：原计入"] for case, line in cases.items()}
    assert late_for == {
        march["a"]: datetime(2026, 3, 10),
        march["b"]: datetime(2026, 3, 12),
        march["c"]: None,
    }
    assert (cases[march["b"]]["计入"], cases[march["b"]]["结案"]) == (0, 1)  # closed, once
    assert (cases[march["a"]]["计入"], cases[march["a"]]["结案"]) == (0, -1)  # taken back
    assert (cases[march["c"]]["计入"], cases[march["c"]]["结案"]) == (1, 0)
    document = Document(made(admin, "bulletin_docx", "2026-Q2"))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "本期补计 2 项" in text
    late = document.tables[-1]
    assert [[c.text for c in row.cells] for row in late.rows] == [
        ["类型", "编号", "单位代码", "补计"],
        *sorted(
            [
                ["案件", march["a"], cast.grid.code, "补计：原计入 2026-03-10"],
                ["案件", march["b"], cast.grid.code, "补计：原计入 2026-03-12"],
            ],
            key=lambda line: line[1],
        ),
    ]
    quiet = Document(made(admin, "bulletin_docx", "2026-Q1"))
    assert "本期无补计。" in [p.text for p in quiet.paragraphs]

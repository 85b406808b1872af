"""Exports: the worker claims each job once, reports progress, and the files hold the
ranking's numbers (read back with openpyxl and python-docx)."""

import io

import pytest
from docx import Document
from openpyxl import load_workbook

from app.assessment import exports
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

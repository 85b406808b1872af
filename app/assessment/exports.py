"""Exports as worker jobs: the ranking as Excel (openpyxl: a sheet per level with a frozen
header, number formats and the unit codes, and the cases counted with their figures) and
the bulletin as Word (python-docx, with a chart of the grades). A job is claimed by one
worker (a conditional UPDATE of a row picked with SKIP LOCKED), reports its progress and is
downloadable when done.

The chart is drawn with Pillow, already a dependency: a bar chart of grades is a few lines,
where matplotlib would add some 30 MB to every install for it. Its labels are letters and
numbers, so it needs no CJK font on the server; the Chinese is the document's own text."""

import io
import logging
import os
from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, select, update

from app import clock, transaction
from app.assessment import ranking
from app.assessment.indicators import COUNT, INDICATORS, MEAN, MEDIAN
from app.assessment.models import (
    DONE,
    FAILED,
    QUEUED,
    RUNNING,
    EntityFact,
    Export,
)
from app.assessment.periods import parse
from app.errors import Conflict, NotFound
from app.extensions import db
from app.people.models import DISTRICT_ADMIN
from app.rules import require
from app.units.models import Unit

log = logging.getLogger("gridlink.worker")

LEVEL_NAMES = {"grid": "网格", "community": "社区", "street": "街道", "department": "部门"}
# A job running longer than this lost its worker: another may take it.
STALE = timedelta(minutes=30)
MIME = {
    "ranking_xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "bulletin_docx": (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
}
# The cases sheet: a column per measure of a case.
CASE_COLUMNS = (
    ("due", "计入"),
    ("closed", "结案"),
    ("on_time", "按期结案"),
    ("handled", "处置"),
    ("overdue", "超期"),
    ("reworks", "返工次数"),
    ("extended", "延期"),
    ("supervised", "督办"),
    ("active", "主动发现"),
    ("visit_satisfied", "满意"),
    ("visit_dissatisfied", "不满意"),
)


def _root():
    return current_app.config.get("EXPORT_ROOT") or os.path.join(
        current_app.instance_path, "exports"
    )


def request(user, kind, key):
    """A job for the worker; its progress is polled."""
    require(user.role in ranking.READERS, "Exports are for managers and departments.")
    parse(key)
    job = Export(
        kind=kind,
        period_key=key,
        state=QUEUED,
        progress=0,
        requested_by_id=user.id,
        created_at=clock.now(),
    )
    db.session.add(job)
    transaction.commit()
    return job


def get(user, export_id):
    job = db.session.get(Export, export_id)
    if job is None or (job.requested_by_id != user.id and user.role != DISTRICT_ADMIN):
        raise NotFound("No such export.")
    return job


def file(user, export_id):
    """(path, download name, mime type) of a finished export."""
    job = get(user, export_id)
    if job.state != DONE:
        raise Conflict("The export is not ready.", code="not_ready", extra={"state": job.state})
    ext, mime = MIME[job.kind]
    name = f"考核{'排名' if job.kind == 'ranking_xlsx' else '通报'}_{job.period_key}.{ext}"
    return os.path.join(_root(), job.file_name), name, mime


def claim():
    """The next job for this worker, or None: picked with SKIP LOCKED (another worker's pick
    is passed over) and taken by a conditional UPDATE (committed at once), so two workers
    never run one job."""
    now = clock.now()
    waiting = or_(
        Export.state == QUEUED, (Export.state == RUNNING) & (Export.claimed_at < now - STALE)
    )
    pick = (
        select(Export.id)
        .where(waiting)
        .order_by(Export.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    taken = db.session.execute(
        update(Export)
        .where(Export.id == pick, waiting)
        .values(state=RUNNING, claimed_at=now, progress=0)
        .returning(Export.id)
    ).scalar()
    db.session.commit()
    return taken


def _progress(job_id, percent):
    db.session.execute(update(Export).where(Export.id == job_id).values(progress=percent))
    db.session.commit()


def run_pending(limit=10):
    """Make the waiting exports (the worker's job); how many were made."""
    made = 0
    while made < limit and (job_id := claim()) is not None:
        job = db.session.get(Export, job_id)
        kind, key = job.kind, job.period_key
        os.makedirs(_root(), exist_ok=True)
        name = f"{job_id}.{MIME[kind][0]}"
        try:
            data = BUILDERS[kind](key, lambda p, j=job_id: _progress(j, p))
            path = os.path.join(_root(), name)
            with open(path + ".part", "wb") as out:
                out.write(data)
            os.replace(path + ".part", path)
            values = {"state": DONE, "progress": 100, "file_name": name}
        except Exception as error:  # the job fails, the worker carries on
            db.session.rollback()
            log.exception("export %s failed", job_id)
            values = {"state": FAILED, "error": str(error)[:500]}
        db.session.execute(
            update(Export).where(Export.id == job_id).values(finished_at=clock.now(), **values)
        )
        db.session.commit()
        made += 1
    return made


# -- Excel ---------------------------------------------------------------------------------------


def _format(indicator):
    if indicator.kind in (COUNT,):
        return "0"
    if indicator.kind in (MEAN, MEDIAN):
        return "0.0"
    return "0.0%"


def ranking_xlsx(key, progress=lambda percent: None):
    from openpyxl import Workbook

    result = ranking.ranking(key)
    book = Workbook(write_only=True)
    keys = list(INDICATORS)
    header = ["排名", "同级数", "代码", "名称", "上级代码", "样本", "样本不足", "得分", "等级"]
    header += [INDICATORS[k].name for k in keys]
    formats = [None] * 5 + ["0", None, "0.00", None] + [_format(INDICATORS[k]) for k in keys]
    for level, rows in result["levels"].items():
        sheet = book.create_sheet(LEVEL_NAMES[level])
        sheet.freeze_panes = "A2"
        sheet.append(header)
        for row in rows:
            values = [
                row["rank"],
                row["peers"],
                row["code"],
                row["name"],
                row["parent"],
                row["sample"],
                "是" if row["insufficient"] else "",
                row["score"],
                row["grade"],
            ] + [row["indicators"].get(k) for k in keys]
            sheet.append(_cells(sheet, values, formats))
    progress(20)
    _cases_sheet(book, key, progress)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cells(sheet, values, formats):
    from openpyxl.cell import WriteOnlyCell

    cells = []
    for value, number_format in zip(values, formats, strict=True):
        cell = WriteOnlyCell(sheet, value=value)
        if number_format and value is not None:
            cell.number_format = number_format
        cells.append(cell)
    return cells


def _cases_sheet(book, key, progress):
    """Every case counted in the period with its figures: what each number is made of. A
    case whose change arrived after its period was frozen (补计) counts here by that change
    (a figure taken back is -1), marked with the day its counting rule gives it, as the
    drill-down marks it."""
    period = parse(key)
    codes = {row.id: row.code for row in db.session.execute(select(Unit.id, Unit.code))}
    sheet = book.create_sheet("案件明细")
    sheet.freeze_panes = "A2"
    sheet.append(
        ["案件编号", "网格代码", "计入日期", *(name for _, name in CASE_COLUMNS), "补计：原计入"]
    )
    in_period = (
        EntityFact.entity == "incident",
        EntityFact.unit_id.is_not(None),
        EntityFact.day >= period.start,
        EntityFact.day < period.end,
    )
    total = db.session.execute(  # for the progress: the cases due (a late one may not be)
        select(db.func.count()).where(*in_period, EntityFact.measure == "due")
    ).scalar()
    rows = db.session.execute(
        select(
            EntityFact.entity_id,
            EntityFact.unit_id,
            EntityFact.day,
            EntityFact.measure,
            EntityFact.value,
            EntityFact.counted_for,
        )
        .where(*in_period)
        .order_by(EntityFact.entity_id, EntityFact.day)
        .execution_options(yield_per=20_000)
    )
    current, measures, written = None, {}, 0
    for entity_id, grid_id, day, measure, value, counted_for in rows:
        if entity_id != current:
            if current is not None:
                sheet.append(_case_line(current, measures))
                written += 1
                if total and written % 20_000 == 0:
                    progress(20 + int(75 * written / total))
            current = entity_id
            measures = {"grid": codes.get(grid_id), "day": day, "counted_for": counted_for}
        measures[measure] = measures.get(measure, 0.0) + value  # late changes add up
    if current is not None:
        sheet.append(_case_line(current, measures))


def _case_line(case_id, measures):
    return [
        case_id,
        measures["grid"],
        measures["day"],
        *(round(measures.get(name, 0)) for name, _ in CASE_COLUMNS),
        measures["counted_for"],
    ]


# -- Word ----------------------------------------------------------------------------------------


STATE_NAMES = {"draft": "草稿", "appeal": "申诉期", "published": "已发布"}
GRADE_COLOURS = ((46, 125, 50), (104, 159, 56), (249, 168, 37), (239, 108, 0), (198, 40, 40))


def grade_chart(counts, grades):
    """A PNG bar chart of how many units got each grade."""
    from PIL import Image, ImageDraw

    width, height, margin = 480, 240, 30
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    top = max([counts.get(g, 0) for g in grades] + [1])
    slot = (width - 2 * margin) / len(grades)
    draw.line((margin, height - margin, width - margin, height - margin), fill="black")
    for i, name in enumerate(grades):
        count = counts.get(name, 0)
        bar = (height - 2 * margin - 20) * count / top
        x0 = margin + i * slot + slot * 0.2
        x1 = margin + (i + 1) * slot - slot * 0.2
        colour = GRADE_COLOURS[min(i, len(GRADE_COLOURS) - 1)]
        draw.rectangle((x0, height - margin - bar, x1, height - margin), fill=colour)
        draw.text(((x0 + x1) / 2 - 3, height - margin + 6), name, fill="black")
        draw.text(((x0 + x1) / 2 - 6, height - margin - bar - 14), str(count), fill="black")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _pct(value):
    return "—" if value is None else f"{value:.1%}"


def bulletin_docx(key, progress=lambda percent: None):
    from docx import Document
    from docx.shared import Cm

    bulletin = ranking.bulletin(key)
    plan = ranking.plans.plan()
    grades = [name for name, _ in plan["grades"]]
    document = Document()
    document.add_heading(f"{plan['name']} 考核通报（{key}）", level=0)
    state = STATE_NAMES[bulletin["state"]]
    document.add_paragraph(f"本期状态：{state}；对比上期：{bulletin['previous']}。")
    levels = bulletin["levels"]
    for n, (level, lists) in enumerate(levels.items(), start=1):
        document.add_heading(f"{LEVEL_NAMES[level]}", level=1)
        document.add_paragraph(
            "等级分布："
            + "，".join(f"{g} {lists['grades'].get(g, 0)} 个" for g in grades)
            + f"；样本不足 {lists['insufficient']} 个。"
        )
        document.add_picture(io.BytesIO(grade_chart(lists["grades"], grades)), width=Cm(12))
        for title, rows in (("红榜", lists["red"]), ("黑榜", lists["black"])):
            document.add_heading(title, level=2)
            table = document.add_table(rows=1, cols=6)
            table.style = "Table Grid"
            for cell, text in zip(
                table.rows[0].cells,
                ("名次", "代码", "名称", "得分", "按期结案率", "较上期"),
                strict=True,
            ):
                cell.text = text
            for row in rows:
                change = row["score_change"]
                cells = table.add_row().cells
                values = (
                    str(row["place"]),
                    row["code"],
                    row["name"],
                    f"{row['score']:.2f}",
                    _pct(row["indicators"].get("on_time_close_rate")),
                    "新上榜" if change is None else f"{change:+.2f}",
                )
                for cell, text in zip(cells, values, strict=True):
                    cell.text = text
        progress(int(100 * n / len(levels)))
    _late_section(document, bulletin["late"])
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# As the PWA's drill-down names them (pwa/src/locales/zh-CN.json, assessment.entity).
ENTITY_NAMES = {
    "incident": "案件",
    "task": "任务",
    "whistle": "吹哨",
    "ack": "叫应",
    "patrol": "巡查",
    "plan_miss": "漏巡",
    "visit": "走访",
    "journal": "民情日志",
    "wish": "微心愿",
    "signup": "志愿服务",
}


def _late_section(document, late):
    """补计: what the period counts that arrived after its own period froze, named as the
    drill-down names it (补计：原计入 <day>)."""
    document.add_heading("补计", level=1)
    if not late:
        document.add_paragraph("本期无补计。")
        return
    document.add_paragraph(f"本期补计 {len(late)} 项：所属期间冻结后到达的变化，计入本期。")
    table = document.add_table(rows=1, cols=4)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, ("类型", "编号", "单位代码", "补计"), strict=True):
        cell.text = text
    for entry in late:
        cells = table.add_row().cells
        values = (
            ENTITY_NAMES.get(entry["entity"], entry["entity"]),
            entry["id"],
            entry["code"] or "",
            f"补计：原计入 {entry['counted_for'].isoformat()}",
        )
        for cell, text in zip(cells, values, strict=True):
            cell.text = text


BUILDERS = {"ranking_xlsx": ranking_xlsx, "bulletin_docx": bulletin_docx}

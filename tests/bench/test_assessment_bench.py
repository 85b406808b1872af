"""The assessment bench at a tiny size, on both backends: the generated year holds what it
says, and every measure runs and agrees with it."""

from datetime import date

from app.assessment.models import EntityFact
from bench import assessment


def test_a_tiny_generated_year_is_measured(cast, db, as_user, app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "EXPORT_ROOT", str(tmp_path))
    made = assessment.generate(400, seed=3)
    assert made["incidents"] == 400 and made["tasks"] == 40 and made["roll_calls"] == 12
    figures = assessment.measure(as_user(cast.district_admin), rounds=1)
    due = (
        db.session.query(EntityFact)
        .filter_by(entity="incident", measure="due")
        .filter(EntityFact.unit_id.is_not(None))
    )
    in_year = due.filter(EntityFact.day < date(2027, 1, 1))  # late December's are due in 2027
    assert figures["year_xlsx_case_rows"] == in_year.count()  # each case counted, on its line
    assert 0 < figures["month_cases"] < 400
    assert figures["month_units"] > 35

"""Return visits (回访): one reached verdict per closing of a case, and the attempts that
did not reach the resident."""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.types import UTCDateTime

# 满意 / 基本满意 / 不满意
SATISFIED, BASICALLY_SATISFIED, DISSATISFIED = "satisfied", "basically_satisfied", "dissatisfied"
VERDICTS = (SATISFIED, BASICALLY_SATISFIED, DISSATISFIED)
# Who gave or took the verdict: a manager's call, the call centre, the resident's own page.
SECRETARY, CALL_CENTRE, RESIDENT = "secretary", "call_centre", "resident"
CHANNELS = (SECRETARY, CALL_CENTRE, RESIDENT)


class ReturnVisit(db.Model):
    __tablename__ = "return_visit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incident.id"), index=True)
    # The closing the visit is about: a case reworked and closed again is visited again.
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reached: Mapped[bool] = mapped_column(Boolean)
    verdict: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    by: Mapped[str] = mapped_column(String(16))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    # 不满意 sent the case back for rework (a rule of the assessment plan).
    reopened: Mapped[bool] = mapped_column(Boolean, default=False)

    recorded_by = relationship("User")

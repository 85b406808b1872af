"""联席会议: joint meetings convened by the 包保 district leader for a street or community, who
was due and who came, the problems raised and the decisions (议定事项) that became tasks; a
problem is closed (销号) when its decisions' tasks are verified."""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.types import UTCDateTime

PLANNED, HELD = "planned", "held"
STATES = (PLANNED, HELD)
KINDS = ("quarterly", "ad_hoc")
OPEN, CLOSED = "open", "closed"


class Meeting(db.Model):
    __tablename__ = "meeting"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)  # street, community
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    place: Mapped[str] = mapped_column(String(200))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)  # as planned
    held_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    convened_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    unit = relationship("Unit")
    convened_by = relationship("User")


class Attendee(db.Model):
    """One who was due at a meeting (the leader, departments, the street, the community), and
    whether they came."""

    __tablename__ = "meeting_attendee"

    meeting_id: Mapped[str] = mapped_column(ForeignKey("meeting.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    attended: Mapped[bool] = mapped_column(Boolean, default=False)

    user = relationship("User")


class Problem(db.Model):
    """A problem raised at a meeting, and by whom."""

    __tablename__ = "meeting_problem"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[str] = mapped_column(ForeignKey("meeting.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    raised_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    state: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    close_note: Mapped[str | None] = mapped_column(Text)

    raised_by = relationship("User")
    decisions = relationship("Decision", order_by="Decision.id", back_populates="problem")


class Decision(db.Model):
    """议定事项: who answers (a department, or a person of the street or community), the
    measure and the deadline; it is carried out as a task with the 五定."""

    __tablename__ = "meeting_decision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("meeting_problem.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    measure: Mapped[str] = mapped_column(Text)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime())
    task_id: Mapped[str] = mapped_column(ForeignKey("task.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    problem = relationship("Problem", back_populates="decisions")
    department = relationship("Department")
    task = relationship("Task")

    @property
    def responsible(self):
        """Who answers for it (定责任): its task's responsible person."""
        return self.task.responsible

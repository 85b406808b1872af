"""书记项目: one project a year led by each street and community secretary: the problem, the
measures, the team, milestones carried out as tasks with the 五定, a quarterly review (调度)
record and the year-end comparison (擂台比武) where judges score it and the mean is a grade."""

from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.types import UTCDateTime

# The mean score's grade, from the top: at least this, this grade (assessment's A-E).
GRADES = ((90, "A"), (80, "B"), (70, "C"), (60, "D"), (0, "E"))


class Project(db.Model):
    __tablename__ = "secretary_project"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)  # street, community
    year: Mapped[int] = mapped_column(Integer)
    leader_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))  # the secretary
    title: Mapped[str] = mapped_column(String(200))
    problem: Mapped[str] = mapped_column(Text)
    measures: Mapped[str] = mapped_column(Text)
    team: Mapped[list] = mapped_column(JSON)  # names and roles, as the secretary lists them
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    unit = relationship("Unit")
    leader = relationship("User")

    __table_args__ = (UniqueConstraint("unit_id", "year", name="uq_secretary_project_unit_year"),)


class Milestone(db.Model):
    """A milestone of a project: a task with the 五定."""

    __tablename__ = "project_milestone"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("secretary_project.id"), index=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("task.id"), unique=True)

    task = relationship("Task")


class Review(db.Model):
    """季度调度: how the project stood at a quarter's review."""

    __tablename__ = "project_review"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("secretary_project.id"), index=True)
    quarter: Mapped[int] = mapped_column(Integer)
    progress: Mapped[str] = mapped_column(Text)
    problems: Mapped[str | None] = mapped_column(Text)
    reviewed_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime())

    reviewed_by = relationship("User")

    __table_args__ = (
        UniqueConstraint("project_id", "quarter", name="uq_project_review_project_id"),
        CheckConstraint("quarter BETWEEN 1 AND 4", name="quarter_of_year"),
    )


class Score(db.Model):
    """擂台比武: one judge's score of a project, 0-100."""

    __tablename__ = "project_score"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("secretary_project.id"), index=True)
    judge_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    score: Mapped[float] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime())

    judge = relationship("User")

    __table_args__ = (
        UniqueConstraint("project_id", "judge_id", name="uq_project_score_project_id"),
        CheckConstraint("score >= 0 AND score <= 100", name="score_range"),
    )

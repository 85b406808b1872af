"""What the assessment keeps: facts derived from the history (per entity, and summed per
month and subject), the periods with their frozen results, appeals, adjustments and exports.
A new indicator is new measure names in the facts, never a new column."""

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Date, Float, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.types import UTCDateTime

# Who a fact is about: a unit (its own work: a grid's cases, a community's pool tasks, a
# street's own people in a roll-call), a person, a department.
UNIT, PERSON, DEPARTMENT = "unit", "person", "department"


class EntityFact(db.Model):
    """One measure of one entity (a case, a task, a call, a roll-call) on the day it counts
    in (a case: the day its handling deadline falls), with the subjects it counts for beside
    it: its unit, person and department (each at most one; a case's grid and handler). Rebuilt
    whole for an entity whenever its history grows, except on the days of frozen periods:
    what changes after its period was frozen counts on the day it arrives, with the day it
    was counted for (counted_for); a subject changed since (a new handler) takes the frozen
    fact back under the old subjects and counts it anew under the new. The drill-down (穿透)
    reads the entities from here.

    One row for all of a fact's subjects, not one per subject: a month's rebuild wrote every
    case's measures twice (its grid's copy and its handler's), and their COPY was most of it.
    Facts are only ever summed, so the table keeps no primary key: a rebuild finds an
    entity's facts by (entity, entity id), a drill-down a subject's by (its column, day),
    integers and dates (the strings' collation made the string indexes the costly ones),
    and the repairs and exports a month's by day."""

    __tablename__ = "assessment_entity_fact"

    entity: Mapped[str] = mapped_column(String(16))
    # An acknowledgement's id is "<roll-call id>:<person id>".
    entity_id: Mapped[str] = mapped_column(String(48))
    unit_id: Mapped[int | None] = mapped_column(Integer)
    person_id: Mapped[int | None] = mapped_column(Integer)
    department_id: Mapped[int | None] = mapped_column(Integer)
    measure: Mapped[str] = mapped_column(String(40))
    day: Mapped[date] = mapped_column(Date)
    value: Mapped[float] = mapped_column(Float)
    # A late change: the day the counting rule gives, in a period frozen before it arrived.
    counted_for: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (
        Index("ix_assessment_entity_fact_entity", "entity", "entity_id"),
        Index("ix_assessment_entity_fact_day", "day"),
        *(
            Index(
                f"ix_assessment_entity_fact_{name}",
                name,
                "day",
                postgresql_where=text(f"{name} IS NOT NULL"),
                sqlite_where=text(f"{name} IS NOT NULL"),
            )
            for name in ("unit_id", "person_id", "department_id")
        ),
    )
    # The ORM needs a key to map rows by; the database keeps none (see above).
    __mapper_args__ = {
        "primary_key": [entity, entity_id, unit_id, person_id, department_id, measure, day]  # noqa: RUF012
    }


# The column of each kind of subject.
SUBJECT_COLUMNS = {UNIT: "unit_id", PERSON: "person_id", DEPARTMENT: "department_id"}


class MonthFact(db.Model):
    """The entities' facts summed per month and subject: every period is whole months, so a
    ranking reads a month's few thousand sums, not its hundreds of thousands of facts."""

    __tablename__ = "assessment_month_fact"

    month: Mapped[date] = mapped_column(Date, primary_key=True)  # its first day
    subject: Mapped[str] = mapped_column(String(12), primary_key=True)
    subject_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    measure: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[float] = mapped_column(Float)


class Cursor(db.Model):
    """How far the worker has read the history into facts."""

    __tablename__ = "assessment_cursor"

    name: Mapped[str] = mapped_column(String(16), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))


# draft (computed when asked) → appeal (a frozen draft, open to 申诉 until appeal_until)
#   → published (frozen for good)
DRAFT, APPEAL, PUBLISHED = "draft", "appeal", "published"


class Period(db.Model):
    """A month, quarter, half-year or year of the assessment (key 2026-03, 2026-Q1, 2026-H1,
    2026) once it is opened for appeal: from then on its result is the stored one."""

    __tablename__ = "assessment_period"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(8), unique=True)
    state: Mapped[str] = mapped_column(String(12))
    plan_version: Mapped[int] = mapped_column(Integer)
    result: Mapped[dict] = mapped_column(JSON)
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    appeal_until: Mapped[datetime] = mapped_column(UTCDateTime())
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


PENDING, ACCEPTED, REFUSED = "pending", "accepted", "refused"


class Appeal(db.Model):
    """申诉: a unit's head questions a number (an indicator of their unit, naming the cases);
    the district accepts it with the corrected value, or refuses it."""

    __tablename__ = "assessment_appeal"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("assessment_period.id"), index=True)
    subject: Mapped[str] = mapped_column(String(12))
    subject_id: Mapped[int] = mapped_column(Integer)
    indicator: Mapped[str] = mapped_column(String(40))
    cases: Mapped[list] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(12))
    value: Mapped[float | None] = mapped_column(Float)  # the corrected value, when accepted
    filed_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision: Mapped[str | None] = mapped_column(Text)

    filed_by = relationship("User", foreign_keys=[filed_by_id])


MANUAL, POINTS = "manual", "points"  # a score given by a street or department; 加减分


class Adjustment(db.Model):
    """A manual score (a street's or department's score of a unit, 0-100) or 加减分 (points
    added or taken away) for a period, with its reason, evidence and who entered it."""

    __tablename__ = "assessment_adjustment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_key: Mapped[str] = mapped_column(String(8), index=True)
    subject: Mapped[str] = mapped_column(String(12))
    subject_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(8))
    value: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text)
    evidence: Mapped[list] = mapped_column(JSON)
    entered_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())

    entered_by = relationship("User")


# queued → running (claimed by one worker) → done | failed
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
EXPORT_KINDS = ("ranking_xlsx", "bulletin_docx")


class Export(db.Model):
    """An export the worker makes: claimed by one worker, with its progress, downloadable
    when done."""

    __tablename__ = "assessment_export"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    period_key: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(12), index=True)
    progress: Mapped[int] = mapped_column(Integer, default=0)  # percent
    file_name: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

"""A 民情日志 entry: one per member and working day, 问题 — 措施 — 结果."""

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.types import UTCDateTime


class JournalEntry(db.Model):
    """The member's entry for `day` (the district's calendar day). Written again the same
    day, it is the same entry with new text; every version is in the history. The
    secretary's 点评 is `comment`."""

    __tablename__ = "journal_entry"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # made by the phone
    member_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    day: Mapped[date] = mapped_column(Date, index=True)
    grid_id: Mapped[int | None] = mapped_column(Integer, index=True)
    community_id: Mapped[int | None] = mapped_column(Integer, index=True)
    problems: Mapped[str] = mapped_column(Text)  # 问题
    measures: Mapped[str] = mapped_column(Text)  # 措施
    results: Mapped[str] = mapped_column(Text)  # 结果
    drafted: Mapped[bool] = mapped_column(Boolean, default=False)  # begun from the draft
    comment: Mapped[str | None] = mapped_column(Text)
    commented_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    commented_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    member = relationship("User", foreign_keys=[member_id])
    commented_by = relationship("User", foreign_keys=[commented_by_id])

    __table_args__ = (UniqueConstraint("member_id", "day", name="uq_journal_entry_member_day"),)

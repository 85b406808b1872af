"""The household register: households (户), their members, 十联户 groups, and the conflicts
two phones' offline edits left for the secretary."""

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.privacy.crypto import Encrypted
from app.types import UTCDateTime
from app.units.models import utcnow

# A household's own tag.
RENTAL = "rental"  # 出租屋: its tenants are members with the relationship "tenant"
HOUSEHOLD_TAGS = (RENTAL,)
# A person's tags, the work each one brings (visits, care). 重点人员 come by category.
KEY_PERSON = "key_person:"
PERSON_TAGS = (
    "elderly_alone",  # 独居老人
    "low_income",  # 低保户
    "disabled",  # 残疾人
    "key_person:mental_disorder",  # 重点人员: 精神障碍患者
    "key_person:community_correction",  # 社区矫正
    "key_person:released",  # 刑满释放
    "key_person:drug",  # 吸毒人员
    "key_person:petition",  # 重点信访
)
RELATIONSHIPS = ("head", "spouse", "child", "parent", "grandchild", "sibling", "other", "tenant")

# What a phone may change, field by field (the merge keeps a version per field).
HOUSEHOLD_FIELDS = ("building", "unit", "room", "address", "tags")
MEMBER_FIELDS = ("name", "relationship", "phone", "id_number", "tags")


def member_id(household_id, position):
    """The id the server gives a member: its household's, the last four hex digits its place
    in the household. Still a UUID; beside its household's id in a pull, gzip sends it in a
    few bytes rather than sixteen (random ids were half of a community's first sync)."""
    return f"{household_id[:32]}{position:04x}"


def normalize_phone(phone):
    return "".join(ch for ch in phone if ch.isdigit())


def normalize_id(number):
    return number.strip().upper()


class MovedOut:
    """迁出: since when, where to and why; a household or person moved out is off the visit
    plans and the lists, kept in the register (and its history) until moved back in."""

    moved_out_on: Mapped[date | None] = mapped_column(Date)
    moved_to: Mapped[str | None] = mapped_column(String(200))
    moved_reason: Mapped[str | None] = mapped_column(String(200))

    @property
    def moved_out(self):
        if self.moved_out_on is None:
            return None
        return {"on": self.moved_out_on, "to": self.moved_to, "reason": self.moved_reason}


class LiaisonGroup(db.Model):
    """十联户: about ten neighbouring households of one grid under their 联户长."""

    __tablename__ = "liaison_group"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    liaison_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), unique=True)

    grid = relationship("Unit", foreign_keys=[grid_id])
    liaison = relationship("User")


class Household(MovedOut, db.Model):
    __tablename__ = "household"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("liaison_group.id"), index=True)
    address: Mapped[str] = mapped_column(String(200))
    building: Mapped[str | None] = mapped_column(String(20))
    unit: Mapped[str | None] = mapped_column(String(20))  # 单元
    room: Mapped[str | None] = mapped_column(String(20))
    # The address as the import matches it: one household per address in a community.
    address_key: Mapped[str] = mapped_column(String(260))
    tags: Mapped[list] = mapped_column(JSON, default=list)
    # {field: version}: a phone's change names the version it saw (app/households/merge.py).
    versions: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    grid = relationship("Unit", foreign_keys=[grid_id])
    group = relationship(LiaisonGroup)
    members = relationship(
        "HouseholdMember", order_by="HouseholdMember.position", cascade="all, delete-orphan"
    )

    __table_args__ = (UniqueConstraint("community_id", "address_key", name="uq_household_address"),)


class HouseholdMember(MovedOut, db.Model):
    """A person of a household. Phone and ID number are encrypted, with a blind index each
    to find a person by them (app/privacy)."""

    __tablename__ = "household_member"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    household_id: Mapped[str] = mapped_column(
        ForeignKey("household.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(50))
    relationship: Mapped[str] = mapped_column(String(16))
    phone: Mapped[str | None] = mapped_column(Encrypted())
    phone_index: Mapped[str | None] = mapped_column(
        String(64), index=True, info={"blind_index_of": ("phone", normalize_phone)}
    )
    id_number: Mapped[str | None] = mapped_column(Encrypted())
    id_index: Mapped[str | None] = mapped_column(
        String(64), index=True, info={"blind_index_of": ("id_number", normalize_id)}
    )
    tags: Mapped[list] = mapped_column(JSON, default=list)
    versions: Mapped[dict] = mapped_column(JSON, default=dict)


class Conflict(db.Model):
    """Two phones changed one field differently from the same version: the first change
    stands, the other waits here for the secretary (both values are in the history too)."""

    __tablename__ = "household_conflict"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[str] = mapped_column(
        ForeignKey("household.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[str | None] = mapped_column(String(36))
    field: Mapped[str] = mapped_column(String(16))
    base_version: Mapped[int] = mapped_column(Integer)
    # Both values as JSON text, encrypted: a phone number in a conflict is still a phone.
    current: Mapped[str | None] = mapped_column(Encrypted())
    proposed: Mapped[str | None] = mapped_column(Encrypted())
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    kept: Mapped[str | None] = mapped_column(String(8))  # current | proposed

    household = relationship(Household)
    proposed_by = relationship("User", foreign_keys=[proposed_by_id])

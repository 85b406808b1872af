"""The map's units: district → street → community → grid, in one table."""

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from app import clock
from app.extensions import db
from app.types import UTCDateTime
from app.units.spatial import MultiPolygonType

LEVELS = ("district", "street", "community", "grid")


def utcnow():
    return clock.now()


class Unit(db.Model):
    """A unit of the map. Codes nest: a child's code starts with its parent's code, so
    "is X inside Y" is a prefix test (the statistical codes already work this way, and a
    grid's code is its community's code plus a 3-digit sequence)."""

    __tablename__ = "unit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(16), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    geom = deferred(mapped_column(MultiPolygonType()))
    area_m2: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    parent = relationship("Unit", remote_side=[id], back_populates="children")
    children = relationship("Unit", back_populates="parent", order_by="Unit.code")

    __mapper_args__ = {"polymorphic_on": level}

    def contains(self, other):
        return other.code.startswith(self.code)

    def ancestors(self):
        unit, chain = self.parent, []
        while unit is not None:
            chain.append(unit)
            unit = unit.parent
        return chain


class District(Unit):
    """区: the whole district."""

    __mapper_args__ = {"polymorphic_identity": "district"}


class Street(Unit):
    """街道."""

    __mapper_args__ = {"polymorphic_identity": "street"}


class Community(Unit):
    """社区."""

    __mapper_args__ = {"polymorphic_identity": "community"}


class Grid(Unit):
    """网格: the smallest unit, where members work."""

    __mapper_args__ = {"polymorphic_identity": "grid"}


MODEL_BY_LEVEL = {"district": District, "street": Street, "community": Community, "grid": Grid}


class MapRevision(db.Model):
    """One row counting changes to the map: the ETag of grid responses and the signal for
    in-process spatial indexes to rebuild."""

    __tablename__ = "map_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


def current_revision():
    return db.session.execute(select(MapRevision.revision).where(MapRevision.id == 1)).scalar() or 0


def bump_revision():
    """Count a change to the map, inside the caller's transaction."""
    row = db.session.get(MapRevision, 1, with_for_update=True)
    if row is None:
        row = MapRevision(id=1, revision=0)
        db.session.add(row)
    row.revision += 1
    row.changed_at = utcnow()
    return row.revision

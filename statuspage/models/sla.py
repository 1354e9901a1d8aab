"""Service-level targets per priority: time to acknowledge and time to resolve."""
from datetime import datetime

from sqlalchemy import Integer
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .columns import UTCDateTime, utcnow


class SlaTarget(db.Model):
    """One priority's targets in minutes; None means no target (P5 by default)."""

    __tablename__ = "sla_target"

    priority: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    acknowledge_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    resolve_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class UpdateCadence(db.Model):
    """One priority's communication cadence in minutes while an incident is open: a public update every
    ``update_minutes``, an executive summary for leaders every ``summary_minutes``; None means none."""

    __tablename__ = "update_cadence"

    priority: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    update_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    summary_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

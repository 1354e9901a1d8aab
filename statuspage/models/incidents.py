"""Incidents and scheduled maintenance, their timeline of updates and the components they affect."""
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .columns import UTCDateTime, new_id, utcnow
from .components import Component

INCIDENT_STATUSES = ("investigating", "identified", "monitoring", "resolved", "postmortem")
MAINTENANCE_STATUSES = ("scheduled", "in_progress", "verifying", "completed")
IMPACTS = ("none", "minor", "major", "critical")
OPEN_INCIDENT_STATUSES = ("investigating", "identified", "monitoring")
ACTIVE_MAINTENANCE_STATUSES = ("in_progress", "verifying")
CLOSED_STATUSES = ("resolved", "postmortem", "completed")
UPDATE_KINDS = ("update", "summary")  # summary: an executive summary for leaders, always internal


class Incident(db.Model):
    __tablename__ = "incident"

    id: Mapped[str] = mapped_column(String(16), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(16), default="incident")  # incident | maintenance
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(32))
    impact: Mapped[str] = mapped_column(String(16), default="none")
    visibility: Mapped[str] = mapped_column(String(16), default="public")
    # ITIL: impact and urgency 1 (high) .. 3 (low) give priority 1..5 through the matrix in domain.priority.
    itil_impact: Mapped[int | None] = mapped_column(Integer, nullable=True)
    itil_urgency: Mapped[int | None] = mapped_column(Integer, nullable=True)
    priority: Mapped[int | None] = mapped_column(Integer, nullable=True)
    major: Mapped[bool] = mapped_column(Boolean, default=False)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), nullable=True)
    problem_id: Mapped[str | None] = mapped_column(
        ForeignKey("problem.id", ondelete="SET NULL"), nullable=True
    )
    # Lifecycle times.
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    detected_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"),
                                                           nullable=True)
    identified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    monitoring_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    mitigated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Maintenance window and its clock.
    scheduled_for: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    scheduled_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    scheduled_remind_prior: Mapped[bool] = mapped_column(Boolean, default=True)
    remind_minutes_before: Mapped[int] = mapped_column(Integer, default=60)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    scheduled_auto_in_progress: Mapped[bool] = mapped_column(Boolean, default=True)
    scheduled_auto_completed: Mapped[bool] = mapped_column(Boolean, default=True)
    # Postmortem.
    postmortem_body: Mapped[str | None] = mapped_column(Text, nullable=True)
    postmortem_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The next postmortem, written but not yet public (the management API's ``body_draft``).
    postmortem_draft: Mapped[str | None] = mapped_column(Text, nullable=True)
    postmortem_draft_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    metadata_json: Mapped[dict | None] = mapped_column("metadata", JSON, nullable=True)
    revision: Mapped[int] = mapped_column(Integer, default=1)

    updates: Mapped[list["IncidentUpdate"]] = relationship(
        back_populates="incident", order_by="IncidentUpdate.display_at.desc()",
        cascade="all, delete-orphan", passive_deletes=True,
    )
    affected: Mapped[list["IncidentComponent"]] = relationship(
        back_populates="incident", cascade="all, delete-orphan", passive_deletes=True
    )

    __mapper_args__ = {"version_id_col": revision}
    __table_args__ = (Index("ix_incident_kind_started", "kind", "started_at"),)

    @property
    def is_maintenance(self) -> bool:
        return self.kind == "maintenance"

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED_STATUSES

    @property
    def components(self) -> list[Component]:
        return [link.component for link in self.affected]

    @property
    def duration(self):
        """How long it lasted (resolved) or has lasted so far; None for maintenance not yet started."""
        return self.duration_at(utcnow())

    def duration_at(self, now: datetime):
        """``duration`` as of ``now`` (a snapshot renders with the clock of its window, not the present)."""
        start = self.started_at
        if self.is_maintenance:
            start = self.scheduled_for or self.started_at
        end = self.resolved_at or now
        return end - start if end >= start else None


class IncidentComponent(db.Model):
    """A component an incident affects, with the status the incident put it in."""

    __tablename__ = "incident_component"

    incident_id: Mapped[str] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"), primary_key=True)
    component_id: Mapped[str] = mapped_column(
        ForeignKey("component.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    status: Mapped[str] = mapped_column(String(32), default="operational")

    incident: Mapped[Incident] = relationship(back_populates="affected")
    component: Mapped[Component] = relationship()


class IncidentUpdate(db.Model):
    __tablename__ = "incident_update"

    id: Mapped[str] = mapped_column(String(16), primary_key=True, default=new_id)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text, default="")
    visibility: Mapped[str] = mapped_column(String(16), default="public")
    kind: Mapped[str] = mapped_column(String(16), default="update", server_default="update")
    display_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), nullable=True)
    deliver_notifications: Mapped[bool] = mapped_column(Boolean, default=True)
    # [{"code": component id, "name": ..., "old_status": ..., "new_status": ...}] or None
    affected_components: Mapped[list | None] = mapped_column(JSON, nullable=True)
    revision: Mapped[int] = mapped_column(Integer, default=1)

    incident: Mapped[Incident] = relationship(back_populates="updates")

    __mapper_args__ = {"version_id_col": revision}

    @property
    def is_public(self) -> bool:
        return self.visibility == "public"

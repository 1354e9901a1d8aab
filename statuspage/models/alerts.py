"""Monitoring in: the alerts Alertmanager and Grafana sent, and how they map to components.

``ReceivedAlert`` is one alert (its source, fingerprint and start time identify it: Alertmanager re-sends the whole
group every repeat interval) with the component it matched and the status it asks for. ``AlertSettings`` (one row)
holds what an admin may edit: severity to status, label matchers per component, the incident template for
critical alerts.
"""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .columns import UTCDateTime, utcnow

ALERT_SOURCES = ("alertmanager", "grafana")


class AlertSettings(db.Model):
    __tablename__ = "alert_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # {severity label value: component status, or "none" to record without changing anything}
    severities: Mapped[dict] = mapped_column(JSON)
    other_status: Mapped[str] = mapped_column(String(32))  # any other severity, or none at all
    matchers: Mapped[dict] = mapped_column(JSON)  # {component id: {label: value}}
    incident_template_id: Mapped[str | None] = mapped_column(
        ForeignKey("incident_template.id", ondelete="SET NULL"), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ReceivedAlert(db.Model):
    __tablename__ = "received_alert"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(16))
    fingerprint: Mapped[str] = mapped_column(String(64))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16))  # firing | resolved
    name: Mapped[str] = mapped_column(String(200), default="")
    summary: Mapped[str] = mapped_column(String(300), default="")
    severity: Mapped[str] = mapped_column(String(64), default="")
    labels: Mapped[dict] = mapped_column(JSON)
    component_id: Mapped[str | None] = mapped_column(ForeignKey("component.id", ondelete="SET NULL"),
                                                     nullable=True)
    wanted_status: Mapped[str | None] = mapped_column(String(32), nullable=True)
    note: Mapped[str] = mapped_column(String(300), default="")  # why it matched nothing
    incident_id: Mapped[str | None] = mapped_column(ForeignKey("incident.id", ondelete="SET NULL"),
                                                    nullable=True)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    times_received: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (UniqueConstraint("source", "fingerprint", "starts_at", name="uq_received_alert_identity"),
                      Index("ix_received_alert_component_status", "component_id", "status"))

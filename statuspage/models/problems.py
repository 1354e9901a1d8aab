"""Problems (root causes behind incidents), post-incident reviews, their action items and incident templates."""
from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .columns import UTCDateTime, new_id, utcnow


class Problem(db.Model):
    __tablename__ = "problem"

    id: Mapped[str] = mapped_column(String(16), primary_key=True, default=new_id)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | known_error | resolved
    symptom: Mapped[str] = mapped_column(Text, default="")
    root_cause: Mapped[str] = mapped_column(Text, default="")
    workaround: Mapped[str] = mapped_column(Text, default="")
    # A known error: root cause and workaround documented (ITIL); stays true once the problem is resolved.
    known_error: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ActionItem(db.Model):
    __tablename__ = "action_item"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), nullable=True)
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    link: Mapped[str | None] = mapped_column(String(500), nullable=True)  # the ticket or change that tracks it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def state(self) -> str:
        return "done" if self.done_at else "open"


REVIEW_STATES = ("draft", "in_review", "published")
REVIEW_SECTIONS = ("summary", "timeline", "contributing_factors", "root_cause", "went_well", "went_badly")


class IncidentReview(db.Model):
    """The post-incident review of one incident: Markdown sections, draft -> in review -> published."""

    __tablename__ = "incident_review"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"), unique=True)
    state: Mapped[str] = mapped_column(String(16), default="draft")
    summary: Mapped[str] = mapped_column(Text, default="")
    timeline: Mapped[str] = mapped_column(Text, default="")
    contributing_factors: Mapped[str] = mapped_column(Text, default="")
    root_cause: Mapped[str] = mapped_column(Text, default="")
    went_well: Mapped[str] = mapped_column(Text, default="")
    went_badly: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class IncidentTemplate(db.Model):
    """Canned text for a recurring kind of incident: name, status, impact, body, components."""

    __tablename__ = "incident_template"

    id: Mapped[str] = mapped_column(String(16), primary_key=True, default=new_id)
    title: Mapped[str] = mapped_column(String(120))  # what the manager picks it by
    name: Mapped[str] = mapped_column(String(200))  # the incident's name
    status: Mapped[str] = mapped_column(String(32), default="investigating")
    impact: Mapped[str] = mapped_column(String(16), default="minor")
    body: Mapped[str] = mapped_column(Text, default="")
    # {component id: status}
    components: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

"""People and systems that want to be told: email, SMS, chat (an Apprise URL) or webhook."""
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .columns import UTCDateTime, new_id, utcnow

CHANNELS = ("email", "sms", "chat", "webhook")
AUDIENCES = ("public", "internal")
SUBSCRIBER_STATES = ("unconfirmed", "active", "disabled")
# What an internal subscriber in the leadership audience is told (None: not a leader): "major" immediate
# notices of P1/P2 and major incidents only, "all" immediate notices of every incident, "digest" a daily email.
LEADERSHIP_MODES = ("major", "all", "digest")


class Subscriber(db.Model):
    __tablename__ = "subscriber"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True, default=new_id)
    channel: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(Text)  # address, E.164 number, Apprise URL or webhook URL
    audience: Mapped[str] = mapped_column(String(16), default="public")
    all_components: Mapped[bool] = mapped_column(Boolean, default=True)
    min_impact: Mapped[str] = mapped_column(String(16), default="none")
    leadership: Mapped[str | None] = mapped_column(String(16), nullable=True)  # LEADERSHIP_MODES, internal only
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    confirmation_code_hash: Mapped[str | None] = mapped_column(String(128), nullable=True)
    confirmation_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    confirmation_attempts: Mapped[int] = mapped_column(Integer, default=0)  # wrong SMS codes entered
    secret: Mapped[str] = mapped_column(String(64), default="")  # HMAC key for webhook signatures
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    disabled_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    components: Mapped[list["SubscriberComponent"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def component_ids(self) -> list[str]:
        """The components this subscriber follows; empty when it follows all of them."""
        return [] if self.all_components else [link.component_id for link in self.components]

    @property
    def state(self) -> str:
        """unconfirmed, active or disabled (Statuspage calls disabled "quarantined")."""
        if self.disabled_at is not None:
            return "disabled"
        return "active" if self.confirmed_at is not None else "unconfirmed"

    __table_args__ = (
        UniqueConstraint("channel", "target", "audience", name="uq_subscriber_channel_target_audience"),
        Index("ix_subscriber_active", "confirmed_at", "disabled_at"),
    )


class SubscriberComponent(db.Model):
    __tablename__ = "subscriber_component"

    subscriber_id: Mapped[int] = mapped_column(
        ForeignKey("subscriber.id", ondelete="CASCADE"), primary_key=True
    )
    component_id: Mapped[str] = mapped_column(
        ForeignKey("component.id", ondelete="CASCADE"), primary_key=True, index=True
    )

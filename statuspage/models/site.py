"""The one Site row: name, branding, and two versions.

``version`` moves with every write; ``public_version`` (and ``public_changed_at``) only with writes a public
surface could show, so an internal note never changes what a cache or CDN holds for customers."""
from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy import text as sa_text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .columns import UTCDateTime, new_id, utcnow


class Site(db.Model):
    __tablename__ = "site"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    page_id: Mapped[str] = mapped_column(String(16), default=new_id)
    name: Mapped[str] = mapped_column(String(120), default="Status")
    url: Mapped[str] = mapped_column(String(300), default="")
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    logo_url: Mapped[str] = mapped_column(String(500), default="")
    accent_color: Mapped[str] = mapped_column(String(7), default="#1f6feb")
    support_url: Mapped[str] = mapped_column(String(300), default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    public_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    public_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow,
                                                        server_default=sa_text("CURRENT_TIMESTAMP"))
    revision: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": revision}

    @classmethod
    def get(cls) -> "Site":
        """The site row, created on first use."""
        site = db.session.get(cls, 1)
        if site is None:
            site = cls(id=1)
            db.session.add(site)
            db.session.flush()
        return site

"""The one Site row: name, branding and the version every public-visible write bumps."""
from datetime import datetime

from sqlalchemy import Integer, String
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

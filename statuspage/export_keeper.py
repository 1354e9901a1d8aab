"""The worker keeps the static export (STATUSPAGE_EXPORT_DIR) current: after every public change, debounced.

``ExportKeeper.tick()`` runs in the worker's housekeeping. It notices the public version moved, waits out the
debounce (a burst of updates costs one export) and the version TTL (so every process serving the pages has read
the new version before their bytes are fetched), then exports in a thread of its own, so deliveries never wait
for it. The audit log since the last export says which incident pages can have changed: an update to one incident
re-fetches that page, the open ones and the lists, and takes the others from the previous build; a change to a
component, a group or the site (which every page may show) re-fetches everything, and so does every ``refresh``
seconds, so "today" on the uptime bars moves on and nothing can stay stale for long.
"""
import logging
import threading
import time
from datetime import timedelta
from pathlib import Path

from flask import Flask
from sqlalchemy import select

from .export import ExportResult, export_site, public_version
from .extensions import db
from .models import AuditEntry, Incident, IncidentUpdate
from .models.columns import utcnow

log = logging.getLogger("statuspage.export")
# Audit entries of things no public page shows.
PRIVATE_OBJECTS = {"delivery", "user", "api_token", "incident_template"}
# Entries are read again this far back: a long transaction commits after later ones, and clocks differ.
AUDIT_OVERLAP = timedelta(seconds=60)


def changed_incidents(since) -> set[str] | None:
    """Ids of incidents whose public page may have changed since ``since`` (audit time; plus every open one), or
    None when a change may show on every page."""
    changed = set(db.session.scalars(select(Incident.id).where(Incident.resolved_at.is_(None))))
    for kind, object_id in db.session.execute(select(AuditEntry.object_type, AuditEntry.object_id)
                                              .where(AuditEntry.at >= since)):
        if kind == "incident":
            changed.add(object_id)
        elif kind == "incident_update":
            incident_id = db.session.scalar(select(IncidentUpdate.incident_id).where(IncidentUpdate.id == object_id))
            if incident_id is None:  # deleted: which incident it was is gone with it
                return None
            changed.add(incident_id)
        elif kind not in PRIVATE_OBJECTS:
            return None
    return changed


class ExportKeeper:
    """Re-exports when the public version moves, at most once per ``debounce`` seconds, fully at least every
    ``refresh`` seconds; in a background thread unless ``background`` is False (``worker --once``, tests)."""

    def __init__(self, app: Flask, directory: Path, debounce: float = 2.0, refresh: float = 300.0,
                 lag: float | None = None, background: bool = True, audit_overlap: timedelta = AUDIT_OVERLAP):
        self.app, self.directory, self.debounce, self.refresh = app, Path(directory), debounce, refresh
        self.lag = float(app.config.get("SNAPSHOT_VERSION_TTL", 1.0)) if lag is None else lag
        self.background, self.audit_overlap = background, audit_overlap
        self.exported_version: int | None = None
        self.exported_at = self.full_at = self.seen_at = float("-inf")
        self.seen_version: int | None = None
        self.audit_since = None  # wall time of the last export's read
        self.thread: threading.Thread | None = None
        self.last: ExportResult | None = None

    @classmethod
    def from_config(cls, app: Flask, background: bool = True) -> "ExportKeeper | None":
        """A keeper for EXPORT_DIR (STATUSPAGE_EXPORT_DIR), or None when it is not set."""
        directory = app.config.get("EXPORT_DIR")
        return cls(app, Path(directory), debounce=float(app.config.get("EXPORT_DEBOUNCE_SECONDS", 2.0)),
                   background=background) if directory else None

    def tick(self, now: float | None = None) -> bool:
        """Start an export if one is due and none is running; True when one was started (or, in the
        foreground, done). Raises what the export raises in the foreground; the thread logs it."""
        now = time.monotonic() if now is None else now
        if self.thread is not None and self.thread.is_alive():
            return False
        version = public_version()
        if version != self.seen_version:
            self.seen_version, self.seen_at = version, now
        full = now - self.full_at >= self.refresh or self.audit_since is None
        due = version != self.exported_version or full
        if not due or now - self.exported_at < self.debounce or now - self.seen_at < self.lag:
            db.session.rollback()
            return False
        read_at = utcnow()
        changed = None if full else changed_incidents(self.audit_since - self.audit_overlap)
        db.session.rollback()  # end the read; the export reads in a session of its own
        self.exported_at = now
        if changed is None:
            self.full_at = now
        if not self.background:
            self._export(version, read_at, changed)
            return True
        self.thread = threading.Thread(target=self._export_logged, args=(version, read_at, changed),
                                       name="statuspage-export", daemon=True)
        self.thread.start()
        return True

    def _export(self, version: int, read_at, changed: set[str] | None) -> None:
        self.last = export_site(self.app, self.directory, changed_incidents=changed)
        self.exported_version, self.audit_since = version, read_at

    def _export_logged(self, *args) -> None:
        try:
            self._export(*args)
        except Exception:  # the last good export stays served; the next tick tries again
            log.exception("the static export to %s failed", self.directory)

    def join(self, timeout: float | None = None) -> None:
        """Wait for an export in flight (a stopping worker lets it finish its build)."""
        if self.thread is not None:
            self.thread.join(timeout)

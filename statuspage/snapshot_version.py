"""The site's public version, the key of every public snapshot: read on a small pool of its own with short
connect and statement timeouts, at most every TTL seconds per process and by one thread at a time, so a hung
database costs one reader a few seconds, never every reader; an outage is logged once a minute."""
import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import create_engine, select
from sqlalchemy.exc import SQLAlchemyError

from .models import Site

log = logging.getLogger("statuspage.snapshot")
OUTAGE_LOG_EVERY = 60.0


@dataclass
class VersionState:
    value: int | None = None
    changed_at: datetime = datetime(2000, 1, 1, tzinfo=UTC)
    ok: bool = True


class PublicVersion:
    """The site's public version, read on a connection of its own whose connect and statement timeouts are
    short, so a hung database costs one reader a few seconds, never every reader."""

    def __init__(self, url: str, ttl: float, timeout: float):
        self.url, self.ttl, self.timeout = url, ttl, timeout
        self.state = VersionState()
        self.read_at = float("-inf")
        self._lock = threading.Lock()
        self._engine = None
        self._logged_at = float("-inf")

    def _connect(self):
        if self._engine is None:
            if self.url.startswith("postgresql"):
                args = {"connect_timeout": max(1, round(self.timeout)),
                        "options": f"-c statement_timeout={int(self.timeout * 1000)}"}
            else:
                args = {"timeout": self.timeout}
            # A pool of its own: a hung database that holds every connection of the app's pool cannot make this
            # check wait, and a pinged connection is cheaper than a new one twice a second.
            self._engine = create_engine(self.url, pool_size=1, max_overflow=1, pool_timeout=self.timeout,
                                         pool_pre_ping=True, connect_args=args)
        return self._engine.connect()

    def read(self) -> VersionState:
        """Read now; on failure keep the last value and mark it unconfirmed (logged once a minute)."""
        try:
            with self._connect() as conn:
                row = conn.execute(select(Site.public_version, Site.public_changed_at).where(Site.id == 1)).first()
            self.state = VersionState(row[0], row[1]) if row else VersionState(0)
        except (SQLAlchemyError, OSError) as error:
            self.state = VersionState(self.state.value, self.state.changed_at, ok=False)
            if time.monotonic() - self._logged_at >= OUTAGE_LOG_EVERY:
                self._logged_at = time.monotonic()
                log.warning("database unreachable, serving the last good public snapshots: %s",
                            str(error).splitlines()[0][:200])
        self.read_at = time.monotonic()
        return self.state

    def current(self) -> VersionState:
        """The version, read again when older than the TTL by whichever thread gets there first."""
        if time.monotonic() - self.read_at <= self.ttl and self.state.value is not None:
            return self.state
        if self._lock.acquire(blocking=self.state.value is None):
            try:
                if time.monotonic() - self.read_at > self.ttl or self.state.value is None:
                    self.read()
            finally:
                self._lock.release()
        return self.state

    def forget(self) -> None:
        self.read_at = float("-inf")

    def close(self) -> None:
        """Close the check's pooled connection (tests end each app's; a process never needs to)."""
        if self._engine is not None:
            self._engine.dispose()

"""The one write path's bookkeeping: who acts, the audit entry, the site version, the transaction.

Every domain write function runs inside ``change(actor)``: the change, its component history, its audit entries,
its outbox events and the site version bump are committed together or not at all.
"""
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime

from ..extensions import db
from ..models import AuditEntry, Site, User
from ..models.columns import utcnow


class DomainError(Exception):
    """A rule was broken; ``field`` names the input at fault when there is one."""

    status_code = 422

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    """The object changed since the caller read it (optimistic locking)."""

    status_code = 409

    def __init__(self, message: str, current: dict | None = None):
        super().__init__(message)
        self.current = current or {}


@dataclass(frozen=True)
class Actor:
    """Who makes a change and through which surface (web, api, cli, system)."""

    label: str = "system"
    source: str = "system"
    user_id: int | None = None

    @classmethod
    def for_user(cls, user: User, source: str) -> "Actor":
        return cls(label=user.email, source=source, user_id=user.id)


SYSTEM = Actor()


def _jsonable(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def record(actor: Actor, action: str, obj_type: str, obj_id, label: str = "",
           before: dict | None = None, after: dict | None = None) -> AuditEntry:
    """Add an audit entry to the current transaction."""
    entry = AuditEntry(
        actor_id=actor.user_id, actor_label=actor.label, source=actor.source, action=action,
        object_type=obj_type, object_id=str(obj_id), object_label=label[:200],
        before=_jsonable(before), after=_jsonable(after),
    )
    db.session.add(entry)
    return entry


def bump_site_version(public: bool = True) -> None:
    """Record that something changed; ``public=False`` for a write no public surface can show (an internal
    note), which leaves the public version, and so every public snapshot, ETag and CDN copy, as it was."""
    site = Site.get()
    site.version = (site.version or 0) + 1
    if public:
        site.public_version = (site.public_version or 0) + 1
        site.public_changed_at = utcnow()


def check_revision(obj, expected: int | None, describe) -> None:
    """Raise Conflict when the caller's revision is stale; ``describe(obj)`` tells what it is now."""
    if expected is not None and int(expected) != obj.revision:
        raise Conflict(f"{type(obj).__name__.lower()} was changed by someone else since you opened it",
                       current=_jsonable(describe(obj)))


@contextmanager
def change():
    """One transaction: commit on success, roll back on any error.

    Nested inside another ``change()``, it joins the outer transaction instead of committing alone, so a
    request that makes several domain calls (a v1 PATCH: edit, reschedule, post an update) wraps them in one
    ``change()`` and is all or nothing: the outermost block commits, any error rolls everything back.
    """
    info = db.session.info
    if info.get("change_depth"):
        info["change_depth"] += 1
        try:
            yield db.session
        finally:
            info["change_depth"] -= 1
        return
    info["change_depth"] = 1
    try:
        yield db.session
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    finally:
        info["change_depth"] = 0

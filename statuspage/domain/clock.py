"""The worker's clock: what happens because time passed, not because someone clicked.

- a scheduled maintenance with auto-start begins at ``scheduled_for`` (its components go under maintenance);
- one with auto-complete ends at ``scheduled_until``;
- a reminder goes out ``remind_minutes_before`` the start, once;
- a window whose end passes while still scheduled stops being upcoming: the public version moves once, so
  every cached public response shows it.
- major incidents and leaders: update-due reminders, SLA notices, the daily digest (``domain.leader_clock``);
- delivered notifications and unconfirmed sign-ups older than the retention are purged (``domain.retention``).

Safe with several workers: transitions go through ``post_update`` with the revision read here, so a second
worker racing on the same window gets a Conflict (or a stale-row error) and skips it; reminders are claimed
with ``UPDATE … WHERE reminded_at IS NULL`` in the same transaction as their outbox event.
"""
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm.exc import StaleDataError

from .. import dispatch
from ..extensions import db
from ..models import Incident, Site
from ..models.columns import utcnow
from . import leader_clock, retention
from .incidents import post_update, resolve_incident
from .recording import SYSTEM, DomainError, bump_site_version, change

STARTED_BODY = "The scheduled maintenance is now in progress."
COMPLETED_BODY = "The scheduled maintenance has been completed."
MAX_REMIND_MINUTES = 7 * 24 * 60


def _due(*conditions) -> list[tuple[str, int]]:
    rows = db.session.execute(select(Incident.id, Incident.revision)
                              .where(Incident.kind == "maintenance", *conditions)
                              .order_by(Incident.scheduled_for)).all()
    db.session.rollback()  # end the read transaction; each transition commits its own
    return [(row.id, row.revision) for row in rows]


def _transition(apply) -> bool:
    """Run one transition; False when another worker (or a person) changed the window first."""
    try:
        apply()
    except (DomainError, StaleDataError):
        db.session.rollback()
        return False
    return True


def start_due_windows(now: datetime) -> int:
    started = 0
    for incident_id, revision in _due(Incident.status == "scheduled", Incident.scheduled_auto_in_progress,
                                      Incident.scheduled_for <= now):
        incident = db.session.get(Incident, incident_id)
        components = {link.component_id: "under_maintenance" for link in incident.affected}
        started += _transition(lambda i=incident_id, c=components, r=revision: post_update(
            SYSTEM, i, status="in_progress", body=STARTED_BODY, components=c, expected_revision=r))
    return started


def complete_due_windows(now: datetime) -> int:
    completed = 0
    for incident_id, revision in _due(Incident.status.in_(("in_progress", "verifying")),
                                      Incident.scheduled_auto_completed, Incident.scheduled_until <= now):
        completed += _transition(lambda i=incident_id, r=revision: resolve_incident(
            SYSTEM, i, body=COMPLETED_BODY, expected_revision=r))
    return completed


def send_due_reminders(now: datetime) -> int:
    """Enqueue ``maintenance.reminder`` once per window, in the transaction that sets ``reminded_at``."""
    sent = 0
    candidates = db.session.execute(
        select(Incident.id, Incident.scheduled_for, Incident.remind_minutes_before)
        .where(Incident.kind == "maintenance", Incident.status == "scheduled",
               Incident.scheduled_remind_prior, Incident.reminded_at.is_(None), Incident.scheduled_for > now,
               Incident.scheduled_for <= now + timedelta(minutes=MAX_REMIND_MINUTES))).all()
    db.session.rollback()
    for incident_id, scheduled_for, minutes in candidates:
        if now < scheduled_for - timedelta(minutes=minutes or 0):
            continue
        claimed = db.session.execute(
            update(Incident).where(Incident.id == incident_id, Incident.reminded_at.is_(None))
            .values(reminded_at=now).execution_options(synchronize_session=False)).rowcount
        if claimed != 1:
            db.session.rollback()
            continue
        dispatch.enqueue("maintenance.reminder", db.session.get(Incident, incident_id), None)
        db.session.commit()
        sent += 1
    return sent


def expire_overdue_windows(now: datetime) -> int:
    """Bump the site version once when public windows ended, still scheduled, since the last public version bump.

    Nothing is written when such a window's end passes, yet public snapshots (kept per version) list it as
    upcoming until then; a write after its end has already refreshed them, so only ends later than the site's
    last change count. Returns how many windows became overdue."""
    since = Site.get().public_changed_at
    ended = db.session.scalar(
        select(func.count(Incident.id)).where(Incident.kind == "maintenance", Incident.status == "scheduled",
                                              Incident.visibility == "public", Incident.scheduled_until > since,
                                              Incident.scheduled_until <= now))
    if not ended:
        db.session.rollback()
        return 0
    if not _transition(_bump):
        return 0
    return ended


def _bump() -> None:
    with change():
        bump_site_version()


def tick(now: datetime | None = None) -> dict[str, int]:
    """Apply everything due at ``now`` (default: the current time); returns what was done (``purged``:
    rows removed by the retention purge, which runs at most once an hour)."""
    now = now or utcnow()
    done = {"started": start_due_windows(now), "completed": complete_due_windows(now),
            "reminded": send_due_reminders(now), "overdue": expire_overdue_windows(now),
            "leadership": leader_clock.tick(now)}
    purged = retention.purge_if_due(now)
    return done | {"purged": sum(purged.values()) if purged else 0}

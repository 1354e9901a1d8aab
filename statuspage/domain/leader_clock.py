"""The worker's clock duties for major incidents and leaders: update-due and summary-due reminders, SLA warning
and breach notices, and the leaders' daily digest.

Each notice has a key (``update-due:<incident>:<due time>``, ``summary-due:…``, ``sla:<incident>:<timer>:<state>``,
``digest:<local date>``); inserting the key into ``clock_notice`` is the claim, in the same transaction as the
outbox event, so with several workers (and ticks) every notice goes out exactly once. A due time moves when an
update is posted, so the next one is reminded again.
"""
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from .. import dispatch
from ..extensions import db
from ..models import OPEN_INCIDENT_STATUSES, ClockNotice, Incident, Site, Subscriber, User
from ..rendering import human_duration, zone
from . import leadership, sla
from .priority import PRIORITY_LABEL

DIGEST_HOUR = 7  # local time of the site: the digest goes out at the first tick from then on
TIMER_LABEL = {"acknowledge": "time to acknowledge", "resolve": "time to resolve"}


def claim(key: str, now: datetime) -> bool:
    """Insert ``key`` unless present (no commit); True when this caller claimed it."""
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(ClockNotice).values(key=key[:120], created_at=now).on_conflict_do_nothing(
        index_elements=["key"]).returning(ClockNotice.key)
    return db.session.execute(statement).first() is not None  # rowcount is not reliable through the ORM


def _send(key: str, now: datetime, kind: str, incident: Incident | None, payload: dict) -> int:
    """Claim ``key`` and enqueue the event in one transaction; 0 when another worker sent it already."""
    if not claim(key, now):
        db.session.rollback()
        return 0
    dispatch.enqueue(kind, incident, None, payload)
    db.session.commit()
    return 1


def _owner_email(incident: Incident) -> str | None:
    owner = db.session.get(User, incident.owner_id) if incident.owner_id else None
    return owner.email if owner is not None else None


def _to_owner(incident: Incident, also_leaders: bool = False) -> dict:
    """Addressed to the owner; with no owner, to the leadership audience, so someone takes command."""
    email = _owner_email(incident)
    to = (["owner"] if email else []) + (["leadership"] if also_leaders or not email else [])
    return {"to": to, "owner_email": email}


def _open_incidents() -> list[Incident]:
    return list(db.session.scalars(select(Incident).where(Incident.kind == "incident",
                                                          Incident.status.in_(OPEN_INCIDENT_STATUSES))))


def remind_due_updates(incident: Incident, now: datetime) -> int:
    """Remind the owner of a public update and an executive summary that have fallen due, once per due time."""
    sent = 0
    for what, due, cadence in (
            ("update", leadership.next_update_due(incident), "public update"),
            ("summary", leadership.next_summary_due(incident), "executive summary for leaders")):
        if due is None or due > now:
            continue
        notice = (f"The next {cadence} was due at {due:%H:%M} UTC "
                  f"({human_duration(now - due) or 'just now'} ago)." if now - due >= timedelta(minutes=1)
                  else f"The next {cadence} is due now ({due:%H:%M} UTC).")
        sent += _send(f"{what}-due:{incident.id}:{due:%Y%m%dT%H%M%S}", now, f"incident.{what}_due", incident,
                      _to_owner(incident) | {"notice": notice, "due_at": due.isoformat()})
    return sent


def notify_sla(incident: Incident, timers: sla.IncidentTimers, now: datetime) -> int:
    """A warning at 75% of a running target used and a breach notice, each once, to the owner and leaders."""
    sent = 0
    for name, timer in (("acknowledge", timers.acknowledge), ("resolve", timers.resolve)):
        if timer is None or timer.stopped or timer.state not in (sla.WARNING, sla.BREACHED):
            continue
        label = f"{TIMER_LABEL[name]} ({human_duration(timer.target)})"
        if timer.state == sla.BREACHED:
            claim(f"sla:{incident.id}:{name}:warning", now)  # a breach makes its warning moot
            notice = f"SLA breached: the {label} ran out {human_duration(-timer.remaining) or 'just now'} ago."
        else:
            notice = (f"SLA warning: {timer.percent_used}% of the {label} used, "
                      f"{human_duration(timer.remaining) or 'less than a minute'} left.")
        sent += _send(f"sla:{incident.id}:{name}:{timer.state}", now, "incident.sla", incident,
                      _to_owner(incident, also_leaders=True) | {"notice": notice, "timer": name,
                                                                 "state": timer.state})
    return sent


def digest_payload(now: datetime, tz_name: str) -> dict:
    """What the daily digest says: open incidents with their SLA status, and those resolved yesterday."""
    today = now.astimezone(zone(tz_name)).date()
    open_incidents = _open_incidents()
    timers = sla.timers_by_id(open_incidents, now)

    def line(incident: Incident) -> dict:
        timer = timers.get(incident.id)
        states = [f"{TIMER_LABEL[n]}: {t.state}" for n, t in (("acknowledge", timer.acknowledge),
                                                              ("resolve", timer.resolve)) if t] if timer else []
        return {"id": incident.id, "name": incident.name, "status": incident.status,
                "priority": PRIORITY_LABEL.get(incident.priority, "no priority"), "sla": ", ".join(states)}

    start = datetime.combine(today - timedelta(days=1), datetime.min.time(), zone(tz_name))
    resolved = db.session.scalars(select(Incident).where(
        Incident.kind == "incident", Incident.resolved_at >= start, Incident.resolved_at < start + timedelta(days=1))
        .order_by(Incident.resolved_at)).all()
    return {"to": ["digest"], "date": today.isoformat(), "open": [line(i) for i in open_incidents],
            "resolved": [{"id": i.id, "name": i.name, "priority": PRIORITY_LABEL.get(i.priority, "no priority"),
                          "duration": human_duration(i.resolved_at - i.started_at)} for i in resolved],
            "breached": sum(1 for t in timers.values() if t.breached)}


def send_digest_if_due(now: datetime) -> int:
    """The leaders' daily digest, once per local day, at the first tick from DIGEST_HOUR."""
    tz_name = Site.get().time_zone or "UTC"
    local = now.astimezone(zone(tz_name))
    readers = db.session.scalar(select(Subscriber.id).where(
        Subscriber.leadership == "digest", Subscriber.confirmed_at.is_not(None)).limit(1))
    if local.hour < DIGEST_HOUR or readers is None:
        db.session.rollback()
        return 0
    payload = digest_payload(now, tz_name)
    return _send(f"digest:{local.date().isoformat()}", now, "leadership.digest", None, payload)


def tick(now: datetime) -> int:
    """Everything due at ``now`` for major incidents and leaders; returns notices enqueued."""
    incidents = _open_incidents()
    timers = sla.timers_by_id(incidents, now)
    ids = [(i.id, timers.get(i.id)) for i in incidents]
    db.session.rollback()  # end the read; each notice commits its own claim and event
    sent = 0
    for incident_id, timer in ids:
        incident = db.session.get(Incident, incident_id)
        if incident is None:
            continue
        sent += remind_due_updates(incident, now)
        if timer is not None:
            sent += notify_sla(incident, timer, now)
    return sent + send_digest_if_due(now)

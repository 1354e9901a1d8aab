"""Service-level targets per priority and the timers they give each incident.

Two targets per priority: time to acknowledge (TTA, from the start to ``acknowledged_at``) and time to resolve
(TTR, from the start to ``resolved_at``). Defaults follow common ITIL practice: P1 15 min / 4 h, P2 30 min /
8 h, P3 4 h / 24 h, P4 8 h / 3 days, P5 none; an admin changes them in the console.

Timers never pause. ITIL measures resolution from the moment the incident is logged to the moment service is
restored; a clock stopped while "waiting on the customer" or out of hours would make the number flatter the
team instead of telling leaders how long users were hurt. Business-hours calendars are therefore not applied.

All arithmetic is done on aware datetimes converted to UTC: subtracting two datetimes that share a zoneinfo
zone gives the wall-clock difference, which is an hour wrong across a daylight-saving change.
"""
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ..models import Incident, SlaTarget
from .priority_table import PRIORITIES, PriorityTable, minutes
from .recording import Actor, DomainError

# priority -> (acknowledge minutes, resolve minutes); None is "no target".
DEFAULT_TARGETS: dict[int, tuple[int | None, int | None]] = {
    1: (15, 4 * 60), 2: (30, 8 * 60), 3: (4 * 60, 24 * 60), 4: (8 * 60, 3 * 24 * 60), 5: (None, None),
}
WARNING_AT = 75  # percent of the target used
MAX_TARGET_MINUTES = 90 * 24 * 60

OK, WARNING, BREACHED, MET = "ok", "warning", "breached", "met"
TABLE = PriorityTable(SlaTarget, ("acknowledge_minutes", "resolve_minutes"), DEFAULT_TARGETS, "sla.targets",
                      "sla_target", "SLA targets")


@dataclass(frozen=True)
class Timer:
    """One target measured at one moment: ``state`` is ok, warning (≥75% used), breached, or met (stopped
    in time). ``remaining`` is negative once breached."""

    target: timedelta
    elapsed: timedelta
    stopped: bool

    @property
    def remaining(self) -> timedelta:
        return self.target - self.elapsed

    @property
    def percent_used(self) -> int:
        return int(self.elapsed / self.target * 100) if self.target else 100

    @property
    def breached(self) -> bool:
        return self.elapsed > self.target

    @property
    def state(self) -> str:
        if self.breached:
            return BREACHED
        if self.stopped:
            return MET
        return WARNING if self.percent_used >= WARNING_AT else OK


@dataclass(frozen=True)
class IncidentTimers:
    acknowledge: Timer | None
    resolve: Timer | None

    @property
    def breached(self) -> bool:
        return any(t is not None and t.breached for t in (self.acknowledge, self.resolve))

    @property
    def needs_attention(self) -> bool:
        """A running timer at warning or breached: what the dashboard leads with."""
        return any(t is not None and not t.stopped and t.state in (WARNING, BREACHED)
                   for t in (self.acknowledge, self.resolve))


def elapsed(start: datetime, end: datetime) -> timedelta:
    """Real time between two aware datetimes, whatever zones they carry (daylight saving included)."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("SLA arithmetic needs aware datetimes")
    return end.astimezone(UTC) - start.astimezone(UTC)


def measure(start: datetime, stop: datetime | None, target_minutes: int | None, now: datetime) -> Timer | None:
    """The timer of one target: from ``start`` to ``stop`` (or ``now`` while running); None without target."""
    if target_minutes is None:
        return None
    return Timer(target=timedelta(minutes=target_minutes), elapsed=max(elapsed(start, stop or now), timedelta(0)),
                 stopped=stop is not None)


def targets() -> dict[int, tuple[int | None, int | None]]:
    """The targets in force for every priority: stored ones, defaults for the rest (one query)."""
    return TABLE.read()


def timers_for(incident: Incident, now: datetime, table: dict | None = None) -> IncidentTimers | None:
    """The incident's two timers, or None when it has no priority (or is maintenance)."""
    if incident.is_maintenance or incident.priority not in PRIORITIES:
        return None
    ack, resolve = (table or targets())[incident.priority]
    if ack is None and resolve is None:
        return None
    return IncidentTimers(measure(incident.started_at, incident.acknowledged_at, ack, now),
                          measure(incident.started_at, incident.resolved_at, resolve, now))


def timers_by_id(incidents, now: datetime) -> dict[str, IncidentTimers]:
    """Timers of many incidents with one query for the targets; incidents without a target are left out."""
    table = targets()
    found = {i.id: timers_for(i, now, table) for i in incidents}
    return {k: v for k, v in found.items() if v is not None}


def set_targets(actor: Actor, values: dict[int, tuple]) -> dict[int, tuple[int | None, int | None]]:
    """Store the targets for the priorities given, as (acknowledge minutes, resolve minutes), blank for none.

    A time to resolve shorter than the time to acknowledge is refused. Audited; not public."""
    checked = {}
    for priority, (ack, resolve) in values.items():
        ack, resolve = (minutes(value, priority, f"time to {kind}", f"p{priority}_{kind}", 1, MAX_TARGET_MINUTES,
                                "1 minute and 90 days") for value, kind in ((ack, "acknowledge"), (resolve, "resolve")))
        if ack is not None and resolve is not None and resolve < ack:
            raise DomainError(f"P{priority}: the time to resolve cannot be shorter than the time to acknowledge",
                              field=f"p{priority}_resolve")
        checked[priority] = (ack, resolve)
    return TABLE.save(actor, checked)

"""Incident metrics for a period, optionally for one component or one priority, in a fixed number of queries.

- MTTA, mean time to acknowledge: acknowledged − started, over incidents acknowledged.
- MTTR, mean time to resolve: resolved − started, over incidents resolved.
- Mean time to mitigate: mitigated − started, over incidents marked mitigated.
- MTBF per component: time not in partial or major outage ÷ number of outages that began in the period, from
  the component status history (degraded performance and maintenance count as up).
- Incidents per priority per month (months in the site's time zone).
- SLA breach rate: incidents whose acknowledge or resolve timer is breached (as of now) ÷ incidents that have a
  target. Timers never pause (see ``domain.sla``).
- Reopened: incidents that went back to an open status after being resolved.
- Overdue action items: not done, due before today, of incidents matching the component and priority filters
  (any period: an overdue follow-up is overdue whenever its incident happened).

Incidents are those of kind incident that started in the period; maintenance is not counted.
"""
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from ..extensions import db
from ..models import (
    CLOSED_STATUSES,
    ActionItem,
    Component,
    ComponentStatusChange,
    Incident,
    IncidentComponent,
    IncidentUpdate,
)
from ..rendering import zone
from . import sla

OUTAGE = ("partial_outage", "major_outage")
MAX_PERIOD_DAYS = 3 * 366
NO_PRIORITY = 0  # the per-month bucket of incidents without a priority


@dataclass(frozen=True)
class Filters:
    """The period (inclusive dates in the site's zone), and optionally one component and one priority."""

    start: date
    end: date
    tz_name: str = "UTC"
    component_id: str | None = None
    priority: int | None = None

    @property
    def start_utc(self) -> datetime:
        return datetime.combine(self.start, time(0), tzinfo=zone(self.tz_name)).astimezone(UTC)

    @property
    def end_utc(self) -> datetime:
        """The first instant after the period."""
        return datetime.combine(self.end + timedelta(days=1), time(0), tzinfo=zone(self.tz_name)).astimezone(UTC)

    def months(self) -> list[str]:
        """Every month the period touches, as YYYY-MM."""
        found, day = [], self.start.replace(day=1)
        while day <= self.end:
            found.append(f"{day:%Y-%m}")
            day = (day + timedelta(days=32)).replace(day=1)
        return found


@dataclass(frozen=True)
class Mean:
    """A mean duration over ``count`` incidents (None when there were none)."""

    value: timedelta | None
    count: int

    @property
    def minutes(self) -> float | None:
        return None if self.value is None else round(self.value.total_seconds() / 60, 1)


@dataclass(frozen=True)
class Reliability:
    component_id: str
    name: str
    failures: int
    up: timedelta
    down: timedelta

    @property
    def mtbf(self) -> timedelta | None:
        return self.up / self.failures if self.failures else None

    @property
    def mtbf_hours(self) -> float | None:
        return None if self.mtbf is None else round(self.mtbf.total_seconds() / 3600, 1)


@dataclass
class Metrics:
    filters: Filters
    incidents: int = 0
    mtta: Mean = Mean(None, 0)
    mttr: Mean = Mean(None, 0)
    mttm: Mean = Mean(None, 0)
    per_month: dict[str, dict[int, int]] = field(default_factory=dict)
    with_target: int = 0
    breached: int = 0
    reopened: int = 0
    overdue_action_items: int = 0
    reliability: list[Reliability] = field(default_factory=list)

    @property
    def breach_rate(self) -> float | None:
        """Percent of incidents with a target that breached it, one decimal."""
        return round(100 * self.breached / self.with_target, 1) if self.with_target else None


def parse_filters(args, tz_name: str, today: date) -> tuple[Filters, dict[str, str]]:
    """Filters from query arguments ``start``, ``end`` (YYYY-MM-DD), ``component``, ``priority``; the default
    is the current month and the five before it. Returns the filters used and the errors of bad arguments
    (each bad argument falls back to its default)."""
    errors: dict[str, str] = {}
    default_start = (today.replace(day=1) - timedelta(days=5 * 31)).replace(day=1)

    def day(name: str, default: date) -> date:
        raw = (args.get(name) or "").strip()
        if not raw:
            return default
        try:
            return date.fromisoformat(raw)
        except ValueError:
            errors[name] = "Give a date as YYYY-MM-DD."
            return default

    start, end = day("start", default_start), day("end", today)
    if end < start:
        errors["end"] = "The end must not be before the start."
        start, end = default_start, today
    elif (end - start).days > MAX_PERIOD_DAYS:
        errors["start"] = "Choose a period of at most three years."
        start = end - timedelta(days=MAX_PERIOD_DAYS)
    priority = (args.get("priority") or "").strip()
    if priority and priority not in {str(p) for p in sla.PRIORITIES}:
        errors["priority"] = "Choose a priority from the list."
        priority = ""
    component = (args.get("component") or "").strip()[:16] or None
    return Filters(start, end, tz_name, component, int(priority) if priority else None), errors


def _mean(durations: list[timedelta]) -> Mean:
    kept = [d for d in durations if d >= timedelta(0)]
    return Mean(sum(kept, timedelta(0)) / len(kept) if kept else None, len(kept))


def _incident_scope(filters: Filters, period: bool = True):
    """WHERE clauses selecting the incidents the filters describe."""
    where = [Incident.kind == "incident"]
    if period:
        where += [Incident.started_at >= filters.start_utc, Incident.started_at < filters.end_utc]
    if filters.priority is not None:
        where.append(Incident.priority == filters.priority)
    if filters.component_id:
        where.append(Incident.id.in_(select(IncidentComponent.incident_id)
                                     .where(IncidentComponent.component_id == filters.component_id)))
    return where


def _reopened(filters: Filters) -> int:
    """Incidents in scope with an open-status update after a closed-status one (one query)."""
    scope = select(Incident.id).where(*_incident_scope(filters))
    rows = db.session.execute(select(IncidentUpdate.incident_id, IncidentUpdate.status)
                              .where(IncidentUpdate.incident_id.in_(scope), IncidentUpdate.visibility == "public")
                              .order_by(IncidentUpdate.incident_id, IncidentUpdate.created_at, IncidentUpdate.id))
    closed, reopened = set(), set()
    for incident_id, status in rows:
        if status in CLOSED_STATUSES:
            closed.add(incident_id)
        elif incident_id in closed:
            reopened.add(incident_id)
    return len(reopened)


def _reliability(filters: Filters, now: datetime) -> list[Reliability]:
    """MTBF inputs per component from its status history (two queries)."""
    query = select(Component.id, Component.name, Component.created_at, Component.status).order_by(Component.name)
    if filters.component_id:
        query = query.where(Component.id == filters.component_id)
    components = db.session.execute(query).all()
    changes = defaultdict(list)
    history = select(ComponentStatusChange.component_id, ComponentStatusChange.changed_at,
                     ComponentStatusChange.old_status, ComponentStatusChange.new_status) \
        .where(ComponentStatusChange.changed_at < filters.end_utc) \
        .order_by(ComponentStatusChange.component_id, ComponentStatusChange.changed_at, ComponentStatusChange.id)
    if filters.component_id:
        history = history.where(ComponentStatusChange.component_id == filters.component_id)
    for cid, at, old, new in db.session.execute(history):
        changes[cid].append((at, old, new))
    end = min(filters.end_utc, now)
    found = []
    for cid, name, created_at, current in components:
        listed = changes.get(cid, [])
        born = min([created_at] + [at for at, _, _ in listed[:1]])
        start = max(filters.start_utc, born)
        if start >= end:
            continue
        before = [new for at, _, new in listed if at <= start]
        after = [(at, new) for at, _, new in listed if start < at < end]
        state = before[-1] if before else (listed[0][1] or "operational") if listed else current
        up = down = timedelta(0)
        failures, cursor = 0, start
        for at, new in after + [(end, None)]:
            if state in OUTAGE:
                down += at - cursor
            else:
                up += at - cursor
            if new is not None and new in OUTAGE and state not in OUTAGE:
                failures += 1
            cursor, state = at, new if new is not None else state
        found.append(Reliability(cid, name, failures, up, down))
    return found


def compute(filters: Filters, now: datetime) -> Metrics:
    """Every metric for ``filters`` as of ``now``, in six queries whatever the number of incidents."""
    incidents = db.session.scalars(select(Incident).where(*_incident_scope(filters))).all()
    table = sla.targets()
    metrics = Metrics(filters=filters, incidents=len(incidents))
    metrics.mtta = _mean([i.acknowledged_at - i.started_at for i in incidents if i.acknowledged_at])
    metrics.mttr = _mean([i.resolved_at - i.started_at for i in incidents if i.resolved_at])
    metrics.mttm = _mean([i.mitigated_at - i.started_at for i in incidents if i.mitigated_at])
    tz = zone(filters.tz_name)
    counts = Counter((f"{i.started_at.astimezone(tz):%Y-%m}", i.priority or NO_PRIORITY) for i in incidents)
    metrics.per_month = {month: {p: counts[(month, p)] for p in (*sla.PRIORITIES, NO_PRIORITY)}
                         for month in filters.months()}
    timers = [sla.timers_for(i, now, table) for i in incidents]
    metrics.with_target = sum(1 for t in timers if t is not None)
    metrics.breached = sum(1 for t in timers if t is not None and t.breached)
    metrics.reopened = _reopened(filters)
    today = now.astimezone(tz).date()
    metrics.overdue_action_items = db.session.scalar(
        select(db.func.count(ActionItem.id)).join(Incident, ActionItem.incident_id == Incident.id)
        .where(ActionItem.done_at.is_(None), ActionItem.due_date < today,
               *_incident_scope(filters, period=False))) or 0
    metrics.reliability = _reliability(filters, now)
    return metrics


"""Uptime per component per day, from the status history, in the site's time zone.

A day's uptime is 1 - weighted down time / observed time. A major outage counts fully as down time, a partial
outage partly (weights are configurable). Days before a component existed (its start date, else its creation)
are "no data", never 100%.

A local day is not always 24 hours (23 or 25 on daylight-saving days): its bounds are local midnights
converted to UTC, and every length is taken between UTC instants. (Python subtracts two datetimes that share a
tzinfo on their wall clocks, which would count a 23-hour day as 24.)
"""
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from ..extensions import db
from ..models import Component, ComponentStatusChange, Incident, IncidentComponent
from .status import COMPONENT_STATUS_RANK

DEFAULT_WEIGHTS = {"major_outage": 1.0, "partial_outage": 0.3, "degraded_performance": 0.0}


@dataclass
class UptimeDay:
    day: date
    uptime: float | None  # 0..1, None = no data
    worst: str = "operational"
    down_seconds: float = 0.0
    incidents: list = field(default_factory=list)  # [(id, name, impact)]
    observed_seconds: float = 0.0

    @property
    def percent(self) -> float | None:
        return None if self.uptime is None else round(self.uptime * 100, 2)

    @property
    def level(self) -> str:
        """A word for the bar's colour: nodata, operational, minor, major, critical."""
        if self.uptime is None:
            return "nodata"
        if self.worst == "major_outage":
            return "critical"
        if self.worst == "partial_outage":
            return "major"
        if self.worst == "degraded_performance" or self.incidents:
            return "minor"
        if self.worst == "under_maintenance":
            return "maintenance"
        return "operational"


@dataclass
class ComponentUptime:
    days: list[UptimeDay]
    observed_seconds: float
    down_seconds: float
    # What the days were computed from, for a page script to compute the same days in the reader's zone:
    # when the component began, its non-operational intervals (from, to or None = still, status) and its
    # incidents (id, name, impact, started_at, resolved_at).
    begin: datetime | None = None
    spans: list = field(default_factory=list)
    incidents: list = field(default_factory=list)

    @property
    def percent(self) -> float | None:
        if self.observed_seconds <= 0:
            return None
        return round(100 * (1 - self.down_seconds / self.observed_seconds), 2)

    @property
    def key(self) -> tuple:
        """Everything a bar of these days shows (and its script recomputes from), hashable: equal keys draw the
        same bar."""
        return (self.begin, tuple(tuple(s) for s in self.spans), tuple(tuple(i) for i in self.incidents),
                tuple((d.day, d.uptime, d.worst, tuple(tuple(i) for i in d.incidents)) for d in self.days))


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The instant ``day`` begins in ``tz``, in UTC."""
    return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)


def _day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants a local day begins and ends (23, 24 or 25 hours apart)."""
    return _local_midnight(day, tz), _local_midnight(day + timedelta(days=1), tz)


def _component_start(component: Component, tz: ZoneInfo) -> datetime:
    if component.start_date:
        return _local_midnight(component.start_date, tz)
    return component.created_at.astimezone(UTC)


@lru_cache(maxsize=16)
def _bounds(days: tuple[date, ...], tz: ZoneInfo) -> tuple:
    """(day, start, end) for each day, computed once per window rather than once per component."""
    return tuple((day, *_day_bounds(day, tz)) for day in days)


def _incidents_by_day(incidents: list, bounds: tuple) -> list[list]:
    """For each day of ``bounds``, the (id, name, impact) of the incidents open at some time that day, in the
    order given: each incident is placed on the days it spans, not tested against every day."""
    starts, ends = [b[1] for b in bounds], [b[2] for b in bounds]
    out: list[list] = [[] for _ in bounds]
    for incident in incidents:
        first = bisect_right(ends, incident[3])  # the first day ending after it started
        last = len(bounds) if incident[4] is None else bisect_right(starts, incident[4])
        for n in range(first, last):
            out[n].append(incident[:3])
    return out


def compute(component: Component, changes: list, incidents: list, days: list[date], tz: ZoneInfo,
            now: datetime, weights: dict) -> ComponentUptime:
    """Uptime of one component over ``days``; ``changes`` are (changed_at, old, new) sorted by time, and
    include the last change before the window when there is one; ``incidents`` are
    (id, name, impact, started_at, resolved_at)."""
    begin = _component_start(component, tz)
    status = (changes[0][1] or changes[0][2]) if changes else component.status
    # Contiguous status intervals (from, to, status), swept once alongside the days.
    now = now.astimezone(UTC)
    intervals, cursor = [], datetime.min.replace(tzinfo=UTC)
    for changed_at, _old, new in changes:
        changed_at = changed_at.astimezone(UTC)
        intervals.append((cursor, changed_at, status))
        cursor, status = changed_at, new
    intervals.append((cursor, now, status))
    bounds = _bounds(tuple(days), tz)
    by_day = _incidents_by_day(incidents, bounds)
    out, observed_total, down_total, first = [], 0.0, 0.0, 0
    for (day, day_start, day_end), day_incidents in zip(bounds, by_day, strict=True):
        start, end = max(day_start, begin), min(day_end, now)
        if end <= start:
            out.append(UptimeDay(day, None, incidents=day_incidents))
            continue
        while first < len(intervals) - 1 and intervals[first][1] <= start:
            first += 1
        down, worst, worst_rank = 0.0, "operational", 0
        for a, b, st in intervals[first:]:
            if a >= end:
                break
            lo, hi = max(a, start), min(b, end)
            if hi <= lo:
                continue
            down += (hi - lo).total_seconds() * weights.get(st, 0.0)
            rank = COMPONENT_STATUS_RANK.get(st, 0)
            if rank > worst_rank:
                worst, worst_rank = st, rank
        observed = (end - start).total_seconds()
        observed_total += observed
        down_total += down
        out.append(UptimeDay(day, 1 - down / observed, worst, down, day_incidents, observed))
    spans = [(a if a.year > 1 else None, None if b == now else b, st) for a, b, st in intervals
             if st != "operational" and b > a]
    return ComponentUptime(out, observed_total, down_total, begin, spans, incidents)


def window(now: datetime, tz: ZoneInfo, days: int = 90) -> list[date]:
    today = now.astimezone(tz).date()
    return [today - timedelta(days=n) for n in range(days - 1, -1, -1)]


def load_uptime(components: list[Component], now: datetime, tz: ZoneInfo, days: int = 90,
                weights: dict | None = None, incident_filter=None) -> dict[str, ComponentUptime]:
    """Uptime for every given component, in two queries whatever their number."""
    weights = weights or DEFAULT_WEIGHTS
    day_list = window(now, tz, days)
    window_start = _day_bounds(day_list[0], tz)[0]
    ids = [c.id for c in components]
    if not ids:
        return {}
    last_before = (select(ComponentStatusChange.component_id, func.max(ComponentStatusChange.changed_at).label("at"))
                   .where(ComponentStatusChange.component_id.in_(ids),
                          ComponentStatusChange.changed_at < window_start)
                   .group_by(ComponentStatusChange.component_id).subquery())
    rows = db.session.execute(
        select(ComponentStatusChange.component_id, ComponentStatusChange.changed_at,
               ComponentStatusChange.old_status, ComponentStatusChange.new_status)
        .outerjoin(last_before, (last_before.c.component_id == ComponentStatusChange.component_id)
                   & (last_before.c.at == ComponentStatusChange.changed_at))
        .where(ComponentStatusChange.component_id.in_(ids),
               (ComponentStatusChange.changed_at >= window_start) | last_before.c.at.is_not(None))
        .order_by(ComponentStatusChange.changed_at, ComponentStatusChange.id)
    ).all()
    changes = defaultdict(list)
    for cid, at, old, new in rows:
        if at < window_start:
            # The last change before the window sets the status the window starts in.
            changes[cid].append((window_start, new, new))
        else:
            changes[cid].append((at, old, new))
    query = (select(IncidentComponent.component_id, Incident.id, Incident.name, Incident.impact,
                    Incident.started_at, Incident.resolved_at)
             .join(Incident, Incident.id == IncidentComponent.incident_id)
             .where(IncidentComponent.component_id.in_(ids), Incident.kind == "incident",
                    Incident.started_at < now,
                    (Incident.resolved_at.is_(None)) | (Incident.resolved_at >= window_start)))
    if incident_filter is not None:
        query = query.where(incident_filter)
    incidents = defaultdict(list)
    for cid, iid, name, impact, started, resolved in db.session.execute(query):
        incidents[cid].append((iid, name, impact, started, resolved))
    return {c.id: compute(c, changes[c.id], incidents[c.id], day_list, tz, now, weights) for c in components}


def recent_percent(uptime: ComponentUptime, days: int) -> float | None:
    """Uptime in percent over the last ``days`` days of ``uptime`` (unrounded, like group_percent)."""
    recent = uptime.days[-days:]
    observed = sum(d.observed_seconds for d in recent)
    if observed <= 0:
        return None
    return 100 * (1 - sum(d.down_seconds for d in recent) / observed)


def group_percent(uptimes: list[ComponentUptime]) -> float | None:
    """A group's uptime in percent (unrounded: presentation rounds down, so downtime never reads 100%)."""
    observed = sum(u.observed_seconds for u in uptimes)
    if observed <= 0:
        return None
    return 100 * (1 - sum(u.down_seconds for u in uptimes) / observed)

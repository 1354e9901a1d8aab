"""The monthly report for leaders: a month's headline numbers beside the month before, its SLA breaches and
the follow-up actions still open, in a fixed number of queries.

Numbers come from ``domain.metrics`` so the report, the metrics page and the CSV never disagree.
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from ..extensions import db
from ..models import ActionItem, Incident, User
from ..rendering import zone
from . import metrics, sla
from .recording import NotFound


@dataclass(frozen=True)
class Trend:
    """One headline number this month and last; ``better`` is None when unchanged or not comparable."""

    label: str
    now: float | int | None
    before: float | int | None
    unit: str
    lower_is_better: bool = True

    @property
    def better(self) -> bool | None:
        if self.now is None or self.before is None or self.now == self.before:
            return None
        return (self.now < self.before) == self.lower_is_better


@dataclass(frozen=True)
class Breach:
    incident: Incident
    targets: list[str]  # "acknowledge", "resolve"


@dataclass(frozen=True)
class OpenAction:
    item: ActionItem
    incident_name: str
    owner: str | None
    overdue: bool


@dataclass
class MonthlyReport:
    month: date
    current: metrics.Metrics
    previous: metrics.Metrics
    trends: list[Trend]
    breaches: list[Breach]
    actions: list[OpenAction]


def parse_month(text: str, today: date) -> date:
    """``YYYY-MM`` as the first day of that month; NotFound for anything else or a month not yet begun."""
    try:
        year, month = text.split("-")
        first = date(int(year), int(month), 1) if len(year) == 4 and len(month) == 2 else None
    except ValueError:
        first = None
    if first is None or first > today:
        raise NotFound("there is no report for that month; use YYYY-MM, a month that has begun")
    return first


def previous_month(first: date) -> date:
    return (first - timedelta(days=1)).replace(day=1)


def next_month(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1)


def _month_filters(first: date, tz_name: str) -> metrics.Filters:
    last = next_month(first) - timedelta(days=1)
    return metrics.Filters(first, last, tz_name)


def monthly_report(first: date, tz_name: str, now: datetime) -> MonthlyReport:
    """The report for the month starting ``first``, as of ``now``."""
    filters = _month_filters(first, tz_name)
    current = metrics.compute(filters, now)
    previous = metrics.compute(_month_filters(previous_month(first), tz_name), now)
    trends = [
        Trend("Incidents", current.incidents, previous.incidents, "count"),
        Trend("Mean time to acknowledge", current.mtta.minutes, previous.mtta.minutes, "minutes"),
        Trend("Mean time to resolve", current.mttr.minutes, previous.mttr.minutes, "minutes"),
        Trend("SLA breach rate", current.breach_rate, previous.breach_rate, "percent"),
    ]
    table = sla.targets()
    incidents = db.session.scalars(select(Incident).where(
        Incident.kind == "incident", Incident.started_at >= filters.start_utc, Incident.started_at < filters.end_utc,
        Incident.priority.is_not(None)).order_by(Incident.started_at)).all()
    breaches = []
    for incident in incidents:
        timers = sla.timers_for(incident, now, table)
        if timers and timers.breached:
            missed = [name for name, t in (("acknowledge", timers.acknowledge), ("resolve", timers.resolve))
                      if t is not None and t.breached]
            breaches.append(Breach(incident, missed))
    today = now.astimezone(zone(tz_name)).date()
    rows = db.session.execute(
        select(ActionItem, Incident.name, User.email).join(Incident, ActionItem.incident_id == Incident.id)
        .outerjoin(User, ActionItem.owner_id == User.id).where(ActionItem.done_at.is_(None))
        .order_by(ActionItem.due_date.is_(None), ActionItem.due_date, ActionItem.id)).all()
    actions = [OpenAction(item, name, owner, item.due_date is not None and item.due_date < today)
               for item, name, owner in rows]
    return MonthlyReport(first, current, previous, trends, breaches, actions)

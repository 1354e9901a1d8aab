"""Uptime of a component or a group over a date range, in Statuspage's v1 shape.

``start`` and ``end`` are dates (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``; a year or a month means its first day
for ``start`` and its last for ``end``), in the site's time zone. ``end`` defaults to today and is moved back to
today when later; ``start`` defaults to 90 days ago or the component's start, whichever is later, and is moved
forward to the component's start when earlier. Each adjustment is said in ``warnings``. A range longer than six
calendar months, an end before its start or a date before 1970 is 422. The numbers come from ``domain.uptime``
(the same rules and weights as the public page's bars): ``uptime_percentage`` counts a major outage fully and a
partial outage by its weight (30% by default), rounded down to hundredths; ``major_outage`` and
``partial_outage`` are whole seconds. A group adds up its components.
"""
import calendar
import math
import re
from datetime import date, datetime, time, timedelta

from flask import jsonify, request

from ...domain import uptime as rules
from ...domain import visibility
from ...domain.components import get_component, get_group
from ...domain.overview import weights
from ...domain.recording import DomainError
from ...models import Component, Site
from ...models.columns import utcnow
from ...rendering import zone
from . import route

PARTIAL_DATE = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")
DEFAULT_DAYS = 90
MAX_MONTHS = 6
EARLIEST = date(1970, 1, 1)


def partial_date(name: str, last: bool) -> date | None:
    """The date a ``YYYY[-MM[-DD]]`` query argument names (its first day, or with ``last`` its last)."""
    raw = request.args.get(name)
    if raw is None:
        return None
    match = PARTIAL_DATE.fullmatch(raw)
    if not match:
        raise DomainError(f"{name} must be a date like 2026-01-31 (or 2026-01, or 2026)", field=name)
    year, month, day = int(match[1]), int(match[2] or (12 if last else 1)), match[3]
    try:
        if day is None:
            day = calendar.monthrange(year, month)[1] if last else 1
        value = date(year, month, int(day))
    except ValueError:
        raise DomainError(f"{name} {raw!r} is not a date of the calendar", field=name) from None
    if value < EARLIEST:
        raise DomainError(f"{name} must be on or after 1970-01-01", field=name)
    return value


def months_later(day: date, months: int) -> date:
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    if year > date.max.year:
        return date.max
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _start_of(component: Component, tz) -> date:
    return component.start_date or component.created_at.astimezone(tz).date()


def date_range(components: list[Component], now: datetime, tz) -> tuple[date, date, list[str]]:
    """(first day, last day, warnings) for the query's start and end."""
    today = now.astimezone(tz).date()
    start, end = partial_date("start", last=False), partial_date("end", last=True)
    warnings = []
    if end is None:
        end = today
    elif end > today:
        end = today
        warnings.append("End date was adjusted to today. See range_end field in response for end date used.")
    if start is not None and start > end:
        raise DomainError("start must not be after end (nor after today)", field="start")
    begins = min((_start_of(c, tz) for c in components), default=today)
    if start is None:
        start = max(today - timedelta(days=DEFAULT_DAYS - 1), begins)
    else:
        if end >= months_later(start, MAX_MONTHS):
            raise DomainError("the range may cover at most six calendar months", field="start")
        if start < begins:
            start = begins
            warnings.append("Start date was adjusted to the start date of the component. See range_start field "
                            "in response for start date used.")
    if start > end:
        warnings.append("There is no data in this range: the component starts after it ends.")
    return start, end, warnings


def measure(components: list[Component]) -> dict:
    """The range, percentage, outage seconds, warnings and related incidents of ``components`` together."""
    site = Site.get()
    tz, now = zone(site.time_zone), utcnow()
    start, end, warnings = date_range(components, now, tz)
    body = {"range_start": start.isoformat(), "range_end": end.isoformat(), "uptime_percentage": None,
            "major_outage": 0, "partial_outage": 0, "warnings": warnings}
    related: dict[str, list[str]] = {}
    if start <= end and components:
        until = min(now, datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz) - timedelta(microseconds=1))
        days, internal = (end - start).days + 1, visibility.incident_filter(visibility.INTERNAL)
        weighed = rules.load_uptime(components, until, tz, days, weights(), internal)
        for status in ("major_outage", "partial_outage"):
            plain = rules.load_uptime(components, until, tz, days, {status: 1.0}, internal)
            body[status] = round(sum(u.down_seconds for u in plain.values()))
        percent = rules.group_percent(list(weighed.values()))
        body["uptime_percentage"] = None if percent is None else math.floor(percent * 100) / 100
        for component in components:
            ids = dict.fromkeys(i[0] for day in weighed[component.id].days for i in day.incidents)
            if ids:
                related[component.id] = list(ids)
    if body["uptime_percentage"] is None and not warnings:
        warnings.append("There is no data in this range.")
    return body | {"related": related}


@route("/pages/<page_id>/components/<component_id>/uptime", methods=["GET"])
def component_uptime(page_id, component_id):
    component = get_component(component_id)
    body = measure([component])
    related = body.pop("related")
    return jsonify(body | {"id": component.id, "name": component.name,
                           "related_events": [{"id": i} for i in related.get(component.id, [])]})


@route("/pages/<page_id>/component-groups/<group_id>/uptime", methods=["GET"])
def group_uptime(page_id, group_id):
    group = get_group(group_id)
    body = measure(list(group.components))
    related = body.pop("related")
    return jsonify(body | {"id": group.id, "name": group.name,
                           "related_events": [{"component_id": cid, "incidents": [{"id": i} for i in ids]}
                                              for cid, ids in related.items()]})

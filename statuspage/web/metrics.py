"""Incident metrics for staff at /internal/metrics and the same numbers as CSV at /internal/metrics.csv.

Both read the same filters (period, component, priority) from the query string and the same
``domain.metrics.compute`` result; ``metric_rows`` is the one list of numbers both print. Every viewer may read
them (require("read")); anonymous readers are sent to sign in.
"""
import io
from datetime import timedelta

from defusedcsv import csv
from flask import Blueprint, Response, render_template, request
from sqlalchemy import select

from ..domain import metrics
from ..domain.priority import PRIORITY_LABEL
from ..domain.sla import PRIORITIES
from ..extensions import db
from ..models import Component, Site
from ..models.columns import utcnow
from ..rendering import human_duration, zone
from . import charts
from .access import require

bp = Blueprint("metrics", __name__)

PRIORITY_KEYS = [(p, f"p{p}", PRIORITY_LABEL[p]) for p in PRIORITIES] + [(metrics.NO_PRIORITY, "pnone",
                                                                          "No priority")]


def load(args) -> tuple[metrics.Metrics, dict[str, str], list]:
    """The metrics the query arguments ask for, the errors of bad arguments, and the components to pick from."""
    site = Site.get()
    now = utcnow()
    filters, errors = metrics.parse_filters(args, site.time_zone, now.astimezone(zone(site.time_zone)).date())
    components = db.session.execute(select(Component.id, Component.name).order_by(Component.name)).all()
    if filters.component_id and filters.component_id not in {cid for cid, _ in components}:
        errors["component"] = "Choose a component from the list."
        filters = metrics.Filters(filters.start, filters.end, filters.tz_name, None, filters.priority)
    return metrics.compute(filters, now), errors, components


def metric_rows(m: metrics.Metrics) -> list[tuple[str, str, object, str]]:
    """Every number as (metric, scope, value, unit); blank value where there is nothing to average."""
    rows = [("incidents", "all", m.incidents, "count"),
            ("mean_time_to_acknowledge", "all", m.mtta.minutes, "minutes"),
            ("incidents_acknowledged", "all", m.mtta.count, "count"),
            ("mean_time_to_resolve", "all", m.mttr.minutes, "minutes"),
            ("incidents_resolved", "all", m.mttr.count, "count"),
            ("mean_time_to_mitigate", "all", m.mttm.minutes, "minutes"),
            ("incidents_mitigated", "all", m.mttm.count, "count"),
            ("incidents_with_sla_target", "all", m.with_target, "count"),
            ("sla_breached", "all", m.breached, "count"),
            ("sla_breach_rate", "all", m.breach_rate, "percent"),
            ("reopened_incidents", "all", m.reopened, "count"),
            ("overdue_action_items", "all", m.overdue_action_items, "count")]
    for month, counts in m.per_month.items():
        rows += [("incidents", f"{month} {label}", counts[p], "count") for p, _, label in PRIORITY_KEYS]
    for r in m.reliability:
        rows += [("outages", r.name, r.failures, "count"),
                 ("mean_time_between_failures", r.name, r.mtbf_hours, "hours")]
    return [(metric, scope, "" if value is None else value, unit) for metric, scope, value, unit in rows]


@bp.get("/internal/metrics")
@require("read")
def page():
    m, errors, components = load(request.args)
    month_chart = charts.stacked_bars([(month, [(key, label, counts[p]) for p, key, label in PRIORITY_KEYS])
                                       for month, counts in m.per_month.items()])
    mtbf_chart = charts.horizontal_bars([(r.name, r.mtbf_hours) for r in m.reliability])
    return render_template("internal/metrics.html", m=m, errors=errors, components=components,
                           priorities=PRIORITY_KEYS, month_chart=month_chart, mtbf_chart=mtbf_chart,
                           spoken=spoken_duration, args=request.args), 400 if errors else 200


@bp.get("/internal/metrics.csv")
@require("read")
def csv_export():
    m, errors, _ = load(request.args)
    if errors:
        return Response("; ".join(f"{k}: {v}" for k, v in errors.items()) + "\n", 400, mimetype="text/plain")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["metric", "scope", "value", "unit"])
    writer.writerows([_cell(v) for v in row] for row in metric_rows(m))
    name = f"metrics-{m.filters.start}-{m.filters.end}.csv"
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _cell(value):
    """defusedcsv neutralizes a leading = + - @ | %; a leading tab or carriage return gets the same quote."""
    if isinstance(value, str) and value[:1] in ("\t", "\r"):
        return "'" + value
    return value


def spoken_duration(minutes: float | None) -> str:
    """Minutes as plain words for a sentence ("12 minutes", "3 hours 20 minutes")."""
    if minutes is None:
        return ""
    return human_duration(timedelta(minutes=minutes))

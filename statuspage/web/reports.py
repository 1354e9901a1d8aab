"""The monthly report for leaders at /internal/reports/YYYY-MM: plain words on one printed page.

``/internal/reports`` opens last month's. Every viewer may read it; anonymous readers are sent to sign in.
"""
from flask import Blueprint, abort, redirect, render_template, url_for

from ..domain import reports
from ..domain.recording import NotFound
from ..models import Site
from ..models.columns import utcnow
from ..rendering import zone
from .access import require
from .metrics import spoken_duration

bp = Blueprint("reports", __name__)


@bp.get("/internal/reports")
@require("read")
def latest():
    """Last month's report (the current month is not over yet)."""
    today = utcnow().astimezone(zone(Site.get().time_zone)).date()
    return redirect(url_for("reports.monthly", month=f"{reports.previous_month(today.replace(day=1)):%Y-%m}"))


@bp.get("/internal/reports/<month>")
@require("read")
def monthly(month: str):
    site = Site.get()
    now = utcnow()
    today = now.astimezone(zone(site.time_zone)).date()
    try:
        first = reports.parse_month(month, today)
    except NotFound as error:
        abort(404, error.message[:1].upper() + error.message[1:] + ".")
    report = reports.monthly_report(first, site.time_zone, now)
    in_progress = first == today.replace(day=1)
    return render_template("internal/report.html", r=report, spoken=spoken_duration, tz=site.time_zone,
                           in_progress=in_progress, earlier=f"{reports.previous_month(first):%Y-%m}",
                           later=None if in_progress else f"{reports.next_month(first):%Y-%m}")

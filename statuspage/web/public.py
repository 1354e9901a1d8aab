"""The public status page, incident history and incident pages, and the internal page for staff.

Pages are rendered from ``load_overview(audience)`` and the visibility rules in ``domain.visibility``: the
public routes only ever ask for the public audience; ``/internal`` asks for the internal one behind
``require("read")``.
Every anonymous page here is a snapshot rendered once per public version (``snapshot``), served by ``hotpath``.
"""
import math
from datetime import timedelta

from flask import Blueprint, abort, current_app, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from .. import snapshot
from ..domain import problems, sla, visibility
from ..domain.overview import incident_loader, load_overview, weights
from ..domain.status import COMPONENT_STATUS_LABEL
from ..domain.uptime import recent_percent
from ..extensions import db
from ..models import Incident, Site
from ..models.columns import utcnow
from ..rendering import zone
from .access import require

bp = Blueprint("public", __name__)

HISTORY_PAGE_SIZE = 20
RECENT_DAYS = 14
PHONE_BAR_DAYS = 30  # a phone shows the last 30 of the 90 days (static/css/site.css hides the others)


def _clock_window() -> int:
    """Pages that show the clock (uptime bars' today, running durations) render again this often even when
    nothing is written; within a window every process renders the same bytes (snapshot.SnapshotStore.render)."""
    return current_app.config["SNAPSHOT_CLOCK_WINDOW"]


@bp.app_context_processor
def branding() -> dict:
    """The site's name and branding for every template (falls back to the configured name)."""
    try:
        site = db.session.get(Site, 1)
    except SQLAlchemyError:  # an error page must still render when the database is down
        db.session.rollback()
        site = None
    return {"site_name": site.name if site else current_app.config.get("SITE_NAME", "Status"),
            "site_logo_url": site.logo_url if site else "",
            "site_accent": _safe_colour(site.accent_color if site else ""),
            "site_time_zone": site.time_zone if site else "UTC"}


def _safe_colour(value: str | None) -> str:
    """A #rrggbb colour, or the default accent when the stored value is anything else."""
    value = (value or "").strip()
    if len(value) == 7 and value[0] == "#" and all(c in "0123456789abcdefABCDEF" for c in value[1:]):
        return value
    return "#1f6feb"


@bp.app_template_filter("uptime_percent")
def uptime_percent(value: float | None) -> str:
    """An uptime percentage for people: '100%', '99.95%', '75%'; never '100%' when anything was down
    (rounded down to two decimals)."""
    if value is None:
        return "No data"
    if value >= 100:
        return "100%"
    return f"{math.floor(value * 100) / 100:.2f}".rstrip("0").rstrip(".") + "%"


@bp.app_template_filter("bar_source")
def bar_source(uptime) -> dict:
    """What static/js/bars.js needs to compute a bar's days in the reader's zone (times in epoch seconds):
    b the component's beginning, s its non-operational spans [from or null, to or null = still, status],
    i its incidents [id, name, impact, started, resolved or null]."""
    def sec(value):
        return int(value.timestamp()) if value is not None else None

    return {"b": sec(uptime.begin), "s": [[sec(a), sec(b), st] for a, b, st in uptime.spans],
            "i": [[iid, name, impact, sec(start), sec(end)] for iid, name, impact, start, end in uptime.incidents]}


def _bar_rules(tz_name: str, audience: str) -> dict:
    """The rules static/js/bars.js computes a day with, as the server does (domain.uptime)."""
    incident_path = url_for("public.internal_incident" if audience == visibility.INTERNAL else "public.incident",
                            incident_id="-")[:-1]
    return {"zone": tz_name, "weights": weights(), "words": COMPONENT_STATUS_LABEL, "path": incident_path,
            "phone": PHONE_BAR_DAYS}


def _component_percent(uptime) -> float | None:
    if uptime is None or uptime.observed_seconds <= 0:
        return None
    return 100 * (1 - uptime.down_seconds / uptime.observed_seconds)


def _by_day(incidents: list[Incident], tz_name: str, today, days: int) -> list[tuple]:
    """The last ``days`` days in the site's zone, newest first, as (newest day, oldest day, incidents) rows:
    one row per day with incidents, quiet days in between merged into one row."""
    tz = zone(tz_name)
    buckets: dict = {today - timedelta(days=n): [] for n in range(days)}
    for incident in incidents:
        day = incident.started_at.astimezone(tz).date()
        if day in buckets:
            buckets[day].append(incident)
    rows: list[list] = []
    for day, listed in sorted(buckets.items(), reverse=True):
        if not listed and rows and not rows[-1][2] and day != today - timedelta(days=1):
            rows[-1][1] = day
        else:
            rows.append([day, day, listed])
    return [tuple(row) for row in rows]


def render_overview(audience: str, now=None) -> str:
    """The status page for ``audience`` as HTML, as of ``now`` (the present when not given)."""
    overview = load_overview(audience, now=now)
    tz = zone(overview.site.time_zone)
    today = overview.now.astimezone(tz).date()
    listed = overview.open_incidents + overview.active_maintenance + overview.recent_incidents
    recent_days = _by_day(sorted(listed, key=lambda i: i.started_at, reverse=True), overview.site.time_zone,
                          today, RECENT_DAYS)
    percents = {cid: _component_percent(u) for cid, u in overview.uptime.items()}
    phone_percents = {cid: recent_percent(u, PHONE_BAR_DAYS) for cid, u in overview.uptime.items()}
    timers = sla.timers_by_id(overview.open_incidents, overview.now) \
        if visibility.can_see_service_levels(audience) else {}
    known_errors = problems.known_errors_now(problems.open_incident_components(overview.open_incidents)) \
        if visibility.can_see_known_errors(audience) else []
    return render_template("public/index.html", ov=overview, audience=audience, recent_days=recent_days,
                           percents=percents, phone_percents=phone_percents, phone_days=PHONE_BAR_DAYS,
                           recent_span=RECENT_DAYS, bar_rules=_bar_rules(overview.site.time_zone, audience),
                           tz=overview.site.time_zone, today=today, timers=timers,
                           visible_updates=visibility.visible_updates, known_errors=known_errors)


@bp.get("/")
def index():
    """The public page; anonymous visitors get the snapshot (``hotpath`` serves it before Flask runs)."""
    if current_user.is_authenticated or session.get("_flashes"):
        # Personal content (a flash message, the signed-in header) must never land in the shared snapshot.
        return render_overview(visibility.PUBLIC)
    return snapshot.serve(lambda now: render_overview(visibility.PUBLIC, now), fresh_for=_clock_window())


@bp.get("/internal")
@require("read")
def internal():
    """The same page for staff: internal components and incidents, internal notes, priorities."""
    return render_overview(visibility.INTERNAL)


def render_history(page: int) -> str:
    """Public incidents and maintenance, newest first, grouped by month, HISTORY_PAGE_SIZE a page."""
    where = [visibility.incident_filter(visibility.PUBLIC),
             ~((Incident.kind == "maintenance") & (Incident.status == "scheduled"))]
    total = db.session.scalar(select(func.count(Incident.id)).where(*where)) or 0
    pages = max(1, math.ceil(total / HISTORY_PAGE_SIZE))
    rows = db.session.scalars(
        select(Incident).options(*incident_loader()).where(*where)
        .order_by(Incident.started_at.desc(), Incident.id)
        .limit(HISTORY_PAGE_SIZE).offset((page - 1) * HISTORY_PAGE_SIZE)).all()
    site = Site.get()
    tz = zone(site.time_zone)
    months: list[tuple] = []
    for incident in rows:
        month = incident.started_at.astimezone(tz).strftime("%B %Y")
        if not months or months[-1][0] != month:
            months.append((month, []))
        months[-1][1].append(incident)
    return render_template("public/history.html", months=months, page=page, pages=pages, total=total,
                           tz=site.time_zone, audience=visibility.PUBLIC,
                           visible_updates=visibility.visible_updates)


@bp.get("/history")
def history():
    """The history page ``?page=N`` asks for, from its snapshot."""
    page = snapshot.history_page(request.environ.get("QUERY_STRING", ""))
    return snapshot.serve(lambda now: render_history(page))


def _incident_page(incident_id: str, audience: str, now=None):
    incident = db.session.get(Incident, incident_id) if len(incident_id) <= 16 else None
    if incident is None or not visibility.can_see_incident(incident, audience):
        abort(404)
    site = Site.get()
    components = visibility.visible_components_of(incident, audience)
    visible_ids = {c.id for c in components}
    updates = [(u, visibility.visible_affected_changes(u.affected_components, audience, visible_ids))
               for u in visibility.visible_updates(incident, audience)]
    return render_template("public/incident.html", incident=incident, updates=updates, components=components,
                           tz=site.time_zone, audience=audience, now=now or utcnow(),
                           service_levels=visibility.can_see_service_levels(audience))


@bp.get("/incidents/<incident_id>")
def incident(incident_id: str):
    """One public incident or maintenance with its public timeline, from its snapshot; anything else is 404."""
    if snapshot.public_key(request.path, "") is None:
        abort(404)
    return snapshot.serve(lambda now: _incident_page(incident_id, visibility.PUBLIC, now), fresh_for=_clock_window())


@bp.get("/internal/incidents/<incident_id>")
@require("read")
def internal_incident(incident_id: str):
    """One incident as staff see it: internal notes and internal components included."""
    return _incident_page(incident_id, visibility.INTERNAL)

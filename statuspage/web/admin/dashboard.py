"""The console's first screen: what needs the manager now (unacknowledged incidents, SLA timers at warning or
breached), then open incidents, maintenance, components not operational and what changed lately (audit
entries). Read-only; every role may see it (the buttons in it post to ``command``'s routes)."""
from datetime import timedelta

from flask import render_template, url_for
from werkzeug.routing import BuildError

from ...domain import maintenance, sla
from ...domain.reviews import overdue_action_items
from ...extensions import db
from ...models import (
    ACTIVE_MAINTENANCE_STATUSES,
    OPEN_INCIDENT_STATUSES,
    AuditEntry,
    Component,
    Incident,
    Site,
)
from ...models.columns import utcnow
from ..access import require
from . import bp
from .incident_pages import staff_names

UPCOMING_WINDOW = timedelta(days=14)
RECENT_AUDIT = 10


def console_link(endpoint: str, **values) -> str | None:
    """The URL of another console page, or None while that page does not exist (built by another area)."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


@bp.route("/")
@require("read")
def dashboard():
    now = utcnow()
    open_incidents = db.session.scalars(
        db.select(Incident).where(Incident.kind == "incident", Incident.status.in_(OPEN_INCIDENT_STATUSES))
        .order_by(db.func.coalesce(Incident.priority, 99), Incident.started_at.desc())).all()
    active_maintenance = db.session.scalars(
        db.select(Incident).where(Incident.kind == "maintenance",
                                  Incident.status.in_(ACTIVE_MAINTENANCE_STATUSES))
        .order_by(Incident.scheduled_until)).all()
    upcoming_maintenance = db.session.scalars(
        db.select(Incident).where(Incident.kind == "maintenance", Incident.status == "scheduled",
                                  Incident.scheduled_for <= now + UPCOMING_WINDOW)
        .order_by(Incident.scheduled_for)).all()
    late = {m.id: maintenance.SCHEDULE_LABEL[maintenance.schedule_state(m, now)] for m in upcoming_maintenance
            if maintenance.schedule_state(m, now) != maintenance.UPCOMING}
    troubled = db.session.scalars(
        db.select(Component).where(Component.status != "operational").order_by(Component.name)).all()
    recent = db.session.scalars(
        db.select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(RECENT_AUDIT)).all()
    timers = sla.timers_by_id(open_incidents, now)
    unacknowledged = [i for i in open_incidents if i.acknowledged_at is None]
    at_risk = [i for i in open_incidents if i.id in timers and timers[i.id].needs_attention]
    return render_template(
        "admin/dashboard.html", now=now, site=Site.get(), open_incidents=open_incidents, timers=timers,
        unacknowledged=unacknowledged, at_risk=at_risk, owners=staff_names(i.owner_id for i in open_incidents),
        active_maintenance=active_maintenance, upcoming_maintenance=upcoming_maintenance, late=late,
        troubled=troubled, recent=recent, console_link=console_link,
        overdue_items=overdue_action_items(now.date()))

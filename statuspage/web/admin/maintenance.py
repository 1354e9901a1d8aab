"""Scheduled maintenance in the console: list, schedule, and the window's page with reschedule, cancel,
start now, complete now and updates.

Times are typed in the site's time zone (``Site.time_zone``) and stored as aware UTC; every time on these
screens is shown in that zone too (not localized by the browser), so one zone is named and used per screen. Starting and
completing a window are updates (``post_update`` with in_progress / completed).
"""
from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ...domain import incidents as incident_rules
from ...domain import maintenance as domain
from ...domain.recording import DomainError
from ...extensions import db
from ...models import ACTIVE_MAINTENANCE_STATUSES, Incident, IncidentComponent, Site
from ...models.columns import utcnow
from ...web.access import require, web_actor
from . import bp
from .forms import (
    CancelForm,
    MaintenanceForm,
    MaintenanceStepForm,
    MaintenanceUpdateForm,
    RescheduleForm,
    expected_revision,
    show_domain_error,
    site_local_to_utc,
)
from .incident_pages import all_components, incident_or_404, render_maintenance, run

PAST_LIMIT = 50


@bp.get("/maintenance")
@require("read")
def maintenance():
    """Overdue windows (ended while still scheduled: to complete or cancel), active ones, upcoming ones
    (soonest first, those late to start labelled), then the most recent past ones."""
    rows = db.session.scalars(select(Incident).where(Incident.kind == "maintenance")
                              .options(selectinload(Incident.affected).selectinload(IncidentComponent.component))
                              .order_by(Incident.scheduled_for.desc()).limit(500)).all()
    now = utcnow()
    states = {m.id: domain.schedule_state(m, now) for m in rows}
    active = [m for m in rows if m.status in ACTIVE_MAINTENANCE_STATUSES]
    scheduled = sorted((m for m in rows if m.status == "scheduled"), key=lambda m: m.scheduled_for)
    overdue = [m for m in scheduled if states[m.id] == domain.OVERDUE]
    upcoming = [m for m in scheduled if states[m.id] != domain.OVERDUE]
    past = [m for m in rows if not m.is_open][:PAST_LIMIT]
    return render_template("admin/maintenance.html", overdue=overdue, active=active, upcoming=upcoming,
                           past=past, tz=Site.get().time_zone, states=states, labels=domain.SCHEDULE_LABEL,
                           now=now)


@bp.route("/maintenance/new", methods=["GET", "POST"])
@require("manage")
def maintenance_new():
    site = Site.get()
    form = MaintenanceForm()
    components = all_components()
    form.component_ids.choices = [(c.id, c.name + (f" · {c.group.name}" if c.group else ""))
                                  for c in components]
    if form.validate_on_submit():
        try:
            window = domain.schedule_maintenance(
                web_actor(), name=form.name.data, body=form.body.data, component_ids=form.component_ids.data,
                scheduled_for=site_local_to_utc(form.scheduled_for.data, site.time_zone),
                scheduled_until=site_local_to_utc(form.scheduled_until.data, site.time_zone),
                auto_in_progress=form.auto_in_progress.data, auto_completed=form.auto_completed.data,
                remind_prior=form.remind_prior.data,
                remind_minutes_before=form.remind_minutes_before.data or 60,
                deliver_notifications=form.notify.data, visibility=form.visibility.data)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(f"Maintenance “{window.name}” scheduled.", "success")
            return redirect(url_for("admin.maintenance_detail", incident_id=window.id))
    failed = request.method == "POST"
    return render_template("admin/maintenance_new.html", form=form, tz=site.time_zone,
                           now=utcnow()), 422 if failed else 200


@bp.get("/maintenance/<incident_id>")
@require("read")
def maintenance_detail(incident_id: str):
    return render_maintenance(incident_or_404(incident_id, kind="maintenance"))


@bp.post("/maintenance/<incident_id>/reschedule")
@require("manage")
def maintenance_reschedule(incident_id: str):
    window = incident_or_404(incident_id, kind="maintenance")
    tz = Site.get().time_zone
    form = RescheduleForm(prefix="reschedule")
    return run(window, form, "reschedule_form", lambda: domain.reschedule_maintenance(
        web_actor(), window.id, scheduled_for=site_local_to_utc(form.scheduled_for.data, tz),
        scheduled_until=site_local_to_utc(form.scheduled_until.data, tz), body=form.body.data,
        expected_revision=expected_revision(form), deliver_notifications=form.notify.data),
        "Maintenance rescheduled.")


@bp.post("/maintenance/<incident_id>/cancel")
@require("manage")
def maintenance_cancel(incident_id: str):
    window = incident_or_404(incident_id, kind="maintenance")
    form = CancelForm(prefix="cancel")
    return run(window, form, "cancel_form", lambda: domain.cancel_maintenance(
        web_actor(), window.id, body=form.body.data, deliver_notifications=form.notify.data),
        "Maintenance cancelled.")


STEP_TEXT = {"in_progress": "The scheduled maintenance is now in progress.",
             "completed": "The scheduled maintenance has been completed."}


def _held(window: Incident, status: str) -> dict | None:
    """Starting puts the window's components under maintenance; completing releases them."""
    return {a.component_id: a.status for a in window.affected} if status == "in_progress" else None


def _step(incident_id: str, status: str, success: str):
    window = incident_or_404(incident_id, kind="maintenance")
    form = MaintenanceStepForm(prefix="step")
    return run(window, form, "step_form", lambda: incident_rules.post_update(
        web_actor(), window.id, status=status, components=_held(window, status), body=STEP_TEXT[status],
        deliver_notifications=form.notify.data,
        expected_revision=expected_revision(form)), success)


@bp.post("/maintenance/<incident_id>/start")
@require("manage")
def maintenance_start(incident_id: str):
    """Start the window now: its components go under maintenance."""
    return _step(incident_id, "in_progress", "Maintenance started.")


@bp.post("/maintenance/<incident_id>/complete")
@require("manage")
def maintenance_complete(incident_id: str):
    """Complete the window now: its components return to operational."""
    return _step(incident_id, "completed", "Maintenance completed.")


@bp.post("/maintenance/<incident_id>/updates")
@require("manage")
def maintenance_update(incident_id: str):
    window = incident_or_404(incident_id, kind="maintenance")
    form = MaintenanceUpdateForm(prefix="mupdate")
    return run(window, form, "mupdate_form", lambda: incident_rules.post_update(
        web_actor(), window.id, status=form.status.data, body=form.body.data,
        components=_held(window, form.status.data) if window.status == "scheduled" else None,
        deliver_notifications=form.notify.data, expected_revision=expected_revision(form)),
        "Update posted.")

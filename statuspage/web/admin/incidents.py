"""Incidents in the console: the list, opening one (blank or from a template), the detail page.

The detail page's actions (updates, notes, resolving, editing, postmortem, deleting) live in
``incident_actions``; both render the detail page through ``render_incident`` (in ``incident_pages``).
"""
from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import case, select
from sqlalchemy.orm import selectinload

from ...domain import incidents as domain
from ...domain.priority import priority_for
from ...domain.recording import DomainError
from ...domain.templates import template_components
from ...extensions import db
from ...models import CLOSED_STATUSES, Incident, IncidentTemplate, Site
from ...models.columns import utcnow
from ...web.access import require, web_actor
from . import bp
from .forms import (
    AFFECT_CHOICES,
    IncidentForm,
    optional_int,
    posted_component_statuses,
    show_domain_error,
)
from .incident_pages import all_components, incident_or_404, render_incident, staff_names

LIST_LIMIT = 100


@bp.get("/incidents")
@require("read")
def incidents():
    """Unresolved incidents first (newest first), then recently closed ones; ``?show=open|resolved``."""
    show = request.args.get("show", "all")
    query = select(Incident).where(Incident.kind == "incident").options(selectinload(Incident.affected))
    closed = Incident.status.in_(CLOSED_STATUSES)
    if show == "open":
        query = query.where(~closed)
    elif show == "resolved":
        query = query.where(closed)
    rows = db.session.scalars(query.order_by(case((closed, 1), else_=0), Incident.started_at.desc())
                              .limit(LIST_LIMIT)).all()
    return render_template("admin/incidents.html", incidents=rows, show=show, now=utcnow(),
                           owners=staff_names(i.owner_id for i in rows), tz=Site.get().time_zone)


def _prefill_from_template(form: IncidentForm) -> dict[str, str]:
    """Fill a blank form from ``?template=<id>``; returns the template's component statuses."""
    template_id = request.args.get("template")
    if not template_id:
        return {}
    template = db.session.get(IncidentTemplate, template_id)
    if template is None:
        flash("That template no longer exists; starting from a blank form.", "error")
        return {}
    form.name.data, form.body.data = template.name, template.body
    if template.status in dict(form.status.choices):
        form.status.data = template.status
    if template.impact in dict(form.impact.choices):
        form.impact.data = template.impact
    return dict(template.components or {})


@bp.route("/incidents/new", methods=["GET", "POST"])
@require("manage")
def incident_new():
    """Open an incident; the Preview button renders the Markdown and saves nothing."""
    form = IncidentForm()
    posted = request.method == "POST"
    chosen = posted_component_statuses(request.form) if posted else _prefill_from_template(form)
    preview = False
    if form.is_submitted() and form.preview.data:
        preview = True
        form.validate()
    elif form.validate_on_submit():
        try:
            incident = domain.open_incident(
                web_actor(), name=form.name.data, status=form.status.data, impact=form.impact.data or None,
                body=form.body.data, components=chosen, deliver_notifications=form.notify.data,
                visibility=form.visibility.data, major=form.major.data,
                itil_impact=optional_int(form.itil_impact.data),
                itil_urgency=optional_int(form.itil_urgency.data))
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(f"Incident “{incident.name}” opened"
                  + (" and subscribers will be notified." if form.notify.data else "; nobody was notified."),
                  "success")
            return redirect(url_for("admin.incident", incident_id=incident.id))
    levels = ("", "1", "2", "3")
    priority = priority_for(optional_int(form.itil_impact.data), optional_int(form.itil_urgency.data)) \
        if form.itil_impact.data in levels and form.itil_urgency.data in levels else None
    failed = request.method == "POST" and not preview and (form.errors or form.form_errors)
    templates = db.session.scalars(select(IncidentTemplate).order_by(IncidentTemplate.title)).all()
    # What static/js/incident_template.js fills the form with when a template is picked (no reload).
    template_data = {t.id: {"name": t.name, "body": t.body, "status": t.status, "impact": t.impact,
                            "components": template_components(t)} for t in templates}
    return render_template("admin/incident_new.html", form=form, components=all_components(), chosen=chosen,
                           preview=preview, priority=priority, templates=templates, template_data=template_data,
                           affect_choices=AFFECT_CHOICES), 422 if failed else 200


@bp.get("/incidents/<incident_id>")
@require("read")
def incident(incident_id: str):
    incident = incident_or_404(incident_id, kind=None)
    if incident.is_maintenance:
        return redirect(url_for("admin.maintenance_detail", incident_id=incident.id))
    return render_incident(incident)

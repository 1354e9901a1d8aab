"""What the manager does on an incident's page: post an update or an internal note, resolve, edit fields,
correct or delete an update, publish the postmortem, delete the incident.

Every action is one form and one domain call. A broken rule re-renders the page with the reason on the
field (422); a stale ``revision`` re-renders it with 409 and the incident's current state, saving nothing.
"""
from flask import abort, flash, redirect, render_template, request, url_for

from ...domain import incidents as domain
from ...domain.recording import DomainError
from ...extensions import db
from ...models import IncidentUpdate
from ...web.access import require, web_actor
from . import bp
from .form_page import form_page
from .forms import (
    ConfirmForm,
    IncidentEditForm,
    NoteForm,
    PostmortemForm,
    ResolveForm,
    UpdateEditForm,
    UpdateForm,
    expected_revision,
    optional_int,
    posted_component_statuses,
    update_changes,
)
from .incident_pages import detail_url, incident_or_404, owner_choices, run


@bp.post("/incidents/<incident_id>/updates")
@require("manage")
def incident_update(incident_id: str):
    incident = incident_or_404(incident_id)
    form = UpdateForm(prefix="update")
    changed = update_changes(request.form, {a.component_id: a.status for a in incident.affected})
    return run(incident, form, "update_form", lambda: domain.post_update(
        web_actor(), incident.id, status=form.status.data, body=form.body.data,
        components=changed, deliver_notifications=form.notify.data,
        expected_revision=expected_revision(form)), "Update posted.")


@bp.post("/incidents/<incident_id>/notes")
@require("manage")
def incident_note(incident_id: str):
    """An internal note: staff only, never public; sent to internal subscribers when asked."""
    incident = incident_or_404(incident_id, kind=None)
    form = NoteForm(prefix="note")
    return run(incident, form, "note_form", lambda: domain.post_update(
        web_actor(), incident.id, body=form.body.data, visibility="internal", deliver_notifications=form.notify.data,
        expected_revision=expected_revision(form)), "Internal note added.")


@bp.post("/incidents/<incident_id>/resolve")
@require("manage")
def incident_resolve(incident_id: str):
    """Resolve; each affected component returns to operational unless the form keeps it in a status."""
    incident = incident_or_404(incident_id)
    form = ResolveForm(prefix="resolve")
    return run(incident, form, "resolve_form", lambda: domain.resolve_incident(
        web_actor(), incident.id, body=form.body.data, components=posted_component_statuses(request.form,
                                                                                            "resolve-"),
        deliver_notifications=form.notify.data, expected_revision=expected_revision(form)),
        "Incident resolved.")


@bp.post("/incidents/<incident_id>/edit")
@require("manage")
def incident_edit(incident_id: str):
    incident = incident_or_404(incident_id, kind=None)
    form = IncidentEditForm(prefix="edit")
    form.owner_id.choices = owner_choices()
    return run(incident, form, "edit_form", lambda: domain.update_incident(
        web_actor(), incident.id, expected_revision=expected_revision(form), name=form.name.data,
        impact=form.impact.data, visibility=form.visibility.data, major=form.major.data,
        itil_impact=optional_int(form.itil_impact.data), itil_urgency=optional_int(form.itil_urgency.data),
        owner_id=optional_int(form.owner_id.data), public_body=form.public_body.data,
        deliver_notifications=form.notify_public.data), "Incident saved.")


@bp.post("/incidents/<incident_id>/postmortem")
@require("manage")
def incident_postmortem(incident_id: str):
    incident = incident_or_404(incident_id)
    form = PostmortemForm(prefix="pm")
    return run(incident, form, "postmortem_form", lambda: domain.publish_postmortem(
        web_actor(), incident.id, body=form.body.data, notify=form.notify.data), "Postmortem published.")


def _update_or_404(update_id: str) -> IncidentUpdate:
    update = db.session.get(IncidentUpdate, update_id)
    if update is None:
        abort(404, "There is no such update.")
    return update


@bp.route("/updates/<update_id>/edit", methods=["GET", "POST"])
@require("manage")
def update_edit(update_id: str):
    """Correct an update's text; no new notification is sent."""
    update = _update_or_404(update_id)
    form = UpdateEditForm(obj=update if request.method == "GET" else None)
    if request.method == "GET":
        form.revision.data = str(update.revision)
    back = detail_url(update.incident)
    return form_page(form, lambda: domain.edit_update(web_actor(), update.id, body=form.body.data,
                                                      expected_revision=expected_revision(form)),
                     template="admin/incident_update_edit.html", update=update, back=back, edited=update,
                     done=back, success="Update corrected (subscribers were not notified again).")


@bp.route("/updates/<update_id>/delete", methods=["GET", "POST"])
@require("manage")
def update_delete(update_id: str):
    update = _update_or_404(update_id)
    incident = update.incident
    form = ConfirmForm()
    error = None
    if form.validate_on_submit():
        try:
            domain.delete_update(web_actor(), update.id)
        except DomainError as exc:
            error = exc.message
        else:
            flash("Update deleted.", "success")
            return redirect(detail_url(incident))
    return render_template("admin/incident_confirm.html", form=form, error=error, back=detail_url(incident),
                           what="this update" if update.is_public else "this internal note",
                           excerpt=update.body, consequence="It disappears from the timeline everywhere."), \
        422 if error else 200


@bp.route("/incidents/<incident_id>/delete", methods=["GET", "POST"])
@require("manage")
def incident_delete(incident_id: str):
    incident = incident_or_404(incident_id, kind=None)
    form = ConfirmForm()
    if form.validate_on_submit():
        back = url_for("admin.maintenance" if incident.is_maintenance else "admin.incidents")
        domain.delete_incident(web_actor(), incident.id)
        flash(f"“{incident.name}” deleted.", "success")
        return redirect(back)
    return render_template("admin/incident_confirm.html", form=form, error=None, back=detail_url(incident),
                           what=f"“{incident.name}”", excerpt=None,
                           consequence="Its whole timeline goes; components it still holds return to "
                                       "operational. Prefer resolving it: history is what customers trust.")

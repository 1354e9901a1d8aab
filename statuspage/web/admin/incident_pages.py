"""What the console's incident and maintenance pages share (no routes of their own): loading an incident or
404, the people and components the forms offer, rendering an incident's or a window's page with its forms, and
``run`` (one form, one domain call, redirect or re-render).

``incidents``, ``incident_actions``, ``maintenance`` and the other areas import these from here, never from one
another, so no console module imports one that imports it back.
"""
from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ...domain import incidents as domain
from ...domain import maintenance as maintenance_rules
from ...domain import sla
from ...domain.recording import Conflict, DomainError
from ...extensions import db
from ...models import Component, ComponentGroup, Incident, Site, User
from ...models.columns import utcnow
from .forms import (
    RESOLVE_CHOICES,
    UPDATE_COMPONENT_CHOICES,
    CancelForm,
    IncidentEditForm,
    MaintenanceStepForm,
    MaintenanceUpdateForm,
    NoteForm,
    PostmortemForm,
    RescheduleForm,
    ResolveForm,
    UpdateForm,
    posted_component_statuses,
    show_domain_error,
    utc_to_site_local,
)


def incident_or_404(incident_id: str, kind: str | None = "incident") -> Incident:
    incident = db.session.get(Incident, incident_id)
    if incident is None or (kind and incident.kind != kind):
        abort(404, "There is no such incident.")
    return incident


def all_components() -> list[Component]:
    """Every component, grouped components in their group's order first."""
    rows = db.session.scalars(select(Component).outerjoin(ComponentGroup)
                              .options(selectinload(Component.group))
                              .order_by(ComponentGroup.position.is_(None), ComponentGroup.position,
                                        Component.position, Component.name)).all()
    return list(rows)


def staff_names(ids) -> dict[int, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return {u.id: u.display_name for u in db.session.scalars(select(User).where(User.id.in_(ids)))}


def owner_choices() -> list[tuple[str, str]]:
    managers = db.session.scalars(select(User).where(User.role.in_(("admin", "manager")),
                                                     User.active.is_(True)).order_by(User.email))
    return [("", "Nobody")] + [(str(u.id), u.display_name) for u in managers]


def render_incident(incident: Incident, status: int = 200, conflict=None, **forms):
    """The detail page with fresh forms, except those passed in (kept with what was typed and errors)."""
    revision = str(incident.revision)
    defaults = {
        "update_form": lambda: UpdateForm(prefix="update", formdata=None, data={
            "status": incident.status if incident.is_open else "monitoring"}),
        "note_form": lambda: NoteForm(prefix="note", formdata=None),
        "resolve_form": lambda: ResolveForm(prefix="resolve", formdata=None),
        "edit_form": lambda: IncidentEditForm(prefix="edit", formdata=None, obj=incident),
        "postmortem_form": lambda: PostmortemForm(prefix="pm", formdata=None,
                                                  data={"body": incident.postmortem_body or ""}),
    }
    passed = {name for name, form in forms.items() if form is not None}
    for name, build in defaults.items():
        if name not in passed:
            forms[name] = build()
    for form in forms.values():
        if hasattr(form, "revision"):
            form.revision.data = revision
    edit_form = forms["edit_form"]
    edit_form.owner_id.choices = owner_choices()
    if "edit_form" not in passed:
        edit_form.owner_id.data = str(incident.owner_id or "")
        edit_form.itil_impact.data = str(incident.itil_impact or "")
        edit_form.itil_urgency.data = str(incident.itil_urgency or "")
    names = staff_names([incident.owner_id, incident.acknowledged_by_id] + [u.author_id for u in incident.updates])
    affected = {a.component_id: a.status for a in incident.affected}
    # This incident's components first (in page order), then the others it could take in.
    components = sorted(all_components(), key=lambda c: c.id not in affected)
    # Resolving lists only this incident's components that resolving would change, and what each returns to.
    releases = [(a.component, target) for a in incident.affected
                if (target := domain.release_target(incident, a)) != a.component.status] if incident.is_open else []
    posted = request.method == "POST"
    return render_template(
        "admin/incident_detail.html", incident=incident, components=components, affected=affected,
        releases=releases,
        component_names={c.id: c.name for c in components}, names=names, tz=Site.get().time_zone,
        update_chosen=posted_component_statuses(request.form, "update-") if posted else affected,
        resolve_chosen=posted_component_statuses(request.form, "resolve-") if posted else {},
        update_choices=UPDATE_COMPONENT_CHOICES, resolve_choices=RESOLVE_CHOICES, conflict=conflict,
        timers=sla.timers_for(incident, utcnow()), **forms), status


def render_maintenance(window: Incident, status: int = 200, conflict=None, **forms):
    """The window's page with fresh forms, except those passed in (kept with what was typed and errors)."""
    tz = Site.get().time_zone
    defaults = {
        "reschedule_form": lambda: RescheduleForm(prefix="reschedule", formdata=None, data={
            "scheduled_for": utc_to_site_local(window.scheduled_for, tz),
            "scheduled_until": utc_to_site_local(window.scheduled_until, tz)}),
        "cancel_form": lambda: CancelForm(prefix="cancel", formdata=None),
        "step_form": lambda: MaintenanceStepForm(prefix="step", formdata=None),
        "mupdate_form": lambda: MaintenanceUpdateForm(prefix="mupdate", formdata=None,
                                                      data={"status": window.status}),
        "note_form": lambda: NoteForm(prefix="note", formdata=None),
    }
    for name, build in defaults.items():
        if forms.get(name) is None:
            forms[name] = build()
    for form in forms.values():
        if hasattr(form, "revision"):
            form.revision.data = str(window.revision)
    names = staff_names(u.author_id for u in window.updates)
    return render_template("admin/maintenance_detail.html", incident=window, tz=tz, names=names,
                           schedule_state=maintenance_rules.schedule_state(window, utcnow()),
                           labels=maintenance_rules.SCHEDULE_LABEL,
                           conflict=conflict, component_names={c.id: c.name for c in window.components},
                           now=utcnow(), local_times=False, **forms), status


def detail_url(incident: Incident) -> str:
    endpoint = "admin.maintenance_detail" if incident.is_maintenance else "admin.incident"
    return url_for(endpoint, incident_id=incident.id)


def rerender(incident: Incident, status: int, **kwargs):
    """The incident's (or maintenance's) page again, read fresh from the database."""
    db.session.expire_all()
    fresh = db.session.get(Incident, incident.id)
    if fresh is None:
        abort(404, "This incident was deleted meanwhile.")
    if fresh.is_maintenance:
        return render_maintenance(fresh, status, **kwargs)
    return render_incident(fresh, status, **kwargs)


def run(incident: Incident, form, form_name: str, action, success: str):
    """Validate ``form``, run ``action()`` (one domain call), then redirect with ``success`` or re-render."""
    if form.validate_on_submit():
        try:
            action()
        except Conflict as error:
            return rerender(incident, 409, conflict=error, **{form_name: form})
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(success, "success")
            return redirect(detail_url(incident))
    return rerender(incident, 422, **{form_name: form})

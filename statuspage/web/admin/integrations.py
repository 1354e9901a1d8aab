"""Monitoring integrations in the console: what Alertmanager and Grafana sent lately (the alerts that matched
no component stand out), copy-paste set-up for both, and (admins) how alerts map to components.

Everyone signed in reads the page; saving the mapping is for admins, through ``domain.alert_settings``."""
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.validators import Length

from ...domain.alert_settings import ALERT_STATUSES, format_matchers, format_severities, save_settings, settings
from ...domain.recording import DomainError
from ...domain.status import COMPONENT_STATUS_LABEL
from ...domain.templates import list_templates
from ...extensions import db
from ...models import Component, ReceivedAlert, Site
from ..access import require, web_actor
from . import bp
from .forms import show_domain_error

RECENT = 50
STATUS_CHOICES = [(s, COMPONENT_STATUS_LABEL.get(s, "Change nothing (record only)")) for s in ALERT_STATUSES]


class MappingForm(FlaskForm):
    severities = TextAreaField("Severity to status", validators=[Length(max=4000)], render_kw={"rows": 5})
    other_status = SelectField("Any other severity, or none", choices=STATUS_CHOICES)
    incident_template_id = SelectField("Open an incident for critical alerts", validate_choice=False)


def _form(current) -> MappingForm:
    form = MappingForm()
    form.incident_template_id.choices = [("", "No, only set component statuses")] + [
        (t.id, f"Yes, from the template “{t.title}”") for t in list_templates()]
    if not form.is_submitted():
        form.severities.data = format_severities(current.severities or {})
        form.other_status.data = current.other_status
        form.incident_template_id.data = current.incident_template_id or ""
    return form


def _endpoints() -> dict:
    base = (current_app.config.get("PUBLIC_URL") or request.host_url).rstrip("/")
    page_id = Site.get().page_id
    return {source: f"{base}/v1/pages/{page_id}/integrations/{source}" for source in ("alertmanager", "grafana")}


@bp.route("/integrations", methods=["GET", "POST"])
@require("read")
def integrations():
    current = settings()
    components = list(db.session.scalars(db.select(Component).order_by(Component.position, Component.id)))
    form = _form(current)
    matchers = {c.id: format_matchers((current.matchers or {}).get(c.id, {})) for c in components}
    errors = {}
    if form.is_submitted():
        if not current_user.can("admin"):
            abort(403, "Only an admin may change how alerts map to components.")
        matchers = {c.id: request.form.get(f"matcher-{c.id}", "")[:1000] for c in components}
        if form.validate():
            try:
                save_settings(web_actor(), severities=form.severities.data or "",
                              other_status=form.other_status.data,
                              incident_template_id=form.incident_template_id.data or None, matchers=matchers)
            except DomainError as error:
                if (error.field or "").startswith("matcher-"):
                    errors[error.field] = error.message
                else:
                    show_domain_error(form, error)
            else:
                flash("Alert mapping saved. The next alerts received use it.", "success")
                return redirect(url_for("admin.integrations"))
    show = request.args.get("show") if request.args.get("show") == "unmatched" else "all"
    query = db.select(ReceivedAlert).order_by(ReceivedAlert.last_seen_at.desc(), ReceivedAlert.id.desc())
    if show == "unmatched":
        query = query.where(ReceivedAlert.component_id.is_(None))
    alerts = db.session.scalars(query.limit(RECENT)).all()
    unmatched = db.session.scalar(db.select(db.func.count()).select_from(ReceivedAlert)
                                  .where(ReceivedAlert.component_id.is_(None)))
    status = 422 if form.is_submitted() else 200
    return render_template("admin/integrations.html", form=form, alerts=alerts, show=show, unmatched=unmatched,
                           components=components, names={c.id: c.name for c in components}, matchers=matchers,
                           matcher_errors=errors, endpoints=_endpoints()), status

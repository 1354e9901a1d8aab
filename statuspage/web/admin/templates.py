"""Incident templates (managers and admins): list, create, edit, delete.

Each affected component is one select posted as ``component-<id>`` (empty = not affected), so the form works
without JavaScript. Rules live in ``domain.templates``; a DomainError lands on the field it names."""
from flask import flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from ...domain import templates as incident_templates
from ...domain.recording import DomainError
from ...domain.status import COMPONENT_STATUS_LABEL, IMPACT_LABEL, INCIDENT_STATUS_LABEL
from ...extensions import db
from ...models import COMPONENT_STATUSES, IMPACTS, OPEN_INCIDENT_STATUSES, Component, ComponentGroup
from ..access import require, web_actor
from . import bp

AFFECT_CHOICES = [("", "Not affected")] + [(s, COMPONENT_STATUS_LABEL[s]) for s in COMPONENT_STATUSES
                                           if s != "operational"]


class TemplateForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired("Give the template a title."), Length(max=120)],
                        render_kw={"placeholder": "e.g. Database failover"})
    name = StringField("Incident name",
                       validators=[DataRequired("Give the incident a name."), Length(max=200)])
    status = SelectField("Status", choices=[(s, INCIDENT_STATUS_LABEL[s]) for s in OPEN_INCIDENT_STATUSES])
    impact = SelectField("Impact", choices=[(i, IMPACT_LABEL[i]) for i in IMPACTS], default="minor")
    body = TextAreaField("Message", validators=[Length(max=20000)], render_kw={"rows": 6})


def _components() -> list[Component]:
    return list(db.session.scalars(
        db.select(Component).outerjoin(ComponentGroup)
        .order_by(db.func.coalesce(ComponentGroup.position, -1), Component.position, Component.name)))


def posted_components() -> dict[str, str]:
    return {key.removeprefix("component-"): value for key, value in request.form.items()
            if key.startswith("component-") and value}


def _render_form(form: TemplateForm, chosen: dict, template=None, status: int = 200, component_error=None):
    return render_template("admin/template_form.html", form=form, template=template, chosen=chosen,
                           components=_components(), choices=AFFECT_CHOICES,
                           component_error=component_error), status


def _save(form: TemplateForm, template=None):
    """Validate and save; returns a redirect on success or the form page with its errors."""
    chosen = posted_components()
    if form.validate_on_submit():
        fields = {"title": form.title.data, "name": form.name.data, "status": form.status.data,
                  "impact": form.impact.data, "body": form.body.data, "components": chosen}
        try:
            if template is None:
                saved = incident_templates.create_template(web_actor(), **fields)
            else:
                saved = incident_templates.update_template(web_actor(), template.id, **fields)
        except DomainError as error:
            if error.field == "components" or error.field not in form:
                return _render_form(form, chosen, template, 422, component_error=error.message)
            form[error.field].errors = [*form[error.field].errors, error.message]
        else:
            flash(f"Template “{saved.title}” saved.", "success")
            return redirect(url_for("admin.templates"))
    return _render_form(form, chosen, template, 422)


@bp.route("/templates")
@require("manage")
def templates():
    return render_template("admin/templates.html", templates=incident_templates.list_templates(),
                           component_names={c.id: c.name for c in _components()})


@bp.route("/templates/new", methods=["GET", "POST"])
@require("manage")
def template_new():
    form = TemplateForm()
    if request.method == "POST":
        return _save(form)
    return _render_form(form, {})


@bp.route("/templates/<template_id>", methods=["GET", "POST"])
@require("manage")
def template_edit(template_id: str):
    template = incident_templates.get_template(template_id)
    form = TemplateForm(obj=template)
    if request.method == "POST":
        return _save(form, template)
    return _render_form(form, incident_templates.template_components(template), template)


@bp.route("/templates/<template_id>/delete", methods=["POST"])
@require("manage")
def template_delete(template_id: str):
    template = incident_templates.get_template(template_id)
    title = template.title
    incident_templates.delete_template(web_actor(), template.id)
    flash(f"Template “{title}” deleted.", "success")
    return redirect(url_for("admin.templates"))

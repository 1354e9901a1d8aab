"""One-click command actions on an incident, from its page and from the dashboard: acknowledge, take
command, assign an owner, mark mitigated, and a manager's correction of those times.

Each action is one small form (its CSRF token is the confirmation) and one call into ``domain.command``; the
answer is a redirect back to where the button was, with the outcome (or the broken rule) as a flash message.
"""
from flask import flash, redirect, url_for
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, HiddenField, SelectField
from wtforms.validators import Optional

from ...domain import command
from ...domain.recording import DomainError
from ...models import Site
from ..access import require, web_actor
from . import bp
from .forms import LOCAL_FORMATS, optional_int, site_local_to_utc, utc_to_site_local
from .incident_pages import incident_or_404, owner_choices

BACK_TO = {"dashboard": "admin.dashboard"}


class CommandForm(FlaskForm):
    """A button; ``back`` says where to return (the dashboard, else the incident's page)."""

    back = HiddenField()


class AssignForm(CommandForm):
    owner_id = SelectField("Owner", choices=[])


class TimesForm(CommandForm):
    acknowledged_at = DateTimeLocalField("Acknowledged", format=LOCAL_FORMATS, validators=[Optional()])
    mitigated_at = DateTimeLocalField("Mitigated", format=LOCAL_FORMATS, validators=[Optional()])


@bp.app_template_filter("local_input")
def local_input(value, tz_name: str) -> str:
    """An aware time as a datetime-local input's value in the site's zone ('' for none)."""
    local = utc_to_site_local(value, tz_name)
    return local.strftime("%Y-%m-%dT%H:%M") if local else ""


def _act(incident_id: str, form: CommandForm, action, success: str):
    incident = incident_or_404(incident_id)
    if not form.validate_on_submit():
        errors = [e for errs in form.errors.values() for e in errs] or ["The form expired; try again."]
        flash(" ".join(str(e) for e in errors), "error")
    else:
        try:
            action(incident)
        except DomainError as error:
            flash(error.message[:1].upper() + error.message[1:] + ".", "error")
        else:
            flash(success, "success")
    endpoint = BACK_TO.get(form.back.data or "")
    return redirect(url_for(endpoint) if endpoint else url_for("admin.incident", incident_id=incident.id), 303)


@bp.post("/incidents/<incident_id>/acknowledge")
@require("manage")
def incident_acknowledge(incident_id: str):
    return _act(incident_id, CommandForm(), lambda i: command.acknowledge(web_actor(), i.id),
                "Acknowledged: the clock to acknowledge has stopped.")


@bp.post("/incidents/<incident_id>/take-command")
@require("manage")
def incident_take_command(incident_id: str):
    return _act(incident_id, CommandForm(), lambda i: command.take_command(web_actor(), i.id),
                "You are in command of this incident.")


@bp.post("/incidents/<incident_id>/assign")
@require("manage")
def incident_assign(incident_id: str):
    form = AssignForm()
    form.owner_id.choices = owner_choices()
    return _act(incident_id, form, lambda i: command.assign_owner(web_actor(), i.id,
                                                                  optional_int(form.owner_id.data or None)),
                "Owner saved.")


@bp.post("/incidents/<incident_id>/mitigated")
@require("manage")
def incident_mitigated(incident_id: str):
    return _act(incident_id, CommandForm(), lambda i: command.mark_mitigated(web_actor(), i.id),
                "Marked mitigated: users are no longer hurt, the cause may still need fixing.")


@bp.post("/incidents/<incident_id>/times")
@require("manage")
def incident_times(incident_id: str):
    """Correct when the incident was acknowledged or mitigated (blank clears); audited."""
    form = TimesForm()
    tz = Site.get().time_zone
    return _act(incident_id, form, lambda i: command.correct_times(
        web_actor(), i.id, acknowledged_at=site_local_to_utc(form.acknowledged_at.data, tz),
        mitigated_at=site_local_to_utc(form.mitigated_at.data, tz)), "Times corrected.")

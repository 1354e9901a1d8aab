"""The console's forms for components, incidents and maintenance (Flask-WTF, CSRF on every one).

Forms check the shape of the input (required, choices, lengths); the rules live in the domain, whose
``DomainError`` lands on the field it names through ``show_domain_error``. Affected components are posted as
one select per component named ``<prefix>component-<id>`` and read with ``posted_component_statuses``.
"""
from datetime import UTC, datetime

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ...domain.status import COMPONENT_STATUS_LABEL, IMPACT_LABEL, INCIDENT_STATUS_LABEL
from ...models import COMPONENT_STATUSES, IMPACTS, INCIDENT_STATUSES, MAINTENANCE_STATUSES
from ...rendering import zone

VISIBILITY_CHOICES = [("public", "Public (customers see it)"), ("internal", "Internal (staff only)")]
STATUS_CHOICES = [(s, COMPONENT_STATUS_LABEL[s]) for s in COMPONENT_STATUSES]
AFFECT_CHOICES = [("", "Not affected")] + [(s, COMPONENT_STATUS_LABEL[s]) for s in COMPONENT_STATUSES
                                           if s != "operational"]
# Operational and "not affected" are one choice: picking it for a component of this incident means it has
# recovered; for any other component it changes nothing (it does not join the incident).
UPDATE_COMPONENT_CHOICES = [("", "Operational (not affected)")] + AFFECT_CHOICES[1:]
RESOLVE_CHOICES = [("", "Return to operational")] + [(s, "Keep " + COMPONENT_STATUS_LABEL[s].lower())
                                                     for s in COMPONENT_STATUSES if s != "operational"]
OPEN_STATUS_CHOICES = [(s, INCIDENT_STATUS_LABEL[s]) for s in INCIDENT_STATUSES if s != "postmortem"]
UPDATE_STATUS_CHOICES = [(s, INCIDENT_STATUS_LABEL[s]) for s in INCIDENT_STATUSES if s != "postmortem"]
MAINTENANCE_STATUS_CHOICES = [(s, INCIDENT_STATUS_LABEL[s]) for s in MAINTENANCE_STATUSES]
IMPACT_CHOICES = [(i, IMPACT_LABEL[i]) for i in IMPACTS]
LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]  # what datetime-local inputs send
ITIL_CHOICES = [("", "Not set"), ("1", "1 · High"), ("2", "2 · Medium"), ("3", "3 · Low")]


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes; a posted value that is not a choice is a field error."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def show_domain_error(form: FlaskForm, error) -> None:
    """Put a DomainError's message on the field it names, or at the top of the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None and hasattr(field, "errors") and not isinstance(field, SubmitField):
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


def posted_component_statuses(formdata, prefix: str = "", keep_empty: bool = False) -> dict[str, str]:
    """{component id: status} from selects named ``<prefix>component-<id>``; empty means not affected (left
    out unless ``keep_empty``).

    Ids and statuses are passed on unchecked: the domain rejects unknown ones with a reason.
    """
    key = f"{prefix}component-"
    return {name[len(key):]: value for name, value in formdata.items()
            if name.startswith(key) and (value or keep_empty)}


def update_changes(formdata, current: dict[str, str]) -> dict[str, str]:
    """The component changes an update form asks for, given this incident's ``current`` {id: status}: only real
    changes. "Operational (not affected)" (empty) recovers a component of the incident and leaves any other
    component out of it."""
    changes = {}
    for cid, value in posted_component_statuses(formdata, "update-", keep_empty=True).items():
        status = value or "operational"
        if current.get(cid, "operational") != status:
            changes[cid] = status
    return changes


def expected_revision(form) -> int | None:
    """The revision the form was rendered with; a tampered value counts as stale (-1 never matches)."""
    value = (form.revision.data or "").strip()
    if not value:
        return None
    return int(value) if value.isdigit() else -1


def optional_int(value: str | None) -> int | None:
    return int(value) if value not in (None, "") else None


def site_local_to_utc(value: datetime | None, tz_name: str) -> datetime | None:
    """A naive datetime typed in the site's zone, as aware UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=zone(tz_name)).astimezone(UTC)


def utc_to_site_local(value: datetime | None, tz_name: str) -> datetime | None:
    """An aware datetime as the naive wall-clock time a datetime-local input shows in the site's zone."""
    if value is None:
        return None
    return value.astimezone(zone(tz_name)).replace(tzinfo=None)


# --- components -------------------------------------------------------------------------------------------
class ComponentForm(FlaskForm):
    revision = HiddenField()
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=2000)])
    group_id = SelectField("Group", choices=[("", "No group")], default="")
    status = SelectField("Status", choices=STATUS_CHOICES, default="operational")
    visibility = SelectField("Visibility", choices=VISIBILITY_CHOICES, default="public")
    showcase = BooleanField("Show on the public page with its uptime bar", default=True)
    only_show_if_degraded = BooleanField("Only show it while it is not operational")
    start_date = DateField("In service since", validators=[Optional()])
    submit = SubmitField("Save component")


class GroupForm(FlaskForm):
    revision = HiddenField()
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=2000)])
    visibility = SelectField("Visibility", choices=VISIBILITY_CHOICES, default="public")
    collapsed = BooleanField("Collapsed on the public page")
    component_ids = MultiCheckboxField("Components in this group", choices=[])
    # Off by default: making a group public (or deleting it) never makes its internal components public.
    publish_components = BooleanField("Also make its internal components public")
    submit = SubmitField("Save group")


class ComponentStatusForm(FlaskForm):
    status = SelectField("Status", choices=STATUS_CHOICES)


class MoveForm(FlaskForm):
    direction = SelectField("Direction", choices=[("up", "Up"), ("down", "Down")])


class ConfirmForm(FlaskForm):
    """An empty form: its CSRF token is the confirmation."""

    submit = SubmitField("Yes, delete")


class GroupDeleteForm(ConfirmForm):
    publish_components = BooleanField("Make them public instead")


# --- incidents --------------------------------------------------------------------------------------------
class IncidentForm(FlaskForm):
    name = StringField("Incident name", validators=[DataRequired(), Length(max=200)])
    status = SelectField("Status", choices=OPEN_STATUS_CHOICES, default="investigating")
    impact = SelectField("Public impact", choices=[("", "Derive from the components")] + IMPACT_CHOICES,
                         default="")
    itil_impact = SelectField("ITIL impact", choices=ITIL_CHOICES, default="")
    itil_urgency = SelectField("ITIL urgency", choices=ITIL_CHOICES, default="")
    major = BooleanField("Major incident")
    visibility = SelectField("Visibility", choices=VISIBILITY_CHOICES, default="public")
    body = TextAreaField("First update (Markdown)", validators=[DataRequired(), Length(max=20000)])
    notify = BooleanField("Notify subscribers", default=True)
    preview = SubmitField("Preview")
    submit = SubmitField("Open incident")


class UpdateForm(FlaskForm):
    revision = HiddenField()
    status = SelectField("Status", choices=UPDATE_STATUS_CHOICES)
    body = TextAreaField("Update (Markdown)", validators=[Length(max=20000)])
    notify = BooleanField("Notify subscribers", default=True)
    submit = SubmitField("Post update")


class NoteForm(FlaskForm):
    revision = HiddenField()
    body = TextAreaField("Internal note (Markdown, staff only)",
                         validators=[DataRequired(), Length(max=20000)])
    notify = BooleanField("Send to internal subscribers (their component and impact filters apply)")
    submit = SubmitField("Add internal note")


class ResolveForm(FlaskForm):
    revision = HiddenField()
    body = TextAreaField("Resolution message (Markdown)", validators=[Length(max=20000)])
    notify = BooleanField("Notify subscribers", default=True)
    submit = SubmitField("Resolve incident")


class IncidentEditForm(FlaskForm):
    revision = HiddenField()
    name = StringField("Incident name", validators=[DataRequired(), Length(max=200)])
    impact = SelectField("Public impact", choices=IMPACT_CHOICES)
    itil_impact = SelectField("ITIL impact", choices=ITIL_CHOICES, default="")
    itil_urgency = SelectField("ITIL urgency", choices=ITIL_CHOICES, default="")
    major = BooleanField("Major incident")
    owner_id = SelectField("Owner", choices=[("", "Nobody")], default="")
    visibility = SelectField("Visibility", choices=VISIBILITY_CHOICES)
    # Asked only when an internal incident is made public: its staff-only updates stay internal.
    public_body = TextAreaField("First public update (Markdown)", validators=[Optional(), Length(max=20000)])
    notify_public = BooleanField("Notify public subscribers", default=True)
    submit = SubmitField("Save incident")


class UpdateEditForm(FlaskForm):
    revision = HiddenField()
    body = TextAreaField("Text (Markdown)", validators=[DataRequired(), Length(max=20000)])
    submit = SubmitField("Save text")


class PostmortemForm(FlaskForm):
    body = TextAreaField("Postmortem (Markdown)", validators=[DataRequired(), Length(max=20000)])
    notify = BooleanField("Notify subscribers", default=True)
    submit = SubmitField("Publish postmortem")


# --- maintenance ------------------------------------------------------------------------------------------
class MaintenanceForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    scheduled_for = DateTimeLocalField("Starts", format=LOCAL_FORMATS, validators=[InputRequired()])
    scheduled_until = DateTimeLocalField("Ends", format=LOCAL_FORMATS, validators=[InputRequired()])
    component_ids = MultiCheckboxField("Components under maintenance", choices=[])
    body = TextAreaField("Announcement (Markdown)", validators=[Length(max=20000)])
    auto_in_progress = BooleanField("Start it automatically at the start time", default=True)
    auto_completed = BooleanField("Complete it automatically at the end time", default=True)
    remind_prior = BooleanField("Remind subscribers before it starts", default=True)
    remind_minutes_before = IntegerField("Minutes before", default=60,
                                         validators=[Optional(), NumberRange(min=1, max=7 * 24 * 60)])
    visibility = SelectField("Visibility", choices=VISIBILITY_CHOICES, default="public")
    notify = BooleanField("Notify subscribers now", default=True)
    submit = SubmitField("Schedule maintenance")


class RescheduleForm(FlaskForm):
    revision = HiddenField()
    scheduled_for = DateTimeLocalField("Starts", format=LOCAL_FORMATS, validators=[InputRequired()])
    scheduled_until = DateTimeLocalField("Ends", format=LOCAL_FORMATS, validators=[InputRequired()])
    body = TextAreaField("Message (Markdown)", validators=[Length(max=20000)])
    notify = BooleanField("Notify subscribers", default=True)
    submit = SubmitField("Reschedule")


class MaintenanceUpdateForm(FlaskForm):
    revision = HiddenField()
    status = SelectField("Status", choices=MAINTENANCE_STATUS_CHOICES)
    body = TextAreaField("Update (Markdown)", validators=[Length(max=20000)])
    notify = BooleanField("Notify subscribers", default=True)
    submit = SubmitField("Post update")


class CancelForm(FlaskForm):
    body = TextAreaField("Message (Markdown)", validators=[Length(max=20000)])
    notify = BooleanField("Notify subscribers", default=True)
    submit = SubmitField("Cancel maintenance")


class MaintenanceStepForm(FlaskForm):
    """Start now / complete now: one button, the revision it was pressed against, notify or not."""

    revision = HiddenField()
    notify = BooleanField("Notify subscribers", default=True)

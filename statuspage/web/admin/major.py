"""Major incidents in the console: the executive summary form, and the cadence countdowns every staff page
shows (``major_cadence``, a template global: the console incident page, the dashboard and /internal)."""
from datetime import datetime

from flask_wtf import FlaskForm
from wtforms import SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from ...domain import leadership
from ...models import Incident
from ...models.columns import utcnow
from ...web.access import require, web_actor
from . import bp
from .incident_actions import run
from .incidents import incident_or_404


class SummaryForm(FlaskForm):
    current_status = TextAreaField("Current status", validators=[DataRequired(), Length(max=6000)])
    overview = TextAreaField("Overview (what happened, who is affected)", validators=[Length(max=6000)])
    next_steps = TextAreaField("Next steps (and when leaders hear next)", validators=[Length(max=6000)])
    submit = SubmitField("Send executive summary to leaders")


@bp.post("/incidents/<incident_id>/summaries")
@require("manage")
def incident_summary(incident_id: str):
    """An executive summary: kept on the internal timeline, sent to the leadership audience."""
    incident = incident_or_404(incident_id)
    form = SummaryForm(prefix="summary")
    return run(incident, form, "summary_form", lambda: leadership.post_summary(
        web_actor(), incident.id, current_status=form.current_status.data, overview=form.overview.data,
        next_steps=form.next_steps.data), "Executive summary sent to leaders.")


def _due(at: datetime | None, now: datetime) -> dict | None:
    if at is None:
        return None
    return {"at": at, "overdue": at <= now, "delta": abs(at - now)}


@bp.app_template_global()
def major_cadence(incident: Incident) -> dict:
    """What a staff page shows of an incident's cadence: whether it is major, when the next public update and
    the next executive summary are due (each None without a cadence), and a fresh summary form."""
    now = utcnow()
    return {"major": leadership.is_major(incident), "next_update": _due(leadership.next_update_due(incident), now),
            "next_summary": _due(leadership.next_summary_due(incident), now),
            "form": lambda: SummaryForm(prefix="summary", formdata=None)}

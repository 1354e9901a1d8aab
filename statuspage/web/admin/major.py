"""Major incidents in the console: the executive summary form, the cadence countdowns every staff page shows
(``major_cadence``, a template global: the console incident page, the dashboard and /internal), and the choice
of leadership notices on an internal subscriber's page (a manager for anyone, a leader for themselves)."""
from datetime import datetime

from flask import Response, abort, flash, redirect, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from ...domain import leadership, subscriptions
from ...domain.recording import DomainError
from ...extensions import db
from ...models import Incident, Subscriber
from ...models.columns import utcnow
from ...web.access import require, web_actor
from . import bp
from .incident_pages import incident_or_404, run


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


LEADERSHIP_CHOICES = (("", "Not a leader: ordinary internal notices"),
                      ("major", "Immediate notices of P1/P2 and major incidents only"),
                      ("all", "Immediate notices of every incident"),
                      ("digest", "A daily digest email instead of immediate notices"))


def _set_leadership(subscriber: Subscriber | None) -> Response:
    if subscriber is None:
        abort(404, "You have no internal email subscription; subscribe first.")
    back = redirect(url_for("admin.subscriber_detail", public_id=subscriber.public_id))
    if not FlaskForm().validate_on_submit():
        flash("The form expired; try again.", "error")
        return back
    try:
        leadership.set_leader_preference(web_actor(), subscriber, request.form.get("leadership", ""))
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash("Leadership notices saved.", "success")
    return back


@bp.post("/subscribers/<public_id>/leadership")
@require("manage")
def subscriber_leadership(public_id: str):
    """A manager puts an internal subscriber in the leadership audience, or takes it out."""
    return _set_leadership(subscriptions.get_subscriber(public_id))


@bp.post("/subscribers/me/leadership")
@require("read")
def my_leadership():
    """A leader (any signed-in user) chooses what their own internal email subscription is told."""
    return _set_leadership(own_subscription())


def own_subscription() -> Subscriber | None:
    return db.session.scalar(select(Subscriber).where(
        Subscriber.channel == "email", Subscriber.audience == "internal",
        func.lower(Subscriber.target) == current_user.email.lower()))


@bp.app_template_global()
def leadership_choices() -> tuple:
    return LEADERSHIP_CHOICES

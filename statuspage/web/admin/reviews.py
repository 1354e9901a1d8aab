"""The post-incident review of an incident, at /admin/incidents/<id>/review: its sections (with a Preview
button that renders the whole document and saves nothing), its state, its action items.

Every role reads it; managers and admins change it. Each POST is one form and one call into ``domain.reviews``.
"""
from flask import flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ...domain import reviews
from ...domain.recording import DomainError
from ...domain.review_gate import is_major
from ...domain.review_impact import impact_of
from ...extensions import db
from ...models import REVIEW_SECTIONS, ActionItem, IncidentReview, Site
from ...models.columns import utcnow
from ..access import require, web_actor
from . import bp
from .forms import optional_int, show_domain_error
from .incident_pages import incident_or_404, owner_choices, staff_names

HINTS = {"summary": "What happened, for a reader who was not there.",
         "timeline": "Seeded from the record; correct it and add what the record does not know.",
         "contributing_factors": "What made it possible or worse.",
         "root_cause": "The cause which, removed, stops it happening again.",
         "went_well": "", "went_badly": ""}


class ReviewForm(FlaskForm):
    summary = TextAreaField("Summary", validators=[Length(max=20000)])
    timeline = TextAreaField("Timeline", validators=[Length(max=20000)])
    contributing_factors = TextAreaField("Contributing factors", validators=[Length(max=20000)])
    root_cause = TextAreaField("Root cause", validators=[Length(max=20000)])
    went_well = TextAreaField("What went well", validators=[Length(max=20000)])
    went_badly = TextAreaField("What went badly", validators=[Length(max=20000)])
    preview = SubmitField("Preview")
    submit = SubmitField("Save review")


class ReviewStateForm(FlaskForm):
    state = SelectField("Move to", choices=[(s, reviews.STATE_LABEL[s]) for s in reviews.STATE_LABEL])
    notify = BooleanField("Notify subscribers when publishing", default=False)


class ActionItemForm(FlaskForm):
    title = StringField("Action", validators=[DataRequired(), Length(max=200)])
    owner_id = SelectField("Owner", choices=[])
    due_date = DateField("Due", validators=[Optional()])
    link = StringField("Link (ticket)", validators=[Optional(), Length(max=500)])
    submit = SubmitField("Add action item")


class ItemDoneForm(FlaskForm):
    done = BooleanField("Done")


def _render(incident, review: IncidentReview | None, status: int = 200, form=None, item_form=None,
            preview: str | None = None):
    if form is None:
        form = ReviewForm(formdata=None, obj=review) if review else ReviewForm(formdata=None)
    if item_form is None:
        item_form = ActionItemForm(formdata=None)
    item_form.owner_id.choices = owner_choices()
    items = db.session.scalars(db.select(ActionItem).where(ActionItem.incident_id == incident.id)
                               .order_by(ActionItem.done_at.isnot(None), ActionItem.due_date, ActionItem.id)).all()
    state_form = ReviewStateForm(formdata=None)
    moves = reviews.MOVES.get(review.state, ()) if review else ()
    state_form.state.choices = [(s, reviews.STATE_LABEL[s] + (" again" if review and s == review.state else ""))
                                for s in moves]
    return render_template(
        "admin/review.html", incident=incident, review=review, form=form, item_form=item_form,
        state_form=state_form, items=items, impact=impact_of(incident), preview=preview,
        names=staff_names([i.owner_id for i in items] + [review.author_id if review else None]),
        today=utcnow().date(), tz=Site.get().time_zone, major=is_major(incident), hints=HINTS,
        state_label=reviews.STATE_LABEL, sections=REVIEW_SECTIONS, done_form=ItemDoneForm(formdata=None)), status


@bp.get("/incidents/<incident_id>/review")
@require("read")
def incident_review(incident_id: str):
    incident = incident_or_404(incident_id)
    return _render(incident, reviews.review_of(incident.id))


@bp.post("/incidents/<incident_id>/review/start")
@require("manage")
def incident_review_start(incident_id: str):
    incident = incident_or_404(incident_id)
    if not FlaskForm().validate_on_submit():
        flash("The form expired; try again.", "error")
    else:
        reviews.start_review(web_actor(), incident.id)
        flash("Review started as a draft; its timeline is seeded from the record.", "success")
    return redirect(url_for("admin.incident_review", incident_id=incident.id), 303)


@bp.post("/incidents/<incident_id>/review")
@require("manage")
def incident_review_save(incident_id: str):
    incident = incident_or_404(incident_id)
    review = reviews.review_of(incident.id)
    if review is None:
        flash("Start the review first.", "error")
        return redirect(url_for("admin.incident_review", incident_id=incident.id), 303)
    form = ReviewForm()
    if not form.validate_on_submit():
        return _render(incident, review, 422, form=form)
    texts = {name: getattr(form, name).data or "" for name in REVIEW_SECTIONS}
    if form.preview.data:
        draft = IncidentReview(incident_id=incident.id, **texts)
        return _render(incident, review, form=form, preview=reviews.compose(draft, incident))
    try:
        reviews.save_review(web_actor(), incident.id, **texts)
    except DomainError as error:
        show_domain_error(form, error)
        return _render(incident, review, 422, form=form)
    flash("Review saved.", "success")
    return redirect(url_for("admin.incident_review", incident_id=incident.id), 303)


@bp.post("/incidents/<incident_id>/review/state")
@require("manage")
def incident_review_state(incident_id: str):
    incident = incident_or_404(incident_id)
    form = ReviewStateForm()
    form.state.choices = [(s, s) for s in reviews.STATE_LABEL]
    if not form.validate_on_submit():
        flash("Choose a state.", "error")
    else:
        try:
            reviews.move_review(web_actor(), incident.id, form.state.data, notify=form.notify.data)
        except DomainError as error:
            flash(error.message[:1].upper() + error.message[1:] + ".", "error")
        else:
            flash(f"Review {reviews.STATE_LABEL[form.state.data].lower()}"
                  + (": the public incident page shows it." if form.state.data == "published" else "."), "success")
    return redirect(url_for("admin.incident_review", incident_id=incident.id), 303)


@bp.post("/incidents/<incident_id>/review/action-items")
@require("manage")
def incident_action_item_add(incident_id: str):
    incident = incident_or_404(incident_id)
    form = ActionItemForm()
    form.owner_id.choices = owner_choices()
    if form.validate_on_submit():
        try:
            reviews.add_action_item(web_actor(), incident.id, form.title.data,
                                    owner_id=optional_int(form.owner_id.data or None),
                                    due_date=form.due_date.data, link=form.link.data)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash("Action item added.", "success")
            return redirect(url_for("admin.incident_review", incident_id=incident.id), 303)
    return _render(incident, reviews.review_of(incident.id), 422, item_form=form)


@bp.post("/action-items/<int:item_id>/done")
@require("manage")
def action_item_done(item_id: int):
    item = db.session.get(ActionItem, item_id)
    if item is None:
        flash("There is no such action item.", "error")
        return redirect(url_for("admin.dashboard"), 303)
    form = ItemDoneForm()
    if not form.validate_on_submit():
        flash("The form expired; try again.", "error")
    else:
        reviews.set_action_item_done(web_actor(), item.id, form.done.data)
        flash("Action item done." if form.done.data else "Action item open again.", "success")
    return redirect(url_for("admin.incident_review", incident_id=item.incident_id), 303)

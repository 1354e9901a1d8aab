"""Problems and known errors in the console: the list with each one's reach (incidents, components hit, time
lost), one problem's page, and linking an incident to a problem (or opening one) from the incident's page.

Every role reads; managers and admins change. Each POST calls one function of ``domain.problems``.
"""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from ...domain import problems as domain
from ...domain.recording import DomainError
from ...domain.reviews import STATE_LABEL as REVIEW_STATE_LABEL
from ...domain.reviews import review_of
from ...extensions import db
from ...models import Problem, Site
from ..access import require, web_actor
from . import bp
from .forms import show_domain_error
from .incident_pages import incident_or_404


class ProblemForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    symptom = TextAreaField("Symptom", validators=[Length(max=20000)])
    root_cause = TextAreaField("Root cause", validators=[Length(max=20000)])
    workaround = TextAreaField("Workaround", validators=[Length(max=20000)])
    submit = SubmitField("Save problem")


class ProblemStateForm(FlaskForm):
    status = SelectField("Move to", choices=[(s, domain.STATE_LABEL[s]) for s in domain.PROBLEM_STATES])


class LinkForm(FlaskForm):
    problem_id = SelectField("Problem", choices=[])
    new_title = StringField("Or open a new problem titled", validators=[Length(max=200)])


def _texts(form: ProblemForm) -> dict:
    return {f: getattr(form, f).data or "" for f in domain.TEXT_FIELDS}


@bp.get("/problems")
@require("read")
def problems():
    rows = domain.reach(domain.all_problems())
    return render_template("admin/problems.html", rows=rows, form=ProblemForm(formdata=None),
                           state_label=domain.STATE_LABEL)


@bp.post("/problems")
@require("manage")
def problem_new():
    form = ProblemForm()
    if form.validate_on_submit():
        try:
            problem = domain.create_problem(web_actor(), form.title.data, **_texts(form))
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(f"Problem “{problem.title}” opened.", "success")
            return redirect(url_for("admin.problem", problem_id=problem.id), 303)
    return render_template("admin/problems.html", rows=domain.reach(domain.all_problems()), form=form,
                           state_label=domain.STATE_LABEL), 422


def _problem_or_404(problem_id: str) -> Problem:
    problem = db.session.get(Problem, problem_id)
    if problem is None:
        abort(404, "There is no such problem.")
    return problem


def _render_problem(problem: Problem, form: ProblemForm | None = None, status: int = 200):
    form = form or ProblemForm(formdata=None, obj=problem)
    state_form = ProblemStateForm(formdata=None)
    state_form.status.choices = [(s, domain.STATE_LABEL[s]) for s in domain.MOVES.get(problem.status, ())]
    return render_template("admin/problem_detail.html", r=domain.reach([problem])[0], form=form,
                           state_form=state_form, state_label=domain.STATE_LABEL,
                           tz=Site.get().time_zone), status


@bp.get("/problems/<problem_id>")
@require("read")
def problem(problem_id: str):
    return _render_problem(_problem_or_404(problem_id))


@bp.post("/problems/<problem_id>")
@require("manage")
def problem_edit(problem_id: str):
    problem = _problem_or_404(problem_id)
    form = ProblemForm()
    if form.validate_on_submit():
        try:
            domain.edit_problem(web_actor(), problem.id, form.title.data, **_texts(form))
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash("Problem saved.", "success")
            return redirect(url_for("admin.problem", problem_id=problem.id), 303)
    return _render_problem(problem, form, 422)


@bp.post("/problems/<problem_id>/state")
@require("manage")
def problem_state(problem_id: str):
    problem = _problem_or_404(problem_id)
    form = ProblemStateForm()
    if not form.validate_on_submit():
        flash("Choose a state.", "error")
    else:
        try:
            domain.move_problem(web_actor(), problem.id, form.status.data)
        except DomainError as error:
            flash(error.message[:1].upper() + error.message[1:] + ".", "error")
        else:
            flash(f"Problem is now {domain.STATE_LABEL[form.status.data].lower()}.", "success")
    return redirect(url_for("admin.problem", problem_id=problem.id), 303)


def link_choices() -> list[tuple[str, str]]:
    """Unresolved problems first, for the incident page's link form."""
    return [("", "No problem")] + [(p.id, f"{p.title} ({domain.STATE_LABEL[p.status].lower()})")
                                   for p in domain.all_problems()]


@bp.post("/incidents/<incident_id>/problem")
@require("manage")
def incident_problem(incident_id: str):
    """Link the incident to a chosen problem, unlink it, or open a new problem from it."""
    incident = incident_or_404(incident_id)
    form = LinkForm()
    form.problem_id.choices = link_choices()
    if not form.validate_on_submit():
        flash("Choose a problem from the list.", "error")
        return redirect(url_for("admin.incident", incident_id=incident.id), 303)
    try:
        if (form.new_title.data or "").strip():
            problem = domain.create_problem(web_actor(), form.new_title.data, incident_id=incident.id,
                                            symptom=request.form.get("symptom", ""))
            flash(f"Problem “{problem.title}” opened and linked.", "success")
        else:
            domain.link_incident(web_actor(), incident.id, form.problem_id.data or None)
            flash("Problem linked." if form.problem_id.data else "Problem unlinked.", "success")
    except DomainError as error:
        flash(error.message[:1].upper() + error.message[1:] + ".", "error")
    return redirect(url_for("admin.incident", incident_id=incident.id), 303)


@bp.context_processor
def _incident_links():
    """``review_and_problem(incident)`` for the incident page's include (review state, linked problem, the
    problems to choose from), without the incident view importing this module."""
    def review_and_problem(incident) -> dict:
        review = review_of(incident.id)
        return {"review_state": REVIEW_STATE_LABEL[review.state].lower() if review else "not started",
                "linked_problem": db.session.get(Problem, incident.problem_id) if incident.problem_id else None,
                "problem_choices": link_choices()}
    return {"review_and_problem": review_and_problem}

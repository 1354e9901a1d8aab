"""Targets per priority (admins only): the SLA targets (time to acknowledge, time to resolve) and the update
cadence (a public update every, an executive summary every), in minutes, on one page.

One form of twenty boxes saved in one transaction through ``domain.sla.set_targets`` and
``domain.cadence.set_cadences``; a box left out of the post keeps its value, a blank one means none. A broken
rule lands on its box (422). The former pages /admin/settings/sla and /admin/settings/cadence lead here.
"""
from datetime import timedelta

from flask import flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import StringField

from ...domain import cadence, sla
from ...domain.priority import PRIORITY_LABEL
from ...domain.priority_table import PRIORITIES
from ...domain.recording import DomainError, change
from ...rendering import human_duration
from ..access import require, web_actor
from . import bp

# (box, column heading, how its table is read, its index in a row of that table, what "none" reads as)
COLUMNS = (("acknowledge", "Time to acknowledge", sla.targets, 0, "no target"),
           ("resolve", "Time to resolve", sla.targets, 1, "no target"),
           ("update", "Public update every", cadence.cadences, 0, "none"),
           ("summary", "Executive summary every", cadence.cadences, 1, "none"))


class TargetsForm(FlaskForm):
    """``p<N>_<box>`` for every priority and box of ``COLUMNS``."""


for _p in PRIORITIES:
    for _box, _heading, *_ in COLUMNS:
        setattr(TargetsForm, f"p{_p}_{_box}", StringField(
            f"{PRIORITY_LABEL[_p]}: {_heading.lower()} (minutes)",
            render_kw={"inputmode": "numeric", "size": 6, "autocomplete": "off"}))


def _current() -> dict[str, dict[int, int | None]]:
    tables = {read: read() for read in {column[2] for column in COLUMNS}}
    return {box: {p: tables[read][p][i] for p in PRIORITIES} for box, _, read, i, _ in COLUMNS}


def _pairs(current: dict, first: str, second: str) -> dict[int, tuple]:
    """The posted (first, second) boxes per priority; a box not posted keeps its current value."""
    def box(p: int, name: str):
        key = f"p{p}_{name}"
        return (request.form[key] or "").strip() if key in request.form else current[name][p]
    return {p: (box(p, first), box(p, second)) for p in PRIORITIES}


def _save(form: TargetsForm, current: dict) -> bool:
    try:
        with change():  # both tables, or neither
            sla.set_targets(web_actor(), _pairs(current, "acknowledge", "resolve"))
            cadence.set_cadences(web_actor(), _pairs(current, "update", "summary"))
    except DomainError as error:
        message = error.message[:1].upper() + error.message[1:] + "."
        if error.field and error.field in form:
            form[error.field].errors = [message]
        else:
            form.form_errors.append(message)
        return False
    return True


@bp.route("/settings/targets", methods=["GET", "POST"])
@require("admin")
def settings_targets():
    form, current = TargetsForm(), _current()
    if not form.is_submitted():
        for box, values in current.items():
            for p, value in values.items():
                form[f"p{p}_{box}"].data = "" if value is None else str(value)
    elif form.validate() and _save(form, current):
        flash("Targets saved. Timers, countdowns and reminders use them now.", "success")
        return redirect(url_for("admin.settings_targets"))
    rows = [(PRIORITY_LABEL[p], [(form[f"p{p}_{box}"], human_duration(timedelta(minutes=current[box][p]))
                                  if current[box][p] else blank) for box, _, _, _, blank in COLUMNS])
            for p in PRIORITIES]
    return render_template("admin/priority_targets.html", form=form, rows=rows,
                           headings=[c[1] for c in COLUMNS]), 422 if form.is_submitted() else 200


@bp.route("/settings/sla", methods=["GET", "POST"])
@bp.route("/settings/cadence", methods=["GET", "POST"], endpoint="settings_cadence")
@require("admin")
def settings_sla():
    """The two former pages: a bookmark (301) or a form post (308, kept a post) goes to the one page."""
    return redirect(url_for("admin.settings_targets"), 301 if request.method == "GET" else 308)

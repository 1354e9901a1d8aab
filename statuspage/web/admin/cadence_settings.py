"""The communication cadence per priority (admins only), next to the SLA targets: how often a public update and
an executive summary are due while an incident is open. Saved through ``domain.cadence.set_cadences``."""
from datetime import timedelta

from flask import flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import StringField

from ...domain import cadence
from ...domain.priority import PRIORITY_LABEL
from ...domain.recording import DomainError
from ...domain.sla import PRIORITIES
from ...rendering import human_duration
from ..access import require, web_actor
from . import bp


class CadenceForm(FlaskForm):
    """``p<N>_update`` and ``p<N>_summary`` for every priority; blank means none."""


for _p in PRIORITIES:
    for _kind, _what in (("update", "public update every"), ("summary", "executive summary every")):
        setattr(CadenceForm, f"p{_p}_{_kind}", StringField(
            f"{PRIORITY_LABEL[_p]}: {_what} (minutes)",
            render_kw={"inputmode": "numeric", "size": 6, "autocomplete": "off"}))


@bp.route("/settings/cadence", methods=["GET", "POST"])
@require("admin")
def settings_cadence():
    form = CadenceForm()
    if not form.is_submitted():
        for p, (update, summary) in cadence.cadences().items():
            form[f"p{p}_update"].data = "" if update is None else str(update)
            form[f"p{p}_summary"].data = "" if summary is None else str(summary)
    elif form.validate():
        try:
            cadence.set_cadences(web_actor(), {p: ((form[f"p{p}_update"].data or "").strip(),
                                                   (form[f"p{p}_summary"].data or "").strip())
                                               for p in PRIORITIES})
        except DomainError as error:
            message = error.message[:1].upper() + error.message[1:] + "."
            if error.field and error.field in form:
                form[error.field].errors = [message]
            else:
                form.form_errors.append(message)
        else:
            flash("Cadence saved. Countdowns and reminders use it now.", "success")
            return redirect(url_for("admin.settings_cadence"))
    current = cadence.cadences()
    rows = [(PRIORITY_LABEL[p], form[f"p{p}_update"], form[f"p{p}_summary"],
             *(human_duration(timedelta(minutes=m)) if m else "none" for m in current[p])) for p in PRIORITIES]
    return render_template("admin/cadence_settings.html", form=form, rows=rows), 422 if form.is_submitted() else 200

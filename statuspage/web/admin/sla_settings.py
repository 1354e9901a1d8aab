"""SLA targets per priority (admins only): time to acknowledge and time to resolve, in minutes.

One form of ten fields saved through ``domain.sla.set_targets``; a broken rule lands on its field (422)."""
from datetime import timedelta

from flask import flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import StringField

from ...domain import sla
from ...domain.priority import PRIORITY_LABEL
from ...domain.recording import DomainError
from ...rendering import human_duration
from ..access import require, web_actor
from . import bp


class SlaForm(FlaskForm):
    """``p<N>_acknowledge`` and ``p<N>_resolve`` for every priority; blank means no target."""


for _p in sla.PRIORITIES:
    for _kind in ("acknowledge", "resolve"):
        setattr(SlaForm, f"p{_p}_{_kind}", StringField(
            f"{PRIORITY_LABEL[_p]}: time to {_kind} (minutes)",
            render_kw={"inputmode": "numeric", "size": 6, "autocomplete": "off"}))


def _rows(form: SlaForm) -> list[tuple]:
    """(priority label, acknowledge field, resolve field, acknowledge target, resolve target) per priority."""
    current = sla.targets()
    return [(PRIORITY_LABEL[p], form[f"p{p}_acknowledge"], form[f"p{p}_resolve"],
             *(human_duration(timedelta(minutes=m)) if m else "no target" for m in current[p]))
            for p in sla.PRIORITIES]


@bp.route("/settings/sla", methods=["GET", "POST"])
@require("admin")
def settings_sla():
    form = SlaForm()
    if not form.is_submitted():
        for p, (ack, resolve) in sla.targets().items():
            form[f"p{p}_acknowledge"].data = "" if ack is None else str(ack)
            form[f"p{p}_resolve"].data = "" if resolve is None else str(resolve)
    elif form.validate():
        try:
            sla.set_targets(web_actor(), {p: ((form[f"p{p}_acknowledge"].data or "").strip(),
                                              (form[f"p{p}_resolve"].data or "").strip())
                                          for p in sla.PRIORITIES})
        except DomainError as error:
            message = error.message[:1].upper() + error.message[1:] + "."
            if error.field and error.field in form:
                form[error.field].errors = [message]
            else:
                form.form_errors.append(message)
        else:
            flash("SLA targets saved. Timers use them now.", "success")
            return redirect(url_for("admin.settings_sla"))
    failed = form.is_submitted()
    return render_template("admin/sla_settings.html", form=form, rows=_rows(form),
                           defaults=sla.DEFAULT_TARGETS), 422 if failed else 200

"""The audit log (every role may read it): who changed what, newest first, filtered by object, actor, action
and period, paginated; each entry opens to a before/after diff with the changed keys marked."""
import json
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from flask import render_template, request
from wtforms import DateField, Form, SelectField, StringField
from wtforms.validators import Length, Optional

from ...extensions import db
from ...models import AuditEntry, Site
from ...rendering import zone
from ..access import require
from . import bp
from .action_words import action_choices

PER_PAGE = 50


class AuditFilter(Form):
    """The GET filter form (no CSRF: it changes nothing)."""

    object_type = SelectField("Object type", validate_choice=False)
    object_id = StringField("Object id", validators=[Optional(), Length(max=32)])
    actor = StringField("Actor", validators=[Optional(), Length(max=254)],
                        render_kw={"placeholder": "email, cli, system…"})
    action = SelectField("Action", validate_choice=False)
    date_from = DateField("From", validators=[Optional()])
    date_to = DateField("To", validators=[Optional()])


@dataclass
class DiffRow:
    key: str
    before: str
    after: str
    changed: bool


def _shown(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def audit_diff(before: dict | None, after: dict | None) -> list[DiffRow]:
    """One row per key found before or after, in a stable order, marking those whose value changed."""
    before, after = before or {}, after or {}
    keys = list(dict.fromkeys([*before, *after]))
    return [DiffRow(key, _shown(before.get(key)), _shown(after.get(key)),
                    key not in before or key not in after or before[key] != after[key]) for key in keys]


def _distinct(column) -> list[str]:
    return list(db.session.scalars(db.select(column).distinct().order_by(column)))


def _filtered(form: AuditFilter, tz_name: str):
    """The SELECT for the filters that validated; a bad field is reported and ignored."""
    query = db.select(AuditEntry)
    if form.object_type.data:
        query = query.where(AuditEntry.object_type == form.object_type.data)
    if form.object_id.data and not form.object_id.errors:
        query = query.where(AuditEntry.object_id == form.object_id.data.strip())
    if form.actor.data and not form.actor.errors:
        pattern = "%" + form.actor.data.strip().lower().replace("%", r"\%").replace("_", r"\_") + "%"
        query = query.where(db.func.lower(AuditEntry.actor_label).like(pattern, escape="\\"))
    if form.action.data:
        query = query.where(AuditEntry.action == form.action.data)
    site_zone = zone(tz_name)
    # Dates are days in the site's time zone, both ends included.
    if form.date_from.data and not form.date_from.errors:
        query = query.where(AuditEntry.at >= datetime.combine(form.date_from.data, time(), site_zone))
    if form.date_to.data and not form.date_to.errors:
        end = datetime.combine(form.date_to.data + timedelta(days=1), time(), site_zone)
        query = query.where(AuditEntry.at < end)
    return query


def _page_number() -> int:
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1


@bp.route("/audit")
@require("read")
def audit():
    site = Site.get()
    form = AuditFilter(request.args)
    form.object_type.choices = [("", "Any")] + [(t, t) for t in _distinct(AuditEntry.object_type)]
    form.action.choices = [("", "Any")] + action_choices(_distinct(AuditEntry.action))
    form.validate()
    if form.date_from.raw_data and form.date_from.raw_data[0] and form.date_from.data is None:
        form.date_from.errors = ["Use a date like 2024-05-31."]
    if form.date_to.raw_data and form.date_to.raw_data[0] and form.date_to.data is None:
        form.date_to.errors = ["Use a date like 2024-05-31."]
    query = _filtered(form, site.time_zone)
    total = db.session.scalar(db.select(db.func.count()).select_from(query.subquery()))
    pages = max(1, -(-total // PER_PAGE))
    page = min(_page_number(), pages)
    entries = db.session.scalars(query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
                                 .offset((page - 1) * PER_PAGE).limit(PER_PAGE)).all()
    filters = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("admin/audit.html", form=form, entries=entries, diff=audit_diff, total=total,
                           page=page, pages=pages, filters=filters, site=site)

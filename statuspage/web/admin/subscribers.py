"""Subscribers in the console: list with search and filters, add (internal leaders and staff, or public),
"subscribe me", disable/enable, delete, per-subscriber delivery history, CSV export and import.

Everyone signed in may read the list and subscribe themselves to internal updates; writes on other people's
subscriptions need ``manage``. Chat and webhook targets carry credentials: the list shows only their host.
"""
import io
import math

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import func
from sqlalchemy.orm import selectinload
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import Length

from ...domain import subscriber_lists, subscriptions
from ...domain.recording import DomainError
from ...extensions import db
from ...models import Delivery, Incident, NotificationEvent, Subscriber
from ...models.subscribers import AUDIENCES, CHANNELS, SUBSCRIBER_STATES
from ..access import require, web_actor
from ..subscribe_forms import PreferencesForm, component_sections
from . import bp

PAGE_SIZE = 50
HISTORY_SIZE = 100


class AddSubscriberForm(PreferencesForm):
    channel = SelectField("Channel", default="email", choices=[
        ("email", "Email"), ("sms", "SMS"), ("chat", "Chat (Apprise URL)"), ("webhook", "Webhook")])
    target = StringField("Address", validators=[Length(max=2000)])
    audience = SelectField("Audience", default="internal", choices=[
        ("internal", "Internal: also internal notes, priorities and internal components"),
        ("public", "Public: what the public page shows")])
    confirmed = BooleanField("They already agreed: confirm now, send no confirmation message", default=True)

    def target_field(self):
        return self.target


class ImportForm(FlaskForm):
    file = FileField("CSV file", validators=[FileRequired("Choose a CSV file.")])
    confirmed = BooleanField("The people on this list already opted in (send no confirmation)")


def _filters() -> dict[str, str]:
    args = request.args
    return {"q": args.get("q", "").strip()[:200],
            "channel": args.get("channel", "") if args.get("channel") in CHANNELS else "",
            "audience": args.get("audience", "") if args.get("audience") in AUDIENCES else "",
            "state": args.get("state", "") if args.get("state") in SUBSCRIBER_STATES else ""}


def _my_subscription() -> Subscriber | None:
    return db.session.scalar(db.select(Subscriber).where(
        Subscriber.channel == "email", func.lower(Subscriber.target) == current_user.email.lower(),
        Subscriber.audience == "internal"))


def _render_list(form: AddSubscriberForm | None = None, import_form: ImportForm | None = None,
                 status: int = 200, report=None):
    filters = _filters()
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    query = subscriber_lists.subscriber_query(filters["q"], filters["channel"], filters["audience"],
                                              filters["state"], full_targets=current_user.can("admin"))
    total = db.session.scalar(db.select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = db.session.scalars(query.options(selectinload(Subscriber.components))
                              .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    form = form or AddSubscriberForm(formdata=None)
    form.offer(component_sections("internal"))
    return render_template(
        "admin/subscribers.html", subscribers=rows, total=total, page=page,
        pages=max(math.ceil(total / PAGE_SIZE), 1), filters={k: v for k, v in filters.items() if v},
        counts=subscriber_lists.counts(), form=form, import_form=import_form or ImportForm(formdata=None),
        report=report, mine=_my_subscription(), available=subscriptions.available_channels(),
        display_target=subscriptions.display_target, channels=CHANNELS, audiences=AUDIENCES,
        states=SUBSCRIBER_STATES), status


@bp.route("/subscribers", endpoint="subscribers")
@require("read")
def subscribers_list():
    return _render_list()


@bp.route("/subscribers", methods=["POST"])
@require("manage")
def subscriber_add():
    form = AddSubscriberForm()
    form.offer(component_sections("internal"))
    if form.validate_on_submit():
        try:
            result = subscriptions.subscribe(form.channel.data, form.target.data or "", form.audience.data,
                                             form.component_ids(), form.min_impact.data, actor=web_actor(),
                                             confirmed=form.confirmed.data)
        except DomainError as error:
            field = {"target": form.target, "component_ids": form.components}.get(error.field or "")
            field = field or form._fields.get(error.field or "")
            if field is None:
                form.form_errors.append(error.message)
            else:
                field.errors = [*field.errors, error.message]
        else:
            s = result.subscriber
            what = "added" if result.created else "was already there; updated"
            flash(f"{subscriptions.display_target(s)} {what} ({s.audience}, {s.state}).", "success")
            if result.secret:
                flash(f"Webhook signing secret (shown once): {result.secret}", "warning")
            return redirect(url_for("admin.subscriber_detail", public_id=s.public_id))
    return _render_list(form=form, status=422)


@bp.route("/subscribers/me", methods=["POST"])
@require("read")
def subscriber_me():
    """Any signed-in user subscribes their own email to internal updates, or stops."""
    mine = _my_subscription()
    form = FlaskForm()
    if not form.validate_on_submit():
        flash("The form expired; try again.", "error")
    elif mine is not None:
        subscriptions.unsubscribe(mine, actor=web_actor())
        flash("You will no longer receive internal updates by email.", "success")
    else:
        try:
            subscriptions.subscribe("email", current_user.email, "internal", actor=web_actor(),
                                    confirmed=True)
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(f"Internal updates will be emailed to {current_user.email}.", "success")
    return redirect(url_for("admin.subscribers"))


@bp.route("/subscribers/<public_id>")
@require("read")
def subscriber_detail(public_id: str):
    subscriber = subscriptions.get_subscriber(public_id)
    history = db.session.execute(
        db.select(Delivery, NotificationEvent, Incident.name)
        .join(NotificationEvent, Delivery.event_id == NotificationEvent.id)
        .outerjoin(Incident, NotificationEvent.incident_id == Incident.id)
        .where(Delivery.subscriber_id == subscriber.id)
        .order_by(Delivery.id.desc()).limit(HISTORY_SIZE)).all()
    return render_template("admin/subscriber_detail.html", subscriber=subscriber, history=history,
                           display_target=subscriptions.display_target)


def _act(public_id: str, do, message: str) -> Response:
    """Run ``do(subscriber)`` for a POSTed button (CSRF-checked), flash ``message``, go back."""
    subscriber = subscriptions.get_subscriber(public_id)
    back = redirect(url_for("admin.subscriber_detail", public_id=public_id))
    if not FlaskForm().validate_on_submit():
        flash("The form expired; try again.", "error")
        return back
    try:
        do(subscriber)
    except DomainError as error:
        flash(error.message, "error")
        return back
    flash(message, "success")
    return back if subscriber in db.session else redirect(url_for("admin.subscribers"))


@bp.route("/subscribers/<public_id>/disable", methods=["POST"])
@require("manage")
def subscriber_disable(public_id: str):
    reason = request.form.get("reason", "")[:300]
    return _act(public_id, lambda s: subscriptions.disable_subscriber(web_actor(), s, reason),
                "Disabled: nothing will be sent to it until it is enabled again.")


@bp.route("/subscribers/<public_id>/enable", methods=["POST"])
@require("manage")
def subscriber_enable(public_id: str):
    return _act(public_id, lambda s: subscriptions.enable_subscriber(web_actor(), s), "Enabled again.")


@bp.route("/subscribers/<public_id>/resend", methods=["POST"])
@require("manage")
def subscriber_resend(public_id: str):
    return _act(public_id, lambda s: subscriptions.resend_confirmation(web_actor(), s),
                "The confirmation is on its way again.")


@bp.route("/subscribers/<public_id>/delete", methods=["POST"])
@require("manage")
def subscriber_delete(public_id: str):
    return _act(public_id, lambda s: subscriptions.delete_subscriber(web_actor(), s),
                "Deleted the subscriber and its delivery history.")


@bp.route("/subscribers/export.csv")
@require("manage")
def subscribers_export():
    buffer = io.StringIO()
    subscriber_lists.write_export(buffer)
    return Response(buffer.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": "attachment; filename=subscribers.csv", "Cache-Control": "no-store"})


@bp.route("/subscribers/import", methods=["POST"])
@require("manage")
def subscribers_import():
    form = ImportForm()
    if not form.validate_on_submit():
        return _render_list(import_form=form, status=422)
    try:
        text = form.file.data.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        form.file.errors = [*form.file.errors, "This file is not UTF-8 text: save it as CSV (UTF-8)."]
        return _render_list(import_form=form, status=422)
    report = subscriber_lists.import_rows(subscriber_lists.numbered_rows(io.StringIO(text)),
                                          actor=web_actor(), confirmed=form.confirmed.data)
    return _render_list(report=report)

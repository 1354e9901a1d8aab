"""Who was not reached, and why: dead and retrying deliveries with their reason, subscriber and event; retry
and discard (``domain.deliveries``, audited); the outbox at a glance (deliveries
per state, events waiting for expansion, the workers' last heartbeats, destinations whose circuit breaker is
open).
"""
import math

from flask import flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from sqlalchemy import func

from ...breakers import open_breakers
from ...domain import deliveries
from ...domain.recording import DomainError
from ...domain.subscriptions import display_target
from ...extensions import db
from ...models import Delivery, Incident, NotificationEvent, Subscriber, WorkerHeartbeat
from ..access import require, web_actor
from . import bp

PAGE_SIZE = 50
SHOWS = {
    "dead": ("Dead", Delivery.state == "dead"),
    "retrying": ("Retrying", (Delivery.state.in_(("pending", "claimed"))) & (Delivery.attempts > 0)),
    "discarded": ("Discarded", Delivery.state == "discarded"),
}


def _problem_query(show: str):
    return (db.select(Delivery, NotificationEvent, Subscriber, Incident.name)
            .join(NotificationEvent, Delivery.event_id == NotificationEvent.id)
            .join(Subscriber, Delivery.subscriber_id == Subscriber.id)
            .outerjoin(Incident, NotificationEvent.incident_id == Incident.id)
            .where(SHOWS[show][1]))


@bp.route("/deliveries", endpoint="deliveries")
@require("read")
def deliveries_list():
    show = request.args.get("show", "dead")
    show = show if show in SHOWS else "dead"
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    query = _problem_query(show)
    total = db.session.scalar(db.select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.execute(query.order_by(Delivery.updated_at.desc(), Delivery.id.desc())
                              .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    waiting = db.session.scalar(db.select(func.count()).select_from(NotificationEvent)
                                .where(NotificationEvent.expanded_at.is_(None))) or 0
    heartbeats = db.session.scalars(db.select(WorkerHeartbeat).order_by(WorkerHeartbeat.seen_at.desc())
                                    .limit(10)).all()
    return render_template("admin/deliveries.html", rows=rows, show=show, shows=SHOWS, total=total, page=page,
                           pages=max(math.ceil(total / PAGE_SIZE), 1), counts=deliveries.delivery_counts(),
                           waiting=waiting, heartbeats=heartbeats, display_target=display_target,
                           breakers=open_breakers())


def _act(delivery_id: int, action, done: str):
    back = redirect(url_for("admin.deliveries", show=request.form.get("show", "dead")))
    if not FlaskForm().validate_on_submit():
        flash("The form expired; try again.", "error")
        return back
    try:
        action(web_actor(), delivery_id)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(done, "success")
    return back


@bp.route("/deliveries/<int:delivery_id>/retry", methods=["POST"])
@require("manage")
def delivery_retry(delivery_id: int):
    return _act(delivery_id, deliveries.retry_delivery, f"Delivery {delivery_id} will be sent again now.")


@bp.route("/deliveries/<int:delivery_id>/discard", methods=["POST"])
@require("manage")
def delivery_discard(delivery_id: int):
    return _act(delivery_id, deliveries.discard_delivery,
                f"Delivery {delivery_id} was discarded: it will not be sent.")

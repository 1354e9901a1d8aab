"""What an operator can do with deliveries from the console or the CLI: retry a dead one, discard one, count
them by state. Each change is audited like every other write."""
from sqlalchemy import func, select

from ..extensions import db
from ..models import Delivery, Subscriber
from ..models.columns import utcnow
from ..models.outbox import DELIVERY_STATES
from .recording import DomainError, NotFound, change, record


def _get_delivery(delivery_id) -> Delivery:
    try:
        delivery = db.session.get(Delivery, int(delivery_id))
    except (TypeError, ValueError):
        delivery = None
    if delivery is None:
        raise NotFound(f"no delivery with id {delivery_id!r}", field="delivery_id")
    return delivery


def _describe(delivery: Delivery) -> dict:
    return {"state": delivery.state, "attempts": delivery.attempts, "last_error": delivery.last_error,
            "event_id": delivery.event_id, "subscriber_id": delivery.subscriber_id}


def retry_delivery(actor, delivery_id) -> Delivery:
    """Send a dead or discarded delivery again now, with a fresh set of attempts (audited)."""
    with change():
        delivery = _get_delivery(delivery_id)
        if delivery.state not in ("dead", "discarded"):
            raise DomainError(f"only a dead or discarded delivery can be retried (it is {delivery.state})",
                              field="state")
        subscriber = db.session.get(Subscriber, delivery.subscriber_id)
        if subscriber.disabled_at is not None:
            raise DomainError("the subscriber is disabled; enable it before retrying", field="subscriber")
        before = _describe(delivery)
        delivery.state, delivery.attempts, delivery.next_attempt_at = "pending", 0, utcnow()
        record(actor, "delivery.retry", "delivery", delivery.id, f"delivery {delivery.id}", before=before,
               after=_describe(delivery))
    return delivery


def discard_delivery(actor, delivery_id) -> Delivery:
    """Give up on a pending or dead delivery: it will not be sent (audited)."""
    with change():
        delivery = _get_delivery(delivery_id)
        if delivery.state not in ("pending", "dead"):
            raise DomainError(f"only a pending or dead delivery can be discarded (it is {delivery.state})",
                              field="state")
        before = _describe(delivery)
        delivery.state = "discarded"
        record(actor, "delivery.discard", "delivery", delivery.id, f"delivery {delivery.id}", before=before,
               after=_describe(delivery))
    return delivery


def delivery_counts() -> dict[str, int]:
    """How many deliveries are in each state (for the console and ``statuspage deliveries``)."""
    rows = db.session.execute(select(Delivery.state, func.count()).group_by(Delivery.state)).all()
    return {state: 0 for state in DELIVERY_STATES} | {state: count for state, count in rows}

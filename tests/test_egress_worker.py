"""The worker sends nothing to a private address (issue 7, finding 1): subscribers stored before the guard
existed, or whose name was rebound after subscribing, end as dead deliveries with the guard's reason."""
from sqlalchemy import select

from statuspage.domain.components import create_component
from statuspage.domain.incidents import open_incident
from statuspage.domain.recording import SYSTEM
from statuspage.extensions import db
from statuspage.models import Delivery, Subscriber
from statuspage.models.columns import utcnow
from statuspage.worker import run_worker


def stored(channel: str, target: str) -> Subscriber:
    """A confirmed subscriber written straight to the table, as the original code let them in."""
    subscriber = Subscriber(channel=channel, target=target, audience="public", confirmed_at=utcnow(),
                            secret="webhook-secret")
    db.session.add(subscriber)
    db.session.commit()
    return subscriber


def test_the_worker_posts_nothing_to_loopback_when_loopback_is_not_allowed(app, dns, connections, http_sink):
    app.config.update(ALLOW_LOOPBACK_WEBHOOKS=False, RETRY_BASE_SECONDS=0.05, RETRY_MAX_SECONDS=0.2)
    targets = [("chat", f"json://2130706433:{http_sink.port}/x"), ("chat", f"json://0x7f000001:{http_sink.port}/x"),
               ("chat", f"json://loopback.stub.test:{http_sink.port}/x"),
               ("webhook", f"https://loopback.stub.test:{http_sink.port}/x")]
    for channel, target in targets:
        stored(channel, target)
    api = create_component(SYSTEM, name="API")
    open_incident(SYSTEM, name="API unreachable", body="Investigating", components={api.id: "major_outage"})

    run_worker(app, once=True)

    assert http_sink.requests == [] and connections == []
    deliveries = db.session.scalars(select(Delivery)).all()
    assert len(deliveries) == len(targets)
    assert {d.state for d in deliveries} == {"dead"}
    reasons = sorted(d.last_error for d in deliveries)
    assert all("private" in reason and "127.0.0.1" in reason for reason in reasons), reasons

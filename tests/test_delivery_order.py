"""Fair and ordered: a new event is not starved behind an earlier event's fan-out, confirmations go ahead of
bulk, and one subscriber never gets a later update of an incident before an earlier one unless the earlier
one is dead (the ordering is the claim query's, so a recording sender stands in for the network)."""
import threading
import time

from sinks import wait_until
from sqlalchemy import func, insert, select

from statuspage import dispatch
from statuspage.domain.incidents import open_incident, post_update
from statuspage.domain.recording import SYSTEM
from statuspage.extensions import db
from statuspage.models import Delivery, NotificationEvent, Subscriber
from statuspage.models.columns import new_id, utcnow
from statuspage.worker import DeliveryFailed, run_worker


def add_webhooks(urls: list[str], confirmed: bool = True) -> None:
    now = utcnow()
    db.session.execute(insert(Subscriber), [
        {"public_id": new_id(), "channel": "webhook", "target": url, "audience": "public", "all_components": True,
         "min_impact": "none", "confirmed_at": now if confirmed else None, "secret": "s", "created_at": now,
         "updated_at": now} for url in urls])
    db.session.commit()


def states() -> dict:
    counts = dict(db.session.execute(select(Delivery.state, func.count()).group_by(Delivery.state)).all())
    db.session.rollback()
    return counts


def event_of(delivery_ids: list[int]) -> set[int]:
    return set(db.session.scalars(select(Delivery.event_id).where(Delivery.id.in_(delivery_ids))))


def test_a_new_event_is_claimed_before_the_rest_of_an_earlier_fan_out(app):
    add_webhooks([f"https://hooks.example.com/{n}" for n in range(300)])
    open_incident(SYSTEM, name="Database failover", body="Investigating.")
    dispatch.expand_events()
    first = dispatch.claim_due("w", limit=100, channel="webhook")
    dispatch.record_results("w", [dispatch.Outcome(i, sent=True) for i in first])  # a third of the way through

    second = open_incident(SYSTEM, name="Login broken", body="Investigating.")
    dispatch.expand_events()
    new_event = db.session.scalar(select(NotificationEvent.id).where(NotificationEvent.incident_id == second.id))
    claimed = dispatch.claim_due("w", limit=20, channel="webhook")
    assert event_of(claimed) == {new_event}  # not behind the 200 left of the first incident

    # both then move on side by side: neither event waits for the other to finish
    dispatch.record_results("w", [dispatch.Outcome(i, sent=True) for i in claimed])
    later = dispatch.claim_due("w", limit=200, channel="webhook")
    assert len(event_of(later)) == 2


def test_a_confirmation_is_claimed_ahead_of_a_bulk_fan_out(app):
    add_webhooks([f"https://hooks.example.com/{n}" for n in range(200)])
    open_incident(SYSTEM, name="Database failover", body="Investigating.")
    add_webhooks(["https://new.example.com/hook"], confirmed=False)
    newcomer = db.session.scalar(select(Subscriber.id).where(Subscriber.target == "https://new.example.com/hook"))
    dispatch.enqueue("subscription.confirm", None, None, subscriber_id=newcomer)
    db.session.commit()
    dispatch.expand_events()

    [claimed] = dispatch.claim_due("w", limit=1, channel="webhook")
    assert db.session.get(Delivery, claimed).subscriber_id == newcomer


class FirstFailsSender:
    """Records which update each subscriber is sent, in order; the very first send fails (a 503)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.received: dict[str, list[int]] = {}

    def __call__(self, job):
        number = int(job.context["update"]["body"].split(":")[0])
        with self.lock:
            first = not self.received
            self.received.setdefault(job.target, []).append(number)
        time.sleep(0.01)
        if first:
            raise DeliveryFailed("The webhook answered HTTP 503 Service Unavailable")


def deliver_three_updates(app) -> dict[str, list[int]]:
    """Open an incident and post two updates to 3 subscribers, the very first send failing; run a worker
    until nothing is pending; returns the update numbers each subscriber was sent, in order."""
    app.config.update(RETRY_BASE_SECONDS=0.3, RETRY_MAX_SECONDS=0.3)
    add_webhooks([f"https://hooks.example.com/{n}" for n in range(3)])
    incident = open_incident(SYSTEM, name="Checkout errors", body="1: investigating")
    post_update(SYSTEM, incident.id, status="identified", body="2: a bad deploy")
    post_update(SYSTEM, incident.id, status="monitoring", body="3: rolled back")
    sender, stop = FirstFailsSender(), threading.Event()
    thread = threading.Thread(target=run_worker, args=(app,), kwargs={
        "stop_event": stop, "poll_interval": 0.05, "concurrency": 4, "sender": sender})
    thread.start()
    try:
        assert wait_until(lambda: sum(states().values()) == 9 and not ({"pending", "claimed"} & set(states())),
                          timeout=20), states()
    finally:
        stop.set()
        thread.join(10)
    return sender.received


def test_a_subscriber_gets_an_incident_s_updates_in_order_even_when_the_first_is_retried(app):
    received = deliver_three_updates(app)
    assert len(received) == 3
    for path, numbers in received.items():
        assert numbers == sorted(numbers), f"{path} got the updates out of order: {numbers}"
    assert sorted(sum(received.values(), [])) == [1, 1, 1, 1, 2, 2, 2, 3, 3, 3]  # the 503'd one again, later
    assert states() == {"sent": 9}


def test_a_dead_earlier_update_does_not_hold_back_the_later_ones(app):
    app.config["MAX_ATTEMPTS"] = 1  # the first update's 503 kills that delivery
    received = deliver_three_updates(app)
    assert sorted(sum(received.values(), [])) == [1, 1, 1, 2, 2, 2, 3, 3, 3]
    assert [numbers for numbers in received.values() if numbers != [1, 2, 3]] == []
    assert states() == {"dead": 1, "sent": 8}


class BlockedLane:
    """A one-thread lane whose thread is held by a "blocker" send until `release`; ``sent`` lists what went out,
    in order."""

    def __init__(self, destination: str = "hooks.example.com"):
        from statuspage.lanes import Lane

        self.lane, self.release, self.sent = Lane("webhook", 1, 2000, threading.Event(), 8), threading.Event(), []
        self.lane.submit([(destination, (1, 0), self.send, ("blocker",))])
        assert wait_until(lambda: not self.lane.queues, timeout=5)  # the lane's one thread is busy

    def send(self, label):
        if label == "blocker":
            self.release.wait(5)
        self.sent.append(label)
        return label

    def close(self) -> None:
        self.release.set()
        self.lane.shutdown()


def test_a_lane_sends_a_new_event_s_queued_deliveries_before_an_old_event_s():
    """Claimed deliveries wait in their lane by rank (priority, rank within the event), not by arrival: a new
    event's first deliveries, claimed while an old event's are still queued, go out next."""
    blocked = BlockedLane()
    lane, send, sent = blocked.lane, blocked.send, blocked.sent
    try:
        lane.submit([("hooks.example.com", (1, seq), send, (f"old-{seq}",)) for seq in range(100, 150)])
        lane.submit([("hooks.example.com", (1, seq), send, (f"new-{seq}",)) for seq in range(1, 4)])
        lane.submit([("hooks.example.com", (0, 1), send, ("confirmation",))])
        blocked.release.set()
        assert wait_until(lambda: len(sent) == 55, timeout=5)
    finally:
        blocked.close()
    assert sent[:6] == ["blocker", "confirmation", "new-1", "new-2", "new-3", "old-100"]
    assert sent[6:] == [f"old-{seq}" for seq in range(101, 150)]


def test_a_lane_takes_hosts_in_turn_and_forgets_the_ones_it_no_longer_holds():
    """Hosts queued together are served in turn (the least recently served first), and a lane that has sent to
    a thousand hosts keeps nothing about them once they are done (a fan-out meets 100,000 hosts)."""
    blocked = BlockedLane("webhook x.example.com")
    lane, send, sent = blocked.lane, blocked.send, blocked.sent
    try:
        lane.submit([(f"webhook {host}.example.com", (1, n), send, (f"{host}{n}",))
                     for host in "abc" for n in (1, 2, 3)])
        blocked.release.set()
        assert wait_until(lambda: len(sent) == 10, timeout=5)
        lane.submit([(f"webhook h{n}.example.com", (1, n), send, (n,)) for n in range(1000)])
        assert wait_until(lambda: len(sent) == 1010, timeout=10)
    finally:
        blocked.close()
    assert sent[1:10] == ["a1", "b1", "c1", "a2", "b2", "c2", "a3", "b3", "c3"]
    assert sent[10:] == list(range(1000))  # first queued, first served
    assert not lane.queues and not lane.running and not lane.served

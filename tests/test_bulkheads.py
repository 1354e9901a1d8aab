"""One slow channel never delays the others: with a real tarpit (a socket on 127.0.0.1 that accepts and never
answers) as the mail relay, webhooks and chat still arrive within 2 s; the relay's circuit breaker opens and
shows in the console and ``statuspage deliveries``; once the relay answers again every email goes out once.
A webhook host that hangs does not hold up another host."""
import threading
import time

import pytest
from sinks import wait_until
from sqlalchemy import func, insert, select
from tarpit import Tarpit

from statuspage.domain.incidents import open_incident
from statuspage.domain.recording import SYSTEM
from statuspage.extensions import db
from statuspage.models import Delivery, DeliveryBreaker, Subscriber, WorkerHeartbeat
from statuspage.models.columns import new_id, utcnow
from statuspage.worker import run_worker

EMAILS = 40


@pytest.fixture
def tarpit():
    pit = Tarpit()
    yield pit
    pit.close()


def configure(app, smtp_url: str, read_timeout: float = 1.0) -> None:
    app.config.update(SMTP_URL=smtp_url, ALLOW_LOOPBACK_WEBHOOKS=True, BREAKER_FAILURES=3,
                      BREAKER_COOLDOWN_SECONDS=0.5, RETRY_BASE_SECONDS=0.05, RETRY_MAX_SECONDS=1.0,
                      SEND_TIMEOUTS=dict.fromkeys(("email", "sms", "chat", "webhook"), (0.5, read_timeout)))


def add_subscribers(channel: str, targets: list[str]) -> None:
    now = utcnow()
    db.session.execute(insert(Subscriber), [
        {"public_id": new_id(), "channel": channel, "target": target, "audience": "public", "all_components": True,
         "min_impact": "none", "confirmed_at": now, "secret": "s3cret", "created_at": now, "updated_at": now}
        for target in targets])
    db.session.commit()


def states(channel: str | None = None) -> dict:
    query = select(Delivery.state, func.count()).group_by(Delivery.state)
    if channel:
        query = query.where(Delivery.channel == channel)
    counts = dict(db.session.execute(query).all())
    db.session.rollback()
    return counts


def breaker(destination: str) -> DeliveryBreaker | None:
    row = db.session.get(DeliveryBreaker, destination)
    db.session.expire_all()
    db.session.rollback()
    return row


class RunningWorker:
    def __init__(self, app, **kwargs):
        self.stop = threading.Event()
        self.thread = threading.Thread(target=run_worker, args=(app,), daemon=True,
                                       kwargs={"stop_event": self.stop, "poll_interval": 0.05, **kwargs})

    def __enter__(self):
        self.thread.start()  # and wait for it to be up (its first heartbeat), as a long-running worker is
        assert wait_until(lambda: db.session.scalar(select(func.count()).select_from(WorkerHeartbeat)) > 0
                          and not db.session.rollback(), timeout=20)
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(20)
        assert not self.thread.is_alive()


def arrival_seconds(sink, count: int, started: float, timeout: float) -> float:
    assert wait_until(lambda: len(sink.requests) >= count, timeout=timeout, interval=0.005), (
        f"{len(sink.requests)} of {count} arrived")
    return time.monotonic() - started


@pytest.mark.slow
def test_webhooks_and_chat_arrive_within_2s_while_the_relay_hangs_then_every_email_goes_out(
        app, tarpit, smtp_sink, http_sink, login, client, runner):
    configure(app, f"mailto://127.0.0.1:{tarpit.port}?mode=insecure&from=status@example.com")
    add_subscribers("email", [f"reader{n}@example.com" for n in range(EMAILS)])  # ahead of the hooks in id order
    add_subscribers("webhook", [http_sink.url(f"/hook/{n}") for n in range(5)])
    add_subscribers("chat", [http_sink.url(f"/chat/{n}", scheme="json") for n in range(2)])
    relay = f"email relay 127.0.0.1:{tarpit.port}"

    with RunningWorker(app, concurrency=4):
        started = time.monotonic()
        open_incident(SYSTEM, name="Payments API unreachable", body="We are looking into it.")
        elapsed = arrival_seconds(http_sink, 7, started, timeout=10)
        assert elapsed < 2.0, f"webhooks and chat took {elapsed:.2f}s behind a hanging mail relay"
        assert {r.path for r in http_sink.requests} == {f"/hook/{n}" for n in range(5)} | {"/chat/0", "/chat/1"}

        # the relay's breaker opens: the emails wait without being attempted (none dead, few tried)
        assert wait_until(lambda: (breaker(relay) is not None and breaker(relay).state != "closed"), timeout=10)
        assert set(states("email")) <= {"pending", "claimed"}
        tried = db.session.scalar(select(func.count()).where(Delivery.channel == "email", Delivery.attempts > 0))
        db.session.rollback()
        assert tried <= 3 * 4, f"{tried} emails were tried against a relay known to hang"

        login("viewer")
        page = client.get("/admin/deliveries").get_data(as_text=True)
        assert "Destinations not answering" in page and relay in page
        listed = runner.invoke(args=["deliveries"]).output
        assert f"{relay} since " in listed and "breaker " in listed

        tarpit.recover(smtp_sink.port)  # the relay answers again
        assert wait_until(lambda: states("email") == {"sent": EMAILS}, timeout=30), states("email")

    assert sorted(m.rcpt_tos[0] for m in smtp_sink.messages) == sorted(
        f"reader{n}@example.com" for n in range(EMAILS))  # every email once
    assert states() == {"sent": EMAILS + 7}
    assert breaker(relay).state == "closed"
    assert "breaker" not in runner.invoke(args=["deliveries"]).output


@pytest.mark.slow
def test_a_webhook_host_that_hangs_does_not_delay_another_host(app, tarpit, http_sink):
    configure(app, "", read_timeout=3.0)
    add_subscribers("webhook", [f"http://127.0.0.1:{tarpit.port}/hangs/{n}" for n in range(10)])
    add_subscribers("webhook", [http_sink.url(f"/fine/{n}") for n in range(5)])

    with RunningWorker(app, concurrency=4):
        started = time.monotonic()
        open_incident(SYSTEM, name="Search is slow", body="Investigating.")
        elapsed = arrival_seconds(http_sink, 5, started, timeout=10)
        # well inside one read timeout (3 s) of the hanging host
        assert elapsed < 2.0, f"the healthy host waited {elapsed:.2f}s behind the hanging one"
        hung = f"webhook 127.0.0.1:{tarpit.port}"
        assert wait_until(lambda: breaker(hung) is not None and breaker(hung).state != "closed", timeout=15)
        assert breaker(f"webhook 127.0.0.1:{http_sink.port}") is None  # the healthy host never failed

    assert states() in ({"sent": 5, "pending": 10}, {"sent": 5, "pending": 9, "claimed": 1})


def test_a_webhook_lane_fills_its_threads_across_hosts_but_sends_one_host_no_more_than_its_cap():
    """Webhooks wait on receivers, not on the CPU: a lane's 32 threads all send while there are hosts to send
    to, yet one receiver never sees more than WORKER_HOST_CONCURRENCY (here 8) requests at once."""
    from collections import Counter

    from statuspage.lanes import Lane

    lane, lock, running, peaks = Lane("webhook", 32, 400, threading.Event(), per_destination=8), \
        threading.Lock(), Counter(), Counter()

    def send(host):
        with lock:
            running[host] += 1
            running["all"] += 1
            peaks[host] = max(peaks[host], running[host])
            peaks["all"] = max(peaks["all"], running["all"])
        time.sleep(0.05)  # a receiver 50 ms away
        with lock:
            running[host] -= 1
            running["all"] -= 1
        return host

    try:
        lane.submit([(f"webhook hook{n % 5}.example.com", (1, n), send, (f"hook{n % 5}",)) for n in range(200)])
        assert wait_until(lambda: len(lane.results) == 200, timeout=10)
    finally:
        lane.shutdown()
    assert max(peaks[f"hook{n}"] for n in range(5)) <= 8  # no host above its cap
    assert peaks["all"] == 32  # every thread busy while five hosts had work (8 threads: a quarter of it)

    one_host = Lane("webhook", 32, 400, threading.Event(), per_destination=8)
    peaks.clear()
    try:
        one_host.submit([("webhook one.example.com", (1, n), send, ("one",)) for n in range(40)])
        assert wait_until(lambda: len(one_host.results) == 40, timeout=10)
    finally:
        one_host.shutdown()
    assert peaks["one"] == peaks["all"] == 8  # one receiver: eight at a time, the other threads wait


@pytest.mark.parametrize("target", [
    "https://Hooks.Example.COM/x", "http://127.0.0.1:8080/hook/1", "https://u:p@h.example:443/a?b#c",
    "http://[::1]:99/x", "https://[2001:DB8::1]/", "https://h.example:99999/x", "https://h.example:/x",
    "http://h.example:0/", "https://a@b@c.example/x", "https://h.example?x", "HTTPS://H.EXAMPLE", "https://[::1",
    "https://h%41.example/", "https://h.example\t/x", " https://h.example/", "weird", "", "slack://T0/B1/C2",
    "ntfys://ntfy.sh/topic", "json://localhost:80/x", "tgram://123:abc/456"])
@pytest.mark.parametrize("channel", ["webhook", "chat"])
def test_a_destination_is_named_from_its_url_as_urlsplit_reads_it(channel, target):
    """Breakers and the lanes' fairness count by destination: the quick reading of a fan-out's URLs names
    each one exactly as urlsplit would (host lower case, port when given, "?" for a URL it refuses)."""
    from urllib.parse import urlsplit

    from statuspage.breakers import destination

    try:
        parts = urlsplit(target)
        port, host = parts.port, parts.hostname or ""
    except ValueError:
        expected = f"{channel} ?"
    else:
        if channel == "chat" and "." not in host and ":" not in host and host != "localhost":
            expected = f"chat {parts.scheme}"
        else:
            expected = f"{channel} {host}" + (f":{port}" if port else "")
    assert destination(channel, target, {}) == expected

"""The service's own metrics at /metrics: Prometheus' parser reads them, the counters move when a page is served
(through Flask and through the raw hot path) and when a delivery is sent, fails or dies, the database gauges
tell the outbox and the workers, and nobody but a token holder or this machine's loopback reads them."""
import os
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from statuspage import dispatch, snapshot
from statuspage.domain.incidents import open_incident
from statuspage.domain.recording import SYSTEM
from statuspage.extensions import db
from statuspage.models import Delivery, Subscriber
from statuspage.models.columns import utcnow
from statuspage.worker import DeliveryFailed, run_worker


def scrape(client, **kwargs) -> dict:
    """{(sample name, frozenset(labels)): value} of one scrape."""
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(response.get_data(as_text=True)) for s in family.samples}


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_prometheus_reads_every_family(client, app):
    families = {f.name: f for f in text_string_to_metric_families(client.get("/metrics").get_data(as_text=True))}
    for name, kind in (("statuspage_http_requests", "counter"), ("statuspage_http_request_duration_seconds",
                                                                  "histogram"),
                       ("statuspage_snapshot_hits", "counter"), ("statuspage_snapshot_misses", "counter"),
                       ("statuspage_snapshot_renders", "counter"), ("statuspage_outbox_deliveries", "gauge"),
                       ("statuspage_outbox_events_unexpanded", "gauge"),
                       ("statuspage_outbox_oldest_pending_age_seconds", "gauge"),
                       ("statuspage_worker_last_heartbeat_timestamp_seconds", "gauge"),
                       ("statuspage_metrics_database_up", "gauge")):
        assert families[name].type == kind, name
    assert families["statuspage_metrics_database_up"].samples[0].value == 1


def test_serving_a_page_moves_the_request_and_snapshot_counters(client):
    before = scrape(client)
    assert client.get("/").status_code == 200  # a miss: Flask renders the snapshot
    assert client.get("/").status_code == 200  # the raw hot path answers from it
    assert client.get("/history").status_code == 200
    after = scrape(client)
    moved = {name: value(after, name, **labels) - value(before, name, **labels) for name, labels in (
        ("statuspage_snapshot_misses_total", {}), ("statuspage_snapshot_renders_total", {}),
        ("statuspage_snapshot_hits_total", {"layer": "hotpath"}))}
    assert moved == {"statuspage_snapshot_misses_total": 2, "statuspage_snapshot_renders_total": 2,
                     "statuspage_snapshot_hits_total": 1}
    index = {"endpoint": "public.index", "method": "GET", "status": "200"}
    assert value(after, "statuspage_http_requests_total", **index) \
        - value(before, "statuspage_http_requests_total", **index) == 1  # the hot path hit never reached Flask
    assert value(after, "statuspage_http_request_duration_seconds_count", endpoint="public.index") >= 1
    client.get("/no/such/page")
    assert value(scrape(client), "statuspage_http_requests_total", endpoint="unmatched", method="GET",
                 status="404") >= 1


def test_a_page_answered_inside_flask_counts_as_an_app_hit(client):
    client.get("/")
    before = value(scrape(client), "statuspage_snapshot_hits_total", layer="app")
    # A session cookie (here an unreadable one): the hot path leaves the request to Flask, which finds the
    # reader anonymous and answers from the snapshot.
    client.set_cookie("session", "stale")
    assert client.get("/").status_code == 200
    assert value(scrape(client), "statuspage_snapshot_hits_total", layer="app") == before + 1


def hook(target: str) -> Subscriber:
    subscriber = Subscriber(channel="webhook", target=target, audience="public", confirmed_at=utcnow(),
                            secret="s")
    db.session.add(subscriber)
    db.session.commit()
    return subscriber


def fake_sender(job):
    if "gone" in job.target:
        raise DeliveryFailed("410 Gone", permanent=True)
    if "flaky" in job.target:
        raise DeliveryFailed("timed out")


def test_deliveries_are_counted_by_channel_and_outcome_and_the_outbox_is_measured(app, client):
    app.config.update(ALLOW_LOOPBACK_WEBHOOKS=True, RETRY_BASE_SECONDS=30, RETRY_MAX_SECONDS=60)
    for name in ("ok", "gone", "flaky"):
        hook(f"https://{name}.example.com/hook")
    open_incident(SYSTEM, name="API down", body="Looking.")
    before = scrape(client)
    assert value(before, "statuspage_outbox_events_unexpanded") == 1
    dispatch.expand_events()
    db.session.execute(update(Delivery).values(created_at=utcnow() - timedelta(minutes=5)))
    db.session.commit()
    queued = scrape(client)
    assert value(queued, "statuspage_outbox_deliveries", state="pending", channel="webhook") == 3
    assert value(queued, "statuspage_outbox_deliveries", state="pending", channel="email") == 0
    assert 299 <= value(queued, "statuspage_outbox_oldest_pending_age_seconds") < 400

    run_worker(app, once=True, sender=fake_sender, name="metrics-test-worker")
    after = scrape(client)
    for outcome in ("sent", "failed", "dead"):
        labels = {"channel": "webhook", "outcome": outcome}
        assert value(after, "statuspage_deliveries_total", **labels) \
            - value(before, "statuspage_deliveries_total", **labels) == 1, outcome
    assert value(after, "statuspage_outbox_deliveries", state="dead", channel="webhook") == 1
    assert value(after, "statuspage_outbox_deliveries", state="pending", channel="webhook") == 1
    assert value(after, "statuspage_outbox_events_unexpanded") == 0
    seen = value(after, "statuspage_worker_last_heartbeat_timestamp_seconds", worker="metrics-test-worker")
    assert abs(seen - time.time()) < 60


def test_without_a_token_only_direct_loopback_requests_may_scrape(client):
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200
    for environ, headers in (({"REMOTE_ADDR": "203.0.113.9"}, {}), ({"REMOTE_ADDR": "10.0.0.5"}, {}),
                             ({"REMOTE_ADDR": "127.0.0.1"}, {"X-Forwarded-For": "203.0.113.9"}),
                             ({"REMOTE_ADDR": "127.0.0.1"}, {"Forwarded": "for=203.0.113.9"})):
        response = client.get("/metrics", environ_base=environ, headers=headers)
        assert response.status_code == 403, (environ, headers)
        assert b"statuspage_" not in response.data


def test_with_a_token_every_scrape_must_send_it(app, client):
    app.config["METRICS_TOKEN"] = "s3cret-token"
    outside = {"REMOTE_ADDR": "203.0.113.9"}
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic s3cret-token"}):
        for environ in (outside, {"REMOTE_ADDR": "127.0.0.1"}):
            response = client.get("/metrics", environ_base=environ, headers=headers)
            assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")
    ok = client.get("/metrics", environ_base=outside, headers={"Authorization": "Bearer s3cret-token"})
    assert ok.status_code == 200 and b"statuspage_http_requests_total" in ok.data


def test_metrics_are_never_a_snapshot_nor_cached(client):
    assert snapshot.public_key("/metrics", "") is None
    response = client.get("/metrics")
    assert response.headers["Cache-Control"] == "no-store" and "ETag" not in response.headers
    assert "Set-Cookie" not in response.headers


@pytest.mark.slow
def test_gunicorn_workers_add_up_their_counters(app, tmp_path):
    """Two gunicorn worker processes with PROMETHEUS_MULTIPROC_DIR: one scrape counts the pages both served."""
    from test_processes import free_port, get

    db.session.remove()
    port, folder = free_port(), tmp_path / "prometheus"
    env = os.environ | {"STATUSPAGE_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
                        "STATUSPAGE_INSTANCE_PATH": app.instance_path, "STATUSPAGE_SECRET_KEY": app.secret_key,
                        "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    folder.mkdir()
    (folder / "counter_99999.db").write_bytes(b"left over from the last run")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:statuspage.telemetry.gunicorn_conf", "-w", "2", "--graceful-timeout", "3",
         "-b", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))), env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE)
    try:
        url, deadline = f"http://127.0.0.1:{port}", time.monotonic() + 30
        while True:
            assert server.poll() is None, server.stderr.read().decode()[-2000:]
            try:
                if get(url + "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.1)
        for _ in range(40):  # two processes share the connections: both serve some of them
            assert get(url + "/api/v2/status.json")[0] == 200
        status, _, body = get(url + "/metrics")
        assert status == 200
        samples = {(s.name, frozenset(s.labels.items())): s.value
                   for f in text_string_to_metric_families(body.decode()) for s in f.samples}
        served = sum(v for (name, labels), v in samples.items() if name == "statuspage_snapshot_hits_total") \
            + value(samples, "statuspage_snapshot_misses_total")
        assert served == 40
        assert "counter_99999.db" not in os.listdir(folder)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:  # a loaded machine: do not leave it behind
            server.kill()
            server.wait(timeout=10)

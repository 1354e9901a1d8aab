"""The public page outlives its database: with the database cut off, every public surface answers 200 with the
last good content (from a warmed process, and from one started after the cut, through the snapshots kept in the
instance folder); the outage is logged once a minute, not once a request; /readyz says 503 while /healthz and
the page stay 200; when the database returns, a new incident shows within a second."""
import logging
import time

import pytest
from conftest import PG_URL, make_app
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from tcp_proxy import TcpProxy

from statuspage import create_app
from statuspage.domain import components, incidents
from statuspage.domain.recording import SYSTEM
from statuspage.extensions import db
from statuspage.snapshot import PublicVersion

V2 = ["/api/v2/summary.json", "/api/v2/status.json", "/api/v2/components.json", "/api/v2/incidents.json",
      "/api/v2/incidents/unresolved.json", "/api/v2/scheduled-maintenances.json",
      "/api/v2/scheduled-maintenances/upcoming.json", "/api/v2/scheduled-maintenances/active.json"]


def seed() -> list[str]:
    api = components.create_component(SYSTEM, name="Checkout API")
    opened = incidents.open_incident(SYSTEM, name="Checkout is slow", body="Looking into it.",
                                     components={api.id: "partial_outage"})
    return ["/", "/history", f"/incidents/{opened.id}", *V2, "/history.rss", "/history.atom", "/maintenance.ics"]


@pytest.fixture
def unreachable(monkeypatch):
    """Every new database connection of the version check fails, as when the server refuses connections."""
    def cut():
        def refuse(self):
            raise OperationalError("connect", {}, ConnectionRefusedError("connection refused"))
        monkeypatch.setattr(PublicVersion, "_connect", refuse)
    return cut


def test_a_warm_process_serves_the_last_snapshot_marked_stale_when_the_version_cannot_be_read(
        app, client, unreachable):
    paths = seed()
    before = {p: client.get(p) for p in paths}
    unreachable()
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.data == before[path].data, path
        assert response.headers["X-Snapshot"] == "stale", path


def test_a_process_started_during_the_outage_serves_the_snapshots_kept_on_disk(app, client, tmp_path, unreachable):
    paths = seed()
    before = {p: client.get(p).data for p in paths}
    unreachable()
    later = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                        "INSTANCE_PATH": app.instance_path, "SECRET_KEY": app.secret_key,
                        "SNAPSHOT_VERSION_TTL": 0, "RATELIMIT_ENABLED": False})
    fresh_client = later.test_client()
    for path in paths:
        response = fresh_client.get(path)
        assert response.status_code == 200, path
        assert response.data == before[path], path
    never_seen = fresh_client.get("/history?page=3")
    assert never_seen.status_code == 503
    assert "cannot reach its database" in never_seen.get_data(as_text=True)


def test_the_outage_is_logged_once_a_minute_not_once_a_request(app, client, unreachable, caplog):
    seed()
    client.get("/")
    unreachable()
    with caplog.at_level(logging.WARNING, logger="statuspage.snapshot"):
        for _ in range(20):
            assert client.get("/").status_code == 200
    assert len([r for r in caplog.records if "database unreachable" in r.getMessage()]) == 1


def test_health_says_alive_and_readiness_follows_the_database(app, client, unreachable):
    seed()
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["database"] == "ok"
    assert ready.headers["Cache-Control"] == "no-store"
    client.get("/")
    unreachable()
    assert client.get("/readyz").status_code == 503
    assert client.get("/healthz").status_code == 200
    assert client.get("/").status_code == 200


@pytest.fixture
def proxied_database():
    """PostgreSQL behind a TCP proxy the test can cut."""
    if not PG_URL:
        pytest.skip("PostgreSQL-only (a real server cut off behind a proxy); runs in the PostgreSQL pass")
    url = make_url(PG_URL)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    yield proxy, url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    proxy.close()


def test_postgresql_cut_off_every_public_surface_stays_up_and_a_new_incident_shows_within_a_second(
        tmp_path, proxied_database):
    proxy, url = proxied_database
    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=url, SNAPSHOT_VERSION_TTL=0.5)
    with app.app_context():
        paths = seed()
        client = app.test_client()
        before = {p: client.get(p).data for p in paths}
        db.session.remove()

        proxy.cut()
        time.sleep(0.6)
        for path in paths:
            response = client.get(path)
            assert (response.status_code, response.data) == (200, before[path]), path
            assert response.headers["X-Snapshot"] == "stale"
        assert client.get("/readyz").status_code == 503

        started_later = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": app.secret_key,
                                    "INSTANCE_PATH": app.instance_path, "RATELIMIT_ENABLED": False})
        for path in paths:
            response = started_later.test_client().get(path)
            assert (response.status_code, response.data) == (200, before[path]), path

        proxy.restore()
        incidents.open_incident(SYSTEM, name="Payments delayed", body="Investigating.")
        written = time.monotonic()
        while b"Payments delayed" not in client.get("/").data:
            assert time.monotonic() - written < 1.0, "a new incident must show within a second"
            time.sleep(0.05)
        assert client.get("/readyz").status_code == 200

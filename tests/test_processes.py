"""Two real gunicorn processes over one database, as in production: they serve the same bytes with the same
ETag, each answers 304 to the other's ETag, and a write shows in both within a second (the version check's TTL
is the production default here, not the suite's 0)."""
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from statuspage.domain import components, incidents
from statuspage.domain.recording import SYSTEM
from statuspage.extensions import db

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture
def two_processes(app, tmp_path):
    env = os.environ | {"STATUSPAGE_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
                        "STATUSPAGE_INSTANCE_PATH": app.instance_path, "STATUSPAGE_SECRET_KEY": app.secret_key,
                        "STATUSPAGE_PUBLIC_URL": "http://status.test"}
    env.pop("STATUSPAGE_SNAPSHOT_VERSION_TTL", None)
    servers, urls = [], []
    for _ in range(2):
        port = free_port()
        servers.append(subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", "1", "--threads", "4", "-b", f"127.0.0.1:{port}", "wsgi:app"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url, server in zip(urls, servers, strict=True):
            deadline = time.monotonic() + 30
            while True:
                assert server.poll() is None, server.stderr.read().decode()[-2000:]
                try:
                    if get(url + "/healthz")[0] == 200:
                        break
                except OSError:
                    pass
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.1)
        yield urls
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)


def test_two_processes_serve_one_etag_answer_each_others_304_and_show_a_write_within_a_second(app, two_processes):
    api_id = components.create_component(SYSTEM, name="Checkout API").id
    db.session.remove()
    a, b = two_processes
    if time.time() % 60 > 50:  # the page renders again each minute: keep both reads in one window
        time.sleep(61 - time.time() % 60)
    for path in ("/", "/api/v2/summary.json", "/history.rss"):
        status_a, headers_a, body_a = get(a + path, {"Accept-Encoding": "gzip"})
        status_b, headers_b, body_b = get(b + path, {"Accept-Encoding": "gzip"})
        assert status_a == status_b == 200, path
        assert headers_a["ETag"] == headers_b["ETag"] and body_a == body_b, path
        for url in (a, b):
            conditional = get(url + path, {"Accept-Encoding": "gzip", "If-None-Match": headers_a["ETag"]})
            assert conditional[0] == 304, (url, path)

    incidents.open_incident(SYSTEM, name="Payments delayed", body="Investigating.",
                            components={api_id: "major_outage"})
    db.session.remove()
    written = time.monotonic()
    pending = {a, b}
    while pending:
        for url in list(pending):
            if b"Payments delayed" in get(url + "/")[2]:
                pending.discard(url)
        assert time.monotonic() - written < 1.0, f"not visible within 1 s in {pending}"
        time.sleep(0.02)

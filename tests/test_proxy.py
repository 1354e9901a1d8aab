"""Behind a reverse proxy or CDN: STATUSPAGE_TRUSTED_PROXIES says how many hops' X-Forwarded-* to believe.

With none (the default) a client cannot pick its own address with X-Forwarded-For; with one, each client behind
the proxy has its own rate-limit bucket and the audit trail names it, not the proxy."""
import os
import subprocess
import sys

import pytest
from conftest import make_app

from statuspage.extensions import db
from statuspage.models import AuditEntry

PROXY = "10.0.0.1"
ALICE, BOB = "203.0.113.5", "198.51.100.7"
# A moving window, so the eleven posts cannot straddle a fixed window's reset and all pass.
# The per-address limit of /subscribe is under test; the tighter chat/webhook limits are tested elsewhere.
LIMITED = {"RATELIMIT_ENABLED": True, "RATELIMIT_STRATEGY": "moving-window",
           "SUBSCRIBE_HOOK_LIMIT_PER_CLIENT": "100 per minute", "SUBSCRIBE_HOOK_LIMIT_PER_HOST": "100 per minute"}


@pytest.fixture
def proxied_app(tmp_path, request):
    """An app with rate limits on and ``request.param`` trusted proxies; its context is pushed."""
    app = make_app(tmp_path, TRUSTED_PROXIES=request.param, **LIMITED)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def failed_sign_in(client, forwarded_for: str | None = None):
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return client.post("/login", data={"email": "nobody@example.com", "password": "not a password"},
                       headers=headers, environ_base={"REMOTE_ADDR": PROXY})


def sign_in_addresses() -> list[str]:
    db.session.expire_all()
    entries = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "user.sign_in_failed")
                                 .order_by(AuditEntry.id)).all()
    return [entry.after["address"] for entry in entries]


@pytest.mark.parametrize("proxied_app", [0], indirect=True)
def test_without_trusted_proxies_a_forged_forwarded_for_neither_dodges_the_limit_nor_lands_in_the_audit(
        proxied_app):
    client = proxied_app.test_client()
    codes = [failed_sign_in(client, f"192.0.2.{n}").status_code for n in range(11)]
    assert codes[:10] == [401] * 10
    assert codes[10] == 429
    assert sign_in_addresses() == [PROXY] * 10


@pytest.mark.parametrize("proxied_app", [1], indirect=True)
def test_behind_one_proxy_two_clients_get_their_own_sign_in_limit_and_audit_address(proxied_app):
    client = proxied_app.test_client()
    alice = [failed_sign_in(client, ALICE).status_code for _ in range(11)]
    assert alice[:10] == [401] * 10
    assert alice[10] == 429
    assert failed_sign_in(client, BOB).status_code == 401  # Bob is not throttled for Alice's attempts
    assert sign_in_addresses() == [ALICE] * 10 + [BOB]


@pytest.mark.parametrize("proxied_app", [1], indirect=True)
def test_behind_one_proxy_only_the_address_the_proxy_appended_is_believed(proxied_app):
    client = proxied_app.test_client()
    # The client sent "X-Forwarded-For: 192.0.2.99" itself; the proxy appended the address it really saw.
    failed_sign_in(client, f"192.0.2.99, {ALICE}")
    assert sign_in_addresses() == [ALICE]


@pytest.mark.parametrize("proxied_app", [1], indirect=True)
def test_behind_one_proxy_subscribers_get_their_own_sign_up_limit(proxied_app):
    client = proxied_app.test_client()

    def subscribe(address: str, n: int) -> int:
        data = {"channel": "webhook", "webhook_url": f"https://h{n}.example.com/", "scope": "all",
                "min_impact": "none"}
        return client.post("/subscribe", data=data, headers={"X-Forwarded-For": address},
                           environ_base={"REMOTE_ADDR": PROXY}).status_code

    alice = [subscribe(ALICE, n) for n in range(11)]
    assert 429 not in alice[:10] and alice[10] == 429
    assert subscribe(BOB, 11) != 429


def test_trusted_proxies_is_read_from_the_environment(monkeypatch, tmp_path):
    from statuspage.config import build_config

    monkeypatch.setenv("STATUSPAGE_TRUSTED_PROXIES", "2")
    assert build_config({"INSTANCE_PATH": str(tmp_path)})["TRUSTED_PROXIES"] == 2
    monkeypatch.delenv("STATUSPAGE_TRUSTED_PROXIES")
    assert build_config({"INSTANCE_PATH": str(tmp_path)})["TRUSTED_PROXIES"] == 0


@pytest.mark.parametrize("value", ["many", "-1"])
def test_a_bad_trusted_proxies_value_stops_start_up_with_one_line(tmp_path, value):
    env = dict(os.environ, STATUSPAGE_TRUSTED_PROXIES=value, STATUSPAGE_INSTANCE_PATH=str(tmp_path))
    result = subprocess.run([sys.executable, "-c", "from statuspage.config import build_config; build_config()"],
                            env=env, capture_output=True, text=True, timeout=60)
    lines = result.stderr.strip().splitlines()
    assert result.returncode != 0
    assert len(lines) == 1 and "STATUSPAGE_TRUSTED_PROXIES" in lines[0]  # one line, no traceback

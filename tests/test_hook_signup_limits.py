"""Anonymous chat and webhook sign-ups on /subscribe (each makes the worker contact a host the visitor chose)
are rate-limited per client address and per target host, with a clear 429 page (issue 7, finding 1)."""
import pytest
from conftest import make_app

from statuspage.extensions import db


@pytest.fixture
def limited(tmp_path):
    """``limited(per_client, per_host)`` → an app with rate limits on and these chat/webhook sign-up limits."""
    apps = []

    def build(per_client: str, per_host: str):
        app = make_app(tmp_path / str(len(apps)), RATELIMIT_ENABLED=True, RATELIMIT_STRATEGY="moving-window",
                       SUBSCRIBE_HOOK_LIMIT_PER_CLIENT=per_client, SUBSCRIBE_HOOK_LIMIT_PER_HOST=per_host)
        apps.append(app)
        return app

    yield build
    for app in apps:
        with app.app_context():
            db.engine.dispose()


def sign_up(client, channel: str, target: str, address: str = "198.51.100.7"):
    return client.post("/subscribe", data={"channel": channel, f"{channel}_url": target, "scope": "all",
                                           "min_impact": "none"}, environ_base={"REMOTE_ADDR": address})


def test_anonymous_chat_and_webhook_signups_are_limited_per_client(limited):
    client = limited("2 per minute", "100 per minute").test_client()
    assert sign_up(client, "chat", "json://a.example.com/hook").status_code == 200
    assert sign_up(client, "webhook", "https://b.example.com/hook").status_code == 200
    refused = sign_up(client, "chat", "json://c.example.com/hook")
    assert refused.status_code == 429 and refused.headers.get("Retry-After")
    assert "Too many chat and webhook sign-ups from your network" in refused.get_data(as_text=True)
    assert sign_up(client, "chat", "json://c.example.com/hook", address="198.51.100.8").status_code == 200
    # Other channels only count against the general limit.
    assert sign_up(client, "email", "ana@example.com").status_code != 429


def test_anonymous_webhook_signups_are_limited_per_target_host(limited):
    client = limited("100 per minute", "2 per minute").test_client()
    assert sign_up(client, "webhook", "https://hooks.example.com/a", "198.51.100.1").status_code == 200
    assert sign_up(client, "webhook", "https://hooks.example.com/b", "198.51.100.2").status_code == 200
    # Case, credentials and port do not make another host.
    refused = sign_up(client, "chat", "json://user:pw@HOOKS.example.com:8443/c", "198.51.100.3")
    assert refused.status_code == 429
    assert "Too many chat and webhook sign-ups for this host" in refused.get_data(as_text=True)
    assert sign_up(client, "webhook", "https://other.example.com/a", "198.51.100.4").status_code == 200

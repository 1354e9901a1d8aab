"""SSRF table (issue 7, finding 1): disguised private chat and webhook targets are refused on subscribing
through every door (public page, console, management API) and again on sending, with no connection made.

Every host here reads as loopback, private, link-local, CGNAT, unique-local or unspecified to the system
resolver, and the original code accepted it on subscribing: numeric forms other than a dotted quad, 6to4 with
an embedded private IPv4, and names that resolve to private addresses (stubbed, see ``egress_stubs``).
Refused sign-ups write nothing, so one site serves the whole table.
"""
import pytest
from conftest import make_app
from egress_stubs import STUB_ANSWERS, chat_message, webhook_message
from werkzeug.security import generate_password_hash

from notifiers import SendConfig, TransportError, send
from statuspage.domain import tokens
from statuspage.domain.recording import SYSTEM
from statuspage.extensions import db
from statuspage.models import Site, Subscriber, User

# Apprise itself rejects a few numeric forms in chat URLs (0177.0.0.1, 127.1); webhooks take them all.
CHAT_HOSTS = ["2130706433", "0x7f000001", "017700000001", "127.000.000.001", "167772161", "0xa9fea9fe",
              "2852039166", "1681915905", "[2002:7f00:1::]", *STUB_ANSWERS]
WEBHOOK_HOSTS = [*CHAT_HOSTS, "0177.0.0.1", "127.1", "127.0.1", "0x7f.1", "0"]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """One site for the table: a signed-in manager's client and a manager's API key."""
    app = make_app(tmp_path_factory.mktemp("ssrf"))
    with app.app_context():
        user = User(email="manager@example.com", role="manager",
                    password_hash=generate_password_hash("correct horse battery staple"))
        db.session.add(user)
        db.session.commit()
        key = tokens.issue_token(SYSTEM, user, "script")[1]
        page_id, user_id = Site.get().page_id, user.id
        db.session.commit()
    yield app, page_id, user_id, {"Authorization": f"OAuth {key}"}
    with app.app_context():
        db.engine.dispose()


def subscribe_everywhere(site, channel: str, target: str) -> None:
    """Subscribe ``target`` through the public page, the console and the API: each answers 422 with the reason."""
    app, page_id, user_id, headers = site
    visitor, manager = app.test_client(), app.test_client()
    with manager.session_transaction() as session:
        session["_user_id"], session["_fresh"] = str(user_id), True
    public = visitor.post("/subscribe", data={"channel": channel, f"{channel}_url": target, "scope": "all",
                                              "min_impact": "none"})
    console = manager.post("/admin/subscribers", data={"channel": channel, "target": target, "audience": "public",
                                                       "scope": "all", "min_impact": "none"})
    api = visitor.post(f"/v1/pages/{page_id}/subscribers", headers=headers,
                       json={"subscriber": {"endpoint": target}})
    assert public.status_code == 422 and "use a public host" in public.get_data(as_text=True)
    assert console.status_code == 422 and "use a public host" in console.get_data(as_text=True)
    assert api.status_code == 422 and "use a public host" in api.get_json()["error"]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Subscriber)) == 0


@pytest.mark.parametrize("host", CHAT_HOSTS)
def test_disguised_private_chat_targets_are_refused_on_subscribing_and_on_sending(
        host, site, dns, connections, http_sink):
    target = f"json://{host}:{http_sink.port}/hook"
    subscribe_everywhere(site, "chat", target)
    with pytest.raises(TransportError) as refused:
        send(chat_message(), target, SendConfig())
    assert refused.value.permanent and "private" in refused.value.reason
    assert http_sink.requests == [] and connections == []


@pytest.mark.parametrize("host", WEBHOOK_HOSTS)
def test_disguised_private_webhook_targets_are_refused_on_subscribing_and_on_sending(
        host, site, dns, connections, http_sink):
    target = f"https://{host}:{http_sink.port}/hook"
    subscribe_everywhere(site, "webhook", target)
    with pytest.raises(TransportError) as refused:
        send(webhook_message(), target, SendConfig(webhook_secret="whsec"))
    assert refused.value.permanent and "private" in refused.value.reason
    assert http_sink.requests == [] and connections == []

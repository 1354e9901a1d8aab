"""One public address for every absolute link: STATUSPAGE_PUBLIC_URL, else the console's setting, else the
address `statuspage serve` serves on; the console says which is in effect and why."""
import pytest

from statuspage.domain import incidents, subscriptions
from statuspage.domain.public_address import public_address, served_url
from statuspage.domain.recording import SYSTEM
from statuspage.domain.site_settings import update_site
from statuspage.extensions import db


@pytest.fixture
def unset(app):
    """No STATUSPAGE_PUBLIC_URL (the tests' app sets one); email set up, for subscription links."""
    app.config.update(PUBLIC_URL="", SMTP_URL="smtp://127.0.0.1:9")
    return app


def _links(client, incident_id: str) -> dict:
    subscriber = subscriptions.subscribe("email", "reader@example.com").subscriber
    return {"atom": client.get("/history.atom").text,
            "summary": client.get("/api/v2/incidents.json").json,
            "manage": subscriptions.subscription_links(subscriber)["manage_url"],
            "incident_id": incident_id}


def test_make_run_on_another_port_puts_that_port_in_every_link(unset, runner, client, monkeypatch, web):
    served = {}
    monkeypatch.setattr("statuspage.cli.setup.run_simple", lambda host, port, app, **kw: served.update(port=port))
    result = runner.invoke(args=["serve", "--port", "5077", "--no-worker"])
    assert result.exit_code == 0 and served == {"port": 5077}
    assert "public links start with http://127.0.0.1:5077 (from the address this server is serving on)" \
        in result.output
    incident = incidents.open_incident(SYSTEM, name="Errors", components={web.id: "major_outage"}, body="Looking.")
    links = _links(client, incident.id)
    assert f"http://127.0.0.1:5077/incidents/{incident.id}" in links["atom"]
    assert links["summary"]["page"]["url"] == "http://127.0.0.1:5077"
    assert links["summary"]["incidents"][0]["shortlink"] == f"http://127.0.0.1:5077/incidents/{incident.id}"
    assert links["manage"].startswith("http://127.0.0.1:5077/subscriptions/")
    assert ":5000" not in links["atom"]


def test_the_setting_wins_over_the_served_address_and_the_environment_over_both(unset, app):
    app.config["SERVED_URL"] = "http://127.0.0.1:5077"
    assert public_address() == public_address().__class__("http://127.0.0.1:5077", "served")
    update_site(SYSTEM, url="https://status.acme.test/")
    assert (public_address().url, public_address().source) == ("https://status.acme.test", "setting")
    app.config["PUBLIC_URL"] = "https://status.example.com"
    assert (public_address().url, public_address().source) == ("https://status.example.com", "environment")


def test_without_any_the_default_is_used_and_said_so(unset):
    address = public_address()
    assert (address.url, address.source) == ("http://127.0.0.1:5000", "default")


@pytest.mark.parametrize("host,url", [("127.0.0.1", "http://127.0.0.1:8080"), ("::1", "http://[::1]:8080"),
                                      ("status.internal", "http://status.internal:8080")])
def test_the_served_address_is_a_usable_url(host, url):
    assert served_url(host, 8080) == url


def test_a_wildcard_host_names_this_machine():
    assert "0.0.0.0" not in served_url("0.0.0.0", 80)  # noqa: S104


def test_settings_show_which_address_is_in_effect_and_where_it_comes_from(unset, client, login):
    login("admin")
    app = client.application
    app.config["SERVED_URL"] = "http://127.0.0.1:5077"
    page = client.get("/admin/settings").text
    assert "In effect now: <strong>http://127.0.0.1:5077</strong> — from the address this server is serving on" \
        in page
    update_site(SYSTEM, url="https://status.acme.test")
    db.session.commit()
    assert "<strong>https://status.acme.test</strong> — from the Public URL setting" in client.get("/admin/settings").text
    app.config["PUBLIC_URL"] = "https://status.example.com"
    page = client.get("/admin/settings").text
    assert "<strong>https://status.example.com</strong> — from the environment variable STATUSPAGE_PUBLIC_URL, " \
           "which takes precedence over the setting" in page

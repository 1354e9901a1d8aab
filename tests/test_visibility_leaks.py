"""Staff-only things stay staff-only through every surface, whatever happens to them later.

Each leak (issue 7, finding 2) is checked on every public surface: every parameterless public GET route (page,
history, v2 JSON, feeds, calendar, badges), the incident pages, and every outbox notification rendered for a
public subscriber on each channel. Each test carries unique markers and fails if one shows anywhere.
"""
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from notifiers.render import render
from statuspage import dispatch
from statuspage.domain import components as component_rules
from statuspage.domain import incidents as incident_rules
from statuspage.domain import maintenance as maintenance_rules
from statuspage.domain import subscriptions
from statuspage.domain.recording import SYSTEM, DomainError
from statuspage.extensions import db
from statuspage.models import Component, Delivery, IncidentUpdate, NotificationEvent, Subscriber
from statuspage.models.columns import utcnow
from statuspage.notifications import build_context

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "notifications"
REQUIRED = {"/", "/history", "/history.rss", "/history.atom", "/maintenance.ics", "/api/v2/summary.json",
            "/api/v2/components.json", "/api/v2/incidents.json", "/api/v2/scheduled-maintenances.json"}
PRIVATE_PREFIXES = ("/admin", "/internal", "/login", "/logout", "/account", "/v1/", "/static/", "/subscri")


def public_surfaces(app, incident_ids=()) -> dict[str, str]:
    """What an anonymous reader can get: every parameterless public GET route and the given incident pages."""
    reader = app.test_client()
    paths = [rule.rule for rule in app.url_map.iter_rules()
             if "GET" in rule.methods and not rule.arguments and not rule.rule.startswith(PRIVATE_PREFIXES)]
    assert REQUIRED <= set(paths)
    texts = {}
    for path in paths + [f"/incidents/{i}" for i in incident_ids]:
        response = reader.get(path)
        assert response.status_code in (200, 404), f"{path} answered {response.status_code}"
        texts[path] = response.get_data(as_text=True)
    return texts


@pytest.fixture(autouse=True)
def public_readers(app):
    """A confirmed public subscriber on each channel, following everything, there before any event."""
    app.config["SMTP_URL"] = "mailto://127.0.0.1:2525?from=status@example.com"
    app.config["SMS_URL"] = "twilio://sid:token@15550001111"
    targets = {"email": "reader@example.com", "sms": "+14155550100", "chat": "json://chat.example.com/r",
               "webhook": "https://hooks.example.com/reader"}
    db.session.add_all(Subscriber(channel=channel, target=target, audience="public", confirmed_at=utcnow(),
                                  secret="s") for channel, target in targets.items())
    db.session.commit()


def public_notifications() -> dict[str, str]:
    """Every notification the public readers get, rendered as the worker would render it now. Events are
    expanded only now, after everything happened: the latest moment, when the most has changed."""
    dispatch.expand_events()
    texts = {}
    rows = db.session.execute(select(Delivery, NotificationEvent, Subscriber)
                              .join(NotificationEvent, NotificationEvent.id == Delivery.event_id)
                              .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
                              .where(Subscriber.audience == "public", Subscriber.confirmed_at.is_not(None)))
    for _, event, reader in rows:
        message = render(event.kind, reader.channel, build_context(event, reader), TEMPLATES)
        texts[f"{event.kind} #{event.id} by {reader.channel}"] = " ".join(
            str(part) for part in (message.subject, message.text, message.html, message.markdown,
                                   message.payload))
    return texts


def everywhere(app, incident_ids=()) -> dict[str, str]:
    return public_surfaces(app, incident_ids) | public_notifications()


def assert_nowhere(texts: dict[str, str], *markers: str) -> None:
    leaks = [f"{marker!r} on {where}" for where, text in texts.items() for marker in markers if marker in text]
    assert not leaks, "leaked: " + "; ".join(leaks)


def assert_somewhere(texts: dict[str, str], marker: str, where: str) -> None:
    assert marker in texts[where], f"{marker!r} should be on {where}"


# --- 1. updates keep the audience they were written for -----------------------------------------------------

@pytest.fixture
def staff_only_incident(app, web):
    """An internal incident on a public component, with staff-only text written through the domain, the
    console and the management API (none of which says "internal": the incident is)."""
    incident = incident_rules.open_incident(SYSTEM, name="Vw1 Ledger drift", body="Vw2 blame the deploy",
                                            visibility="internal", components={web.id: "major_outage"})
    incident_rules.post_update(SYSTEM, incident.id, status="identified", body="Vw3 customer X complained")
    return incident


def test_an_internal_incident_made_public_shows_only_what_was_written_for_the_public(
        app, client, login, v1, api_key, staff_only_incident):
    incident = staff_only_incident
    login("manager")
    posted = client.post(f"/admin/incidents/{incident.id}/updates", data={
        "update-status": "monitoring", "update-body": "Vw4 console update while internal", "update-notify": "y"})
    assert posted.status_code == 302
    patched = v1(api_key("manager", "ops@example.com"))(
        "patch", f"incidents/{incident.id}", json={"incident": {"body": "Vw5 api update while internal"}})
    assert patched.status_code == 200

    made_public = client.post(f"/admin/incidents/{incident.id}/edit", data={
        "edit-revision": db.session.get(type(incident), incident.id).revision, "edit-name": "Ledger drift",
        "edit-impact": "major", "edit-visibility": "public", "edit-public_body": "Vw6 We are looking into it",
        "edit-notify_public": "y"})
    assert made_public.status_code == 302

    texts = everywhere(app, [incident.id])
    assert_nowhere(texts, "Vw2", "Vw3", "Vw4", "Vw5")
    assert_somewhere(texts, "Vw6 We are looking into it", f"/incidents/{incident.id}")
    assert_somewhere(texts, "Vw6 We are looking into it", "/api/v2/incidents.json")
    assert any("Vw6" in text for where, text in texts.items() if " by " in where)  # public subscribers told
    stored = db.session.scalars(select(IncidentUpdate.visibility).where(IncidentUpdate.incident_id == incident.id)
                                .order_by(IncidentUpdate.created_at)).all()
    assert stored == ["internal"] * 4 + ["public"]


def test_a_postmortem_written_while_internal_stays_internal(app, staff_only_incident):
    incident = staff_only_incident
    incident_rules.resolve_incident(SYSTEM, incident.id, body="Vw11 fixed by hand")
    incident_rules.publish_postmortem(SYSTEM, incident.id, "Vw12 root cause was Bob")
    incident_rules.update_incident(SYSTEM, incident.id, visibility="public",
                                   public_body="Vw13 Earlier today some payments were slow")
    texts = everywhere(app, [incident.id])
    assert_nowhere(texts, "Vw2", "Vw3", "Vw11", "Vw12")
    assert_somewhere(texts, "Vw13", f"/incidents/{incident.id}")
    told = {where.split(" #")[0] for where in texts if " by " in where}
    assert told == {"incident.resolved"}  # the publication only: nothing written while internal


def test_the_incident_stays_internal_until_its_first_public_update_is_written(app, client, login,
                                                                               staff_only_incident):
    incident = staff_only_incident
    with pytest.raises(DomainError) as refused:
        incident_rules.update_incident(SYSTEM, incident.id, visibility="public")
    assert refused.value.field == "public_body"
    login("manager")
    page = client.post(f"/admin/incidents/{incident.id}/edit", data={
        "edit-revision": incident.revision, "edit-name": incident.name, "edit-impact": "major",
        "edit-visibility": "public"})
    assert page.status_code == 422 and "first public update" in page.get_data(as_text=True)
    assert db.session.get(type(incident), incident.id).visibility == "internal"
    assert_nowhere(everywhere(app, [incident.id]), "Vw1", "Vw2", "Vw3")


def test_an_internal_maintenance_made_public_keeps_its_staff_only_timeline(app, web):
    start = utcnow().replace(microsecond=0)
    window = maintenance_rules.schedule_maintenance(
        SYSTEM, name="Vw7 Vault rotation", body="Vw8 rotate the keys", component_ids=[web.id],
        scheduled_for=start + timedelta(days=1), scheduled_until=start + timedelta(days=1, hours=1),
        visibility="internal")
    maintenance_rules.reschedule_maintenance(SYSTEM, window.id, start + timedelta(days=2),
                                             start + timedelta(days=2, hours=1), body="Vw9 moved for Bob")
    incident_rules.update_incident(SYSTEM, window.id, name="Database upgrade", visibility="public",
                                   public_body="Vw10 A short database upgrade")
    texts = everywhere(app, [window.id])
    assert_nowhere(texts, "Vw8", "Vw9")
    assert_somewhere(texts, "Vw10", "/maintenance.ics")
    assert_somewhere(texts, "Vw10", f"/incidents/{window.id}")


# --- 2. a component in an internal group is internal, and nothing becomes public unasked -----------------

@pytest.fixture
def back_office(app, web):
    """An internal group whose child was created with the default visibility (public), plus a public
    incident that affects both a public component and the child (its notification is in the outbox)."""
    group = component_rules.create_group(SYSTEM, name="Vg1 Back office", visibility="internal")
    payroll = component_rules.create_component(SYSTEM, name="Vg2 Payroll", description="Vg3 pays people",
                                               group_id=group.id)
    incident = incident_rules.open_incident(SYSTEM, name="Slow pages", body="Looking",
                                            components={web.id: "partial_outage", payroll.id: "major_outage"})
    return group, payroll, incident


def test_a_component_in_an_internal_group_is_stored_internal(back_office):
    group, payroll, _ = back_office
    assert payroll.visibility == "internal"
    with pytest.raises(DomainError) as refused:
        component_rules.update_component(SYSTEM, payroll.id, visibility="public")
    assert refused.value.field == "visibility"


def test_deleting_an_internal_group_through_the_api_keeps_its_components_internal(app, v1, api_key,
                                                                                  back_office):
    group, payroll, incident = back_office
    assert v1(api_key("manager"))("delete", f"component-groups/{group.id}").status_code == 200
    assert_nowhere(everywhere(app, [incident.id]), "Vg1", "Vg2", "Vg3", payroll.id)
    assert db.session.get(Component, payroll.id).visibility == "internal"


def test_taking_a_component_out_of_an_internal_group_keeps_it_internal(app, v1, api_key, back_office, web):
    group, payroll, incident = back_office
    other = component_rules.create_component(SYSTEM, name="Vg4 Ledger", group_id=group.id)
    response = v1(api_key("manager"))("patch", f"component-groups/{group.id}",
                                      json={"component_group": {"components": [other.id]}})
    assert response.status_code == 200
    moved = v1(api_key("manager", "two@example.com"))("patch", f"components/{other.id}",
                                                       json={"component": {"group_id": None}})
    assert moved.status_code == 200
    assert_nowhere(everywhere(app, [incident.id]), "Vg1", "Vg2", "Vg3", "Vg4", payroll.id, other.id)


def test_the_console_names_what_would_become_public_and_keeps_it_internal_by_default(app, client, login,
                                                                                      back_office):
    group, payroll, incident = back_office
    login("manager")
    confirm = client.get(f"/admin/groups/{group.id}/delete").get_data(as_text=True)
    assert "Vg2 Payroll" in confirm and "stay internal" in confirm
    form = client.get(f"/admin/groups/{group.id}").get_data(as_text=True)
    assert "Vg2 Payroll" in form and "publish_components" in form

    made_public = client.post(f"/admin/groups/{group.id}", data={
        "revision": group.revision, "name": "Back office", "visibility": "public",
        "component_ids": [payroll.id]})
    assert made_public.status_code == 302
    assert db.session.get(Component, payroll.id).visibility == "internal"
    assert_nowhere(everywhere(app, [incident.id]), "Vg2", "Vg3", payroll.id)

    assert client.post(f"/admin/groups/{group.id}/delete", data={}).status_code == 302
    assert_nowhere(everywhere(app, [incident.id]), "Vg2", "Vg3", payroll.id)


def test_publishing_the_components_of_a_group_is_an_explicit_choice(app, client, login, back_office):
    group, payroll, incident = back_office
    login("manager")
    kept_internal = client.post(f"/admin/groups/{group.id}", data={
        "revision": group.revision, "name": "Back office", "visibility": "internal",
        "component_ids": [payroll.id], "publish_components": "y"})
    assert kept_internal.status_code == 422
    published = client.post(f"/admin/groups/{group.id}", data={
        "revision": group.revision, "name": "Back office", "visibility": "public",
        "component_ids": [payroll.id], "publish_components": "y"})
    assert published.status_code == 302
    assert "Vg2 Payroll" in public_surfaces(app, [incident.id])["/api/v2/components.json"]


# --- 3. chat and webhook secrets stay with admins ------------------------------------------------------------

SLACK = "slack://T0SECRETA/B0SECRETB/Vs1tokentokentokentoken"
HOOK = "https://hooks.example.com/in/Vs2hooksecret?key=Vs3querysecret"


@pytest.fixture
def secret_targets(app):
    subscriptions.subscribe("chat", SLACK, "internal", confirmed=True)
    subscriptions.subscribe("webhook", HOOK, confirmed=True)


@pytest.mark.parametrize("role", ["viewer", "manager"])
def test_only_an_admin_key_reads_chat_and_webhook_secrets(app, v1, api_key, role, secret_targets):
    api = v1(api_key(role))
    listed = api("get", "subscribers?state=all")
    assert listed.status_code == 200 and len(listed.get_json()) == 6  # with the four public readers
    ones = [api("get", f"subscribers/{s['id']}").get_data(as_text=True) for s in listed.get_json()]
    bodies = listed.get_data(as_text=True) + "".join(ones)
    for secret in ("Vs1", "Vs2", "Vs3", "B0SECRETB"):
        assert secret not in bodies
    assert {s["endpoint"] for s in listed.get_json()} == {
        None, "slack://T0SECRETA/…", "https://hooks.example.com/…", "json://chat.example.com/…"}
    assert api("get", "subscribers?state=all&q=Vs1tok").get_json() == []  # no guessing by search
    assert api("get", "subscribers?state=all&q=in/Vs2").get_json() == []
    assert len(api("get", "subscribers?state=all&q=hooks.example").get_json()) == 2

    admin = v1(api_key("admin"))("get", "subscribers?state=all").get_json()
    assert {SLACK, HOOK} <= {s["endpoint"] for s in admin}


def test_no_surface_shows_a_subscriber_secret(app, client, login, secret_targets):
    login("viewer")
    console = client.get("/admin/subscribers?q=Vs1").get_data(as_text=True)
    assert "T0SECRETA" not in console  # the search did not match the hidden part
    texts = everywhere(app) | {"console": client.get("/admin/subscribers").get_data(as_text=True)}
    assert_nowhere(texts, "Vs1", "Vs2", "Vs3")

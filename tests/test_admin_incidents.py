"""The console's incident pages: opening, updating, noting, resolving, editing, and what bad input does."""
import pytest
from flask import g
from sqlalchemy import select

from statuspage.domain import components as components_domain
from statuspage.domain import incidents as domain
from statuspage.domain.overview import load_overview
from statuspage.domain.recording import SYSTEM
from statuspage.domain.visibility import visible_updates
from statuspage.extensions import db
from statuspage.models import (
    AuditEntry,
    Component,
    ComponentStatusChange,
    Incident,
    IncidentTemplate,
    IncidentUpdate,
    NotificationEvent,
    Site,
)


@pytest.fixture
def parts(app):
    api = components_domain.create_component(SYSTEM, name="API")
    web = components_domain.create_component(SYSTEM, name="Web")
    return api, web


@pytest.fixture
def incident(parts):
    return domain.open_incident(SYSTEM, name="API errors", body="Looking into it.",
                                components={parts[0].id: "partial_outage"})


def opening(parts, **overrides):
    api, web = parts
    data = {"name": "Checkout failing", "status": "investigating", "impact": "", "itil_impact": "1",
            "itil_urgency": "2", "visibility": "public", "body": "We are **investigating**.", "notify": "y",
            f"component-{api.id}": "major_outage", f"component-{web.id}": "degraded_performance",
            "submit": "Open incident"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def forget_current_user():
    """Requests share the test's app context, so Flask-Login's cached user must go when it changes."""
    g.pop("_login_user", None)


def fresh(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


def test_anonymous_visitors_are_sent_to_sign_in_and_viewers_only_read(client, login, incident):
    update = incident.updates[0]
    reads = ["/admin/incidents", f"/admin/incidents/{incident.id}"]
    writes = ["/admin/incidents/new", f"/admin/incidents/{incident.id}/updates",
              f"/admin/incidents/{incident.id}/notes", f"/admin/incidents/{incident.id}/resolve",
              f"/admin/incidents/{incident.id}/edit", f"/admin/incidents/{incident.id}/postmortem",
              f"/admin/incidents/{incident.id}/delete", f"/admin/updates/{update.id}/edit",
              f"/admin/updates/{update.id}/delete"]
    for path in reads + writes:
        response = client.post(path) if path in writes else client.get(path)
        assert response.status_code == 302 and "/login" in response.location, path
    login("viewer")
    forget_current_user()
    for path in reads:
        page = client.get(path)
        assert page.status_code == 200 and "API errors" in page.text, path
    assert "Post an update" not in client.get(f"/admin/incidents/{incident.id}").text
    for path in writes:
        assert client.post(path, data={"update-body": "x", "note-body": "x"}).status_code == 403, path
    assert client.get("/admin/incidents/new").status_code == 403
    assert len(fresh(Incident, incident.id).updates) == 1


def test_opening_an_incident_sets_both_components_audits_notifies_and_bumps_the_version(client, login, parts):
    login("manager")
    api, web = parts
    version = Site.get().version
    response = client.post("/admin/incidents/new", data=opening(parts))
    assert response.status_code == 302
    incident = db.session.scalars(select(Incident)).one()
    assert response.location.endswith(f"/admin/incidents/{incident.id}")
    assert (fresh(Component, api.id).status, fresh(Component, web.id).status) == ("major_outage",
                                                                                   "degraded_performance")
    changes = db.session.scalars(select(ComponentStatusChange).where(
        ComponentStatusChange.incident_id == incident.id)).all()
    assert {(c.component_id, c.old_status, c.new_status, c.cause) for c in changes} == {
        (api.id, "operational", "major_outage", "incident"),
        (web.id, "operational", "degraded_performance", "incident")}
    assert incident.impact == "critical"  # derived from the worst component
    assert incident.priority == 2  # ITIL impact 1 × urgency 2
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "incident.create")).one()
    assert entry.before is None and entry.after["components"] == {api.id: "major_outage",
                                                                   web.id: "degraded_performance"}
    assert entry.actor_label == "manager@example.com"
    assert Site.get().version > version
    events = db.session.scalars(select(NotificationEvent)).all()
    assert [(e.kind, e.incident_id) for e in events] == [("incident.opened", incident.id)]


def test_opening_without_notifying_writes_no_notification_event(client, login, parts):
    login("manager")
    response = client.post("/admin/incidents/new", data=opening(parts, notify=None))
    assert response.status_code == 302
    assert db.session.scalars(select(Incident)).one().updates[0].deliver_notifications is False
    assert db.session.scalars(select(NotificationEvent)).all() == []


def test_preview_renders_sanitized_markdown_and_saves_nothing(client, login, parts):
    login("manager")
    body = "**Bold** <script>alert(1)</script> [x](javascript:alert(2))"
    response = client.post("/admin/incidents/new", data=opening(parts, body=body, submit=None,
                                                                 preview="Preview"))
    assert response.status_code == 200
    assert "<strong>Bold</strong>" in response.text
    assert "<script>alert(1)" not in response.text and 'href="javascript' not in response.text
    assert "P2 High" in response.text
    assert 'value="major_outage" selected' in response.text.replace(
        f'id="component-{parts[0].id}"', "")  # the chosen component states are kept
    assert db.session.scalars(select(Incident)).all() == []
    assert fresh(Component, parts[0].id).status == "operational"


def test_a_template_prefills_the_new_incident_form(client, login, parts):
    login("manager")
    template = IncidentTemplate(title="DB down", name="Database unavailable", status="identified",
                                impact="major", body="The database is unreachable.",
                                components={parts[1].id: "partial_outage"})
    db.session.add(template)
    db.session.commit()
    page = client.get(f"/admin/incidents/new?template={template.id}").text
    assert 'value="Database unavailable"' in page and "The database is unreachable." in page
    assert '<option selected value="identified">' in page or 'value="identified" selected' in page
    web_select = page[page.index(f'name="component-{parts[1].id}"'):]
    assert web_select.index('value="partial_outage" selected') < web_select.index("</select>")
    assert "no longer exists" in client.get("/admin/incidents/new?template=gone", follow_redirects=True).text


@pytest.mark.parametrize("override, message", [
    ({"status": "exploding"}, "Not a valid choice"),
    ({"impact": "apocalyptic"}, "Not a valid choice"),
    ({"name": ""}, "This field is required"),
    ({"component-nosuchid": "major_outage"}, "no component with id"),
])
def test_bad_input_is_refused_with_the_reason_keeping_what_was_typed(client, login, parts, override, message):
    login("manager")
    response = client.post("/admin/incidents/new", data=opening(parts, body="typed text stays", **override))
    assert response.status_code == 422
    assert message in response.text and "typed text stays" in response.text
    assert db.session.scalars(select(Incident)).all() == []
    assert fresh(Component, parts[0].id).status == "operational"


def test_an_unknown_component_status_is_refused(client, login, parts):
    login("manager")
    response = client.post("/admin/incidents/new", data=opening(parts, **{f"component-{parts[0].id}": "melted"}))
    assert response.status_code == 422 and "unknown component status" in response.text
    assert db.session.scalars(select(Incident)).all() == []


def test_posting_an_update_changes_status_and_components_with_before_and_after(client, login, incident, parts):
    login("manager")
    api, web = parts
    response = client.post(f"/admin/incidents/{incident.id}/updates", data={
        "update-revision": incident.revision, "update-status": "identified", "update-body": "Found it.",
        f"update-component-{api.id}": "partial_outage", f"update-component-{web.id}": "degraded_performance",
        "update-notify": "y"})
    assert response.status_code == 302
    incident = fresh(Incident, incident.id)
    assert incident.status == "identified" and incident.updates[0].body == "Found it."
    assert fresh(Component, web.id).status == "degraded_performance"
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "incident.update")).one()
    assert entry.before["status"] == "investigating" and entry.after["status"] == "identified"
    # Only the component that changed is recorded on the update.
    assert [c["code"] for c in incident.updates[0].affected_components] == [web.id]
    assert db.session.scalars(select(NotificationEvent.kind).order_by(NotificationEvent.id)).all()[-1] == \
        "incident.updated"


def test_a_stale_revision_gives_409_and_nothing_is_overwritten(client, login, incident):
    login("manager")
    stale = incident.revision
    domain.post_update(SYSTEM, incident.id, status="identified", body="A colleague's update.")
    response = client.post(f"/admin/incidents/{incident.id}/updates", data={
        "update-revision": stale, "update-status": "monitoring", "update-body": "My late update."})
    assert response.status_code == 409
    assert "Someone else changed this" in response.text and "Identified" in response.text
    assert "My late update." in response.text  # kept for a second try
    incident = fresh(Incident, incident.id)
    assert incident.status == "identified" and len(incident.updates) == 2
    assert f'name="update-revision" type="hidden" value="{incident.revision}"' in response.text


def test_an_internal_note_stays_off_every_public_surface(client, login, incident):
    login("manager")
    response = client.post(f"/admin/incidents/{incident.id}/notes", data={
        "note-revision": incident.revision, "note-body": "Root cause: expired cert on lb-3"})
    assert response.status_code == 302
    incident = fresh(Incident, incident.id)
    assert incident.status == "investigating"
    assert "Root cause" in client.get(f"/admin/incidents/{incident.id}").text
    assert "Internal note" in client.get(f"/admin/incidents/{incident.id}").text
    public = load_overview("public").open_incidents[0]
    assert all("Root cause" not in u.body for u in visible_updates(public, "public"))
    client.post("/logout")
    forget_current_user()
    assert "Root cause" not in client.get("/").text
    assert "Root cause" not in client.get("/api/v2/incidents.json").text
    assert db.session.scalars(select(NotificationEvent).where(NotificationEvent.kind != "incident.opened")
                              ).all() == []


def test_resolving_returns_components_to_operational_unless_kept(client, login, incident, parts):
    login("manager")
    api, web = parts
    domain.post_update(SYSTEM, incident.id, components={web.id: "degraded_performance"}, body="Web too.")
    incident = fresh(Incident, incident.id)
    page = client.get(f"/admin/incidents/{incident.id}").text
    assert f'name="resolve-component-{api.id}"' in page and "Return to operational" in page
    response = client.post(f"/admin/incidents/{incident.id}/resolve", data={
        "resolve-revision": incident.revision, "resolve-body": "", f"resolve-component-{api.id}": "",
        f"resolve-component-{web.id}": "degraded_performance"})
    assert response.status_code == 302
    assert fresh(Incident, incident.id).status == "resolved"
    assert fresh(Component, api.id).status == "operational"
    assert fresh(Component, web.id).status == "degraded_performance"
    assert fresh(Incident, incident.id).updates[0].body == "This incident has been resolved."


def test_an_update_on_a_resolved_incident_is_refused_with_the_reason(client, login, incident):
    login("manager")
    domain.resolve_incident(SYSTEM, incident.id)
    incident = fresh(Incident, incident.id)
    response = client.post(f"/admin/incidents/{incident.id}/updates", data={
        "update-revision": incident.revision, "update-status": "resolved", "update-body": "Still fine."})
    assert response.status_code == 422
    assert "this incident is resolved" in response.text and "Still fine." in response.text
    assert len(fresh(Incident, incident.id).updates) == 2


def test_editing_the_incident_fields_sets_owner_and_priority(client, login, incident):
    manager = login("manager")
    response = client.post(f"/admin/incidents/{incident.id}/edit", data={
        "edit-revision": incident.revision, "edit-name": "API 5xx errors", "edit-impact": "major",
        "edit-itil_impact": "1", "edit-itil_urgency": "1", "edit-major": "y", "edit-owner_id": str(manager.id),
        "edit-visibility": "public"})
    assert response.status_code == 302
    incident = fresh(Incident, incident.id)
    assert (incident.name, incident.impact, incident.priority, incident.major, incident.owner_id) == (
        "API 5xx errors", "major", 1, True, manager.id)
    page = client.get(f"/admin/incidents/{incident.id}").text
    assert "P1 Critical" in page and "Owner: manager@example.com" in page
    response = client.post(f"/admin/incidents/{incident.id}/edit", data={
        "edit-revision": incident.revision, "edit-name": "X", "edit-impact": "none", "edit-owner_id": "999",
        "edit-visibility": "public"})
    assert response.status_code == 422 and "Not a valid choice" in response.text


def test_correcting_and_deleting_updates(client, login, incident):
    login("manager")
    second = domain.post_update(SYSTEM, incident.id, status="identified", body="Typo hre.")
    page = client.get(f"/admin/updates/{second.id}/edit")
    assert "Typo hre." in page.text
    response = client.post(f"/admin/updates/{second.id}/edit", data={"revision": second.revision,
                                                                     "body": "Typo here."})
    assert response.status_code == 302
    assert fresh(IncidentUpdate, second.id).body == "Typo here."
    response = client.post(f"/admin/updates/{second.id}/edit", data={"revision": "1", "body": "stale"})
    assert response.status_code == 409 and fresh(IncidentUpdate, second.id).body == "Typo here."
    assert client.post(f"/admin/updates/{second.id}/delete").status_code == 302
    assert fresh(IncidentUpdate, second.id) is None
    last = fresh(Incident, incident.id).updates[0]
    response = client.post(f"/admin/updates/{last.id}/delete")
    assert response.status_code == 422 and "delete the incident instead" in response.text


def test_the_postmortem_waits_for_resolution_then_is_published(client, login, incident):
    login("manager")
    response = client.post(f"/admin/incidents/{incident.id}/postmortem", data={"pm-body": "Early."})
    assert response.status_code == 422 and "resolve the incident before" in response.text
    domain.resolve_incident(SYSTEM, incident.id)
    response = client.post(f"/admin/incidents/{incident.id}/postmortem", data={
        "pm-body": "## What happened\nA cert expired.", "pm-notify": "y"})
    assert response.status_code == 302
    incident = fresh(Incident, incident.id)
    assert incident.status == "postmortem" and "cert expired" in incident.postmortem_body
    assert "<h2>What happened</h2>" in client.get(f"/incidents/{incident.id}").text  # the heading survives


def test_deleting_an_incident_asks_first_and_releases_its_components(client, login, incident, parts):
    login("manager")
    assert "Delete “API errors”?" in client.get(f"/admin/incidents/{incident.id}/delete").text
    assert fresh(Incident, incident.id) is not None
    assert client.post(f"/admin/incidents/{incident.id}/delete").status_code == 302
    assert fresh(Incident, incident.id) is None
    assert fresh(Component, parts[0].id).status == "operational"


def test_the_list_puts_unresolved_first_and_filters(client, login, incident):
    login("manager")
    old = domain.open_incident(SYSTEM, name="Old blip", body="x")
    domain.resolve_incident(SYSTEM, old.id)
    newer = domain.open_incident(SYSTEM, name="Newest outage", body="x")
    page = client.get("/admin/incidents").text
    assert page.index("Newest outage") < page.index("API errors") < page.index("Old blip")
    open_page = client.get("/admin/incidents?show=open").text
    assert "Old blip" not in open_page and "Newest outage" in open_page
    resolved = client.get("/admin/incidents?show=resolved").text
    assert "Old blip" in resolved and "API errors" not in resolved
    assert newer.id in page


def test_unknown_ids_are_404(client, login):
    login("manager")
    assert client.get("/admin/incidents/nope").status_code == 404
    assert client.post("/admin/incidents/nope/updates", data={"update-body": "x"}).status_code == 404
    assert client.get("/admin/updates/nope/edit").status_code == 404


def test_a_tampered_revision_is_treated_as_stale_not_a_crash(client, login, incident):
    login("manager")
    response = client.post(f"/admin/incidents/{incident.id}/updates", data={
        "update-revision": "abc", "update-status": "identified", "update-body": "x"})
    assert response.status_code == 409
    assert fresh(Incident, incident.id).status == "investigating"


def test_the_new_incident_form_works_with_csrf_on(csrf_app, make_user):
    import re

    client = csrf_app.test_client()
    user = make_user("m@example.com", "manager")
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)
    page = client.get("/admin/incidents/new").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    data = {"name": "With CSRF", "status": "investigating", "impact": "minor", "visibility": "public",
            "body": "x", "submit": "Open incident"}
    assert client.post("/admin/incidents/new", data=data).status_code == 400  # no token: refused
    assert db.session.scalars(select(Incident)).all() == []
    assert client.post("/admin/incidents/new", data=data | {"csrf_token": token}).status_code == 302
    assert db.session.scalars(select(Incident.name)).all() == ["With CSRF"]

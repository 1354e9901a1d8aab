"""Management API v1 incidents: create, list, update, delete, maintenance, update edits, errors."""
from datetime import UTC, datetime, timedelta

import pytest

from statuspage.domain import incidents
from statuspage.domain.components import create_component
from statuspage.domain.recording import SYSTEM
from statuspage.extensions import db
from statuspage.models import AuditEntry, Component, Incident, IncidentUpdate, NotificationEvent

SUFFIXES = ["", ".json"]


@pytest.fixture
def api(v1, api_key):
    """The management API with a manager's key."""
    return v1(api_key("manager", "ops@example.com"))


def audit(action):
    return db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == action)).all()


def soon(hours):
    return (datetime.now(UTC) + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_it_opens_an_incident_from_a_json_envelope(api, web, suffix, fresh):
    response = api("post", f"incidents{suffix}", json={"incident": {
        "name": "Web is down", "status": "identified", "body": "The load balancer failed.",
        "components": {web.id: "major_outage"}}})
    assert response.status_code == 201
    body = response.get_json()
    assert (body["name"], body["status"], body["impact"]) == ("Web is down", "identified", "critical")
    assert [u["body"] for u in body["incident_updates"]] == ["The load balancer failed."]
    assert [c["id"] for c in body["components"]] == [web.id]
    assert body["page_id"] == api.page_id and body["postmortem_body"] is None
    assert fresh(Component, web.id).status == "major_outage"
    [entry] = audit("incident.create")
    assert (entry.source, entry.actor_label, entry.object_id) == ("api", "ops@example.com", body["id"])


def test_it_opens_an_incident_from_a_form_with_components_and_component_ids(api, web, database, fresh):
    response = api("post", "incidents.json", data={
        "incident[name]": "Slow pages", "incident[body]": "Pages load slowly.",
        f"incident[components][{web.id}]": "degraded_performance",
        "incident[component_ids][]": [web.id, database.id], "incident[deliver_notifications]": "false"})
    assert response.status_code == 201
    incident = fresh(Incident, response.get_json()["id"])
    assert {a.component_id: a.status for a in incident.affected} == {
        web.id: "degraded_performance", database.id: "operational"}
    assert incident.impact == "minor"
    assert db.session.scalar(db.select(db.func.count()).select_from(NotificationEvent)) == 0


def test_notifications_are_queued_unless_the_caller_declines(api):
    api("post", "incidents", json={"incident": {"name": "Quiet", "deliver_notifications": False}})
    assert db.session.scalar(db.select(db.func.count()).select_from(NotificationEvent)) == 0
    api("post", "incidents", json={"incident": {"name": "Loud"}})
    assert [e.kind for e in db.session.scalars(db.select(NotificationEvent))] == ["incident.opened"]


def test_impact_override_and_metadata_are_kept(api, web):
    response = api("post", "incidents", json={"incident": {
        "name": "Minor blip", "impact_override": "major", "components": {web.id: "degraded_performance"},
        "metadata": {"jira": {"key": "OPS-1"}}}})
    body = response.get_json()
    assert body["impact"] == "major" and body["metadata"] == {"jira": {"key": "OPS-1"}}


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_scheduled_for_creates_a_maintenance_window(api, web, suffix, fresh):
    response = api("post", f"incidents{suffix}", json={"incident": {
        "name": "Database upgrade", "body": "We upgrade PostgreSQL.", "scheduled_for": soon(24),
        "scheduled_until": soon(26), "component_ids": [web.id], "scheduled_auto_in_progress": True}})
    assert response.status_code == 201
    body = response.get_json()
    assert (body["status"], body["impact"]) == ("scheduled", "maintenance")
    assert body["scheduled_auto_in_progress"] is True and body["scheduled_auto_completed"] is False
    incident = fresh(Incident, body["id"])
    assert incident.kind == "maintenance" and [c.id for c in incident.components] == [web.id]
    assert fresh(Component, web.id).status == "operational"  # not before the window starts
    assert [i["id"] for i in api("get", f"incidents/upcoming{suffix}").get_json()] == [body["id"]]
    assert [i["id"] for i in api("get", f"incidents/scheduled{suffix}").get_json()] == [body["id"]]
    assert api("get", f"incidents/unresolved{suffix}").get_json() == []
    assert audit("maintenance.schedule")[0].source == "api"


def test_a_maintenance_created_in_progress_is_active(api, web):
    response = api("post", "incidents", json={"incident": {
        "name": "Emergency patch", "status": "in_progress", "scheduled_for": soon(0),
        "scheduled_until": soon(1), "component_ids": [web.id]}})
    assert response.get_json()["status"] == "in_progress"
    active = api("get", "incidents/active_maintenance.json").get_json()
    assert [i["name"] for i in active] == ["Emergency patch"]
    assert api("get", "incidents/upcoming").get_json() == []


@pytest.mark.parametrize("window, field", [
    ({"scheduled_for": "2030-01-02T10:00:00Z", "scheduled_until": "2030-01-02T09:00:00Z"}, "scheduled_until"),
    ({"scheduled_for": "2030-01-02T10:00:00Z"}, "scheduled_until"),
    ({"scheduled_for": "next tuesday", "scheduled_until": "2030-01-02T09:00:00Z"}, "scheduled_for"),
])
def test_a_bad_maintenance_window_is_422(api, window, field):
    response = api("post", "incidents", json={"incident": {"name": "Upgrade", **window}})
    assert response.status_code == 422
    assert response.get_json()["field"] == field
    assert db.session.scalar(db.select(db.func.count()).select_from(Incident)) == 0


@pytest.mark.parametrize("payload, field", [
    ({"name": "x"}, "incident"),
    ({"incident": "Web down"}, "incident"),
    ({"incident": {"status": "investigating"}}, "name"),
    ({"incident": {"name": 42}}, "name"),
    ({"incident": {"name": "Down", "status": "on_fire"}}, "status"),
    ({"incident": {"name": "Down", "impact_override": "huge"}}, "impact_override"),
    ({"incident": {"name": "Down", "components": ["nope"]}}, "components"),
    ({"incident": {"name": "Down", "component_ids": "nope"}}, "component_ids"),
    ({"incident": {"name": "Down", "deliver_notifications": "perhaps"}}, "deliver_notifications"),
    ({"incident": {"name": "Down", "body": ["a"]}}, "body"),
])
def test_bad_incident_input_is_422_naming_the_field(api, payload, field):
    response = api("post", "incidents.json", json=payload)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["field"] == field
    assert db.session.scalar(db.select(db.func.count()).select_from(Incident)) == 0


def test_a_component_status_outside_the_enumeration_is_422(api, web):
    response = api("post", "incidents", json={"incident": {"name": "Down", "components": {web.id: "broken"}}})
    assert response.status_code == 422 and response.get_json()["field"] == "components"


@pytest.mark.parametrize("data", ["{not json", "[1, 2", '"just a string"'])
def test_a_malformed_json_body_is_a_4xx_json_answer(api, data):
    response = api("post", "incidents", data=data, content_type="application/json")
    assert response.status_code in (400, 422)
    assert "error" in response.get_json()


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_it_lists_incidents_newest_first_in_pages(api, suffix):
    for name in ("First", "Second", "Third"):
        api("post", "incidents", json={"incident": {"name": name}})
    names = [i["name"] for i in api("get", f"incidents{suffix}").get_json()]
    assert names == ["Third", "Second", "First"]
    assert len(api("get", f"incidents{suffix}?per_page=2").get_json()) == 2
    assert len(api("get", f"incidents{suffix}?per_page=2&page=2").get_json()) == 1
    assert len(api("get", f"incidents{suffix}?limit=1").get_json()) == 1
    assert api("get", f"incidents{suffix}?page=x").status_code == 422


def test_q_searches_names_and_update_texts(api):
    api("post", "incidents", json={"incident": {"name": "Login errors", "body": "SSO provider down"}})
    api("post", "incidents", json={"incident": {"name": "Slow search", "body": "Indexing backlog"}})
    assert [i["name"] for i in api("get", "incidents?q=login").get_json()] == ["Login errors"]
    assert [i["name"] for i in api("get", "incidents?q=backlog").get_json()] == ["Slow search"]
    assert api("get", "incidents?q=100%25").get_json() == []


def test_unresolved_lists_only_open_incidents(api):
    open_ = api("post", "incidents", json={"incident": {"name": "Open"}}).get_json()
    done = api("post", "incidents", json={"incident": {"name": "Done"}}).get_json()
    api("patch", f"incidents/{done['id']}", json={"incident": {"status": "resolved", "body": "Fixed."}})
    assert [i["id"] for i in api("get", "incidents/unresolved").get_json()] == [open_["id"]]


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_it_shows_one_incident_with_its_revision_as_etag(api, suffix, fresh):
    created = api("post", "incidents", json={"incident": {"name": "Outage"}}).get_json()
    response = api("get", f"incidents/{created['id']}{suffix}")
    assert response.status_code == 200 and response.get_json()["name"] == "Outage"
    assert response.headers["ETag"] == f'"{fresh(Incident, created["id"]).revision}"'
    missing = api("get", f"incidents/nope{suffix}")
    assert missing.status_code == 404 and "error" in missing.get_json()


@pytest.mark.parametrize("method, suffix", [("patch", ""), ("patch", ".json"), ("put", ""), ("put", ".json")])
def test_a_new_status_and_body_post_the_next_update(api, web, method, suffix, fresh):
    created = api("post", "incidents", json={"incident": {"name": "Outage",
                                                           "components": {web.id: "major_outage"}}}).get_json()
    response = api(method, f"incidents/{created['id']}{suffix}", json={"incident": {
        "status": "monitoring", "body": "A fix is deployed.", "components": {web.id: "degraded_performance"},
        "wants_twitter_update": False}})
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "monitoring" and body["monitoring_at"] is not None
    assert [u["body"] for u in body["incident_updates"]][0] == "A fix is deployed."
    assert fresh(Component, web.id).status == "degraded_performance"
    assert [e.source for e in audit("incident.update")] == ["api"]


def test_a_new_name_edits_the_incident_without_an_update(api):
    created = api("post", "incidents", json={"incident": {"name": "Outage"}}).get_json()
    response = api("patch", f"incidents/{created['id']}", json={"incident": {"name": "Checkout outage"}})
    assert response.get_json()["name"] == "Checkout outage"
    assert len(response.get_json()["incident_updates"]) == 1
    assert [e.source for e in audit("incident.edit")] == ["api"]


def test_resolving_returns_components_to_operational(api, web, fresh):
    created = api("post", "incidents", data={"incident[name]": "Outage",
                                             f"incident[components][{web.id}]": "partial_outage"}).get_json()
    assert fresh(Component, web.id).status == "partial_outage"
    api("patch", f"incidents/{created['id']}", data={"incident[status]": "resolved"})
    assert fresh(Component, web.id).status == "operational"
    assert fresh(Incident, created["id"]).resolved_at is not None


def test_an_update_on_a_resolved_incident_is_422_and_changes_nothing(api, fresh):
    created = api("post", "incidents", json={"incident": {"name": "Outage", "status": "resolved"}}).get_json()
    response = api("patch", f"incidents/{created['id']}", json={"incident": {"name": "Renamed",
                                                                              "body": "Still fine."}})
    assert response.status_code == 422 and response.get_json()["field"] == "status"
    incident = fresh(Incident, created["id"])
    assert incident.name == "Outage" and len(incident.updates) == 1


def test_a_stale_if_match_is_409_with_the_current_state(api, fresh):
    created = api("post", "incidents", json={"incident": {"name": "Outage"}})
    etag = created.headers["ETag"]
    url = f"incidents/{created.get_json()['id']}"
    first = api("patch", url, json={"incident": {"body": "Found it.", "status": "identified"}},
                headers={"If-Match": etag})
    assert first.status_code == 200
    second = api("patch", url, json={"incident": {"name": "Other name"}}, headers={"If-Match": etag})
    assert second.status_code == 409
    assert second.get_json()["current"]["status"] == "identified"
    assert fresh(Incident, created.get_json()["id"]).name == "Outage"


def test_a_maintenance_can_be_moved_and_an_incident_cannot(api):
    window = api("post", "incidents", json={"incident": {"name": "Upgrade", "scheduled_for": soon(24),
                                                          "scheduled_until": soon(25)}}).get_json()
    until = soon(27)
    moved = api("patch", f"incidents/{window['id']}", json={"incident": {"scheduled_until": until}})
    assert moved.status_code == 200 and moved.get_json()["scheduled_until"] == until.replace("Z", ".000Z")
    outage = api("post", "incidents", json={"incident": {"name": "Outage"}}).get_json()
    refused = api("patch", f"incidents/{outage['id']}", json={"incident": {"scheduled_for": soon(1)}})
    assert refused.status_code == 422 and refused.get_json()["field"] == "scheduled_for"


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_delete_removes_the_incident_and_releases_its_components(api, web, suffix, fresh):
    created = api("post", "incidents", json={"incident": {"name": "Outage",
                                                           "components": {web.id: "major_outage"}}}).get_json()
    response = api("delete", f"incidents/{created['id']}{suffix}")
    assert response.status_code == 200 and response.get_json()["id"] == created["id"]
    assert api("get", f"incidents/{created['id']}").status_code == 404
    assert fresh(Component, web.id).status == "operational"
    assert [e.source for e in audit("incident.delete")] == ["api"]
    assert api("delete", f"incidents/{created['id']}{suffix}").status_code == 404


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_an_incident_update_can_be_corrected(api, suffix, fresh):
    created = api("post", "incidents", json={"incident": {"name": "Outage", "body": "Teh site is down."}}).get_json()
    update_id = created["incident_updates"][0]["id"]
    response = api("patch", f"incidents/{created['id']}/incident_updates/{update_id}{suffix}", json={
        "incident_update": {"body": "The site is down.", "display_at": "2030-01-01T10:00:00Z",
                            "wants_twitter_update": True}})
    assert response.status_code == 200
    assert response.get_json()["body"] == "The site is down."
    assert response.get_json()["display_at"] == "2030-01-01T10:00:00.000Z"
    assert fresh(IncidentUpdate, update_id).body == "The site is down."
    assert [e.source for e in audit("incident_update.edit")] == ["api"]


def test_an_update_of_another_incident_is_404(api):
    one = api("post", "incidents", json={"incident": {"name": "One"}}).get_json()
    two = api("post", "incidents", json={"incident": {"name": "Two"}}).get_json()
    response = api("patch", f"incidents/{two['id']}/incident_updates/{one['incident_updates'][0]['id']}",
                   json={"incident_update": {"body": "Hijack"}})
    assert response.status_code == 404
    empty = api("patch", f"incidents/{one['id']}/incident_updates/{one['incident_updates'][0]['id']}",
                json={"incident_update": {"body": ""}})
    assert empty.status_code == 422 and empty.get_json()["field"] == "body"


def test_the_key_holder_sees_internal_notes_and_components(api, app):
    hidden = create_component(SYSTEM, name="Billing worker", visibility="internal")
    created = api("post", "incidents", json={"incident": {"name": "Backlog",
                                                           "components": {hidden.id: "degraded_performance"}}})
    incident_id = created.get_json()["id"]
    incidents.post_update(SYSTEM, incident_id, body="Paged the on-call.", visibility="internal")
    body = api("get", f"incidents/{incident_id}").get_json()
    assert [c["id"] for c in body["components"]] == [hidden.id]
    assert "Paged the on-call." in [u["body"] for u in body["incident_updates"]]


def test_null_window_fields_on_an_incident_are_ignored(api, fresh):
    created = api("post", "incidents", json={"incident": {"name": "Outage", "scheduled_for": None,
                                                           "scheduled_until": None}})
    assert created.status_code == 201 and created.get_json()["scheduled_for"] is None
    assert fresh(Incident, created.get_json()["id"]).kind == "incident"
    patched = api("put", f"incidents/{created.get_json()['id']}", json={"incident": {
        "name": "Outage", "scheduled_for": None, "body": "Still looking."}})
    assert patched.status_code == 200 and len(patched.get_json()["incident_updates"]) == 2


def test_listing_incidents_takes_the_same_number_of_queries_for_few_or_many(api, web, database,
                                                                             count_queries):
    def listing_queries():
        db.session.expire_all()  # the test shares the request's session: start both counts cold
        with count_queries() as counter:
            assert api("get", "incidents.json").status_code == 200
        return counter.count

    for n in range(2):
        incidents.open_incident(SYSTEM, name=f"Outage {n}", body="Looking.",
                                components={web.id: "major_outage", database.id: "partial_outage"})
    listing_queries()  # the key's first use records its last-used time
    few = listing_queries()
    for n in range(2, 8):
        incident = incidents.open_incident(SYSTEM, name=f"Outage {n}", components={web.id: "major_outage"})
        incidents.post_update(SYSTEM, incident.id, body="Still looking.")
    assert listing_queries() == few

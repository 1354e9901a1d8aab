"""The Statuspage-compatible public API v2: shapes, field order, enumerations, caching and visibility."""
import re
from datetime import timedelta

import pytest

from statuspage import snapshot
from statuspage.domain import components as component_rules
from statuspage.domain import incidents as incident_rules
from statuspage.domain import maintenance as maintenance_rules
from statuspage.domain.recording import SYSTEM
from statuspage.models.columns import utcnow

ENDPOINTS = {
    "summary.json": ["page", "components", "incidents", "scheduled_maintenances", "status"],
    "status.json": ["page", "status"],
    "components.json": ["page", "components"],
    "incidents.json": ["page", "incidents"],
    "incidents/unresolved.json": ["page", "incidents"],
    "scheduled-maintenances.json": ["page", "scheduled_maintenances"],
    "scheduled-maintenances/upcoming.json": ["page", "scheduled_maintenances"],
    "scheduled-maintenances/active.json": ["page", "scheduled_maintenances"],
}
PAGE_FIELDS = ["id", "name", "url", "time_zone", "updated_at"]
STATUS_FIELDS = ["indicator", "description"]
COMPONENT_FIELDS = ["id", "name", "status", "created_at", "updated_at", "position", "description", "showcase",
                    "start_date", "group_id", "page_id", "group", "only_show_if_degraded"]
GROUP_FIELDS = COMPONENT_FIELDS + ["components"]
INCIDENT_FIELDS = ["id", "name", "status", "created_at", "updated_at", "monitoring_at", "resolved_at", "impact",
                   "shortlink", "started_at", "page_id", "incident_updates", "components", "reminder_intervals"]
MAINTENANCE_FIELDS = INCIDENT_FIELDS + ["scheduled_for", "scheduled_until"]
UPDATE_FIELDS = ["id", "status", "body", "incident_id", "created_at", "updated_at", "display_at",
                 "affected_components", "deliver_notifications", "custom_tweet", "tweet_id"]
AFFECTED_FIELDS = ["code", "name", "old_status", "new_status"]

COMPONENT_STATUSES = {"operational", "degraded_performance", "partial_outage", "major_outage", "under_maintenance"}
INCIDENT_STATUSES = {"investigating", "identified", "monitoring", "resolved", "postmortem"}
MAINTENANCE_STATUSES = {"scheduled", "in_progress", "verifying", "completed"}
IMPACTS = {"none", "minor", "major", "critical"}
INDICATORS = {"none", "minor", "major", "critical", "maintenance"}
DESCRIPTIONS = {"All Systems Operational", "Partially Degraded Service", "Minor Service Outage",
                "Partial System Outage", "Major System Outage", "Service Under Maintenance"}
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
DATE = re.compile(r"^\d{4}-\d\d-\d\d$")


@pytest.fixture(autouse=True)
def fresh_snapshots():
    """Snapshots are keyed by id(app) and site version; a later test's app can reuse both, so start empty."""
    snapshot.clear()


@pytest.fixture
def seeded(app):
    """A page with groups, internal things, open/resolved/internal incidents and three maintenance windows."""
    now = utcnow()
    core = component_rules.create_group(SYSTEM, name="Core")
    api = component_rules.create_component(SYSTEM, name="API", group_id=core.id, description="The REST API",
                                           start_date="2024-01-15")
    web = component_rules.create_component(SYSTEM, name="Website", group_id=core.id)
    cdn = component_rules.create_component(SYSTEM, name="CDN")
    secret_group = component_rules.create_group(SYSTEM, name="Back office", visibility="internal")
    billing = component_rules.create_component(SYSTEM, name="Billing worker", group_id=secret_group.id)
    ledger = component_rules.create_component(SYSTEM, name="Ledger", visibility="internal")
    outage = incident_rules.open_incident(SYSTEM, name="API errors", body="Looking into it",
                                          components={api.id: "major_outage", ledger.id: "partial_outage"},
                                          at=now - timedelta(minutes=30))
    incident_rules.post_update(SYSTEM, outage.id, status="identified", body="Found it",
                               components={web.id: "degraded_performance"})
    incident_rules.post_update(SYSTEM, outage.id, visibility="internal", body="internal note text")
    watching = incident_rules.open_incident(SYSTEM, name="Slow CDN", status="monitoring", body="Watching",
                                            impact="minor", at=now - timedelta(hours=2))
    old = incident_rules.open_incident(SYSTEM, name="Old outage", body="Down", components={cdn.id: "major_outage"},
                                       at=now - timedelta(days=3))
    incident_rules.resolve_incident(SYSTEM, old.id, body="Fixed")
    incident_rules.publish_postmortem(SYSTEM, old.id, "What happened", notify=False)
    hidden = incident_rules.open_incident(SYSTEM, name="Internal only", body="staff", visibility="internal")
    upcoming = maintenance_rules.schedule_maintenance(
        SYSTEM, name="DB upgrade", scheduled_for=now + timedelta(days=1),
        scheduled_until=now + timedelta(days=1, hours=2), body="Upgrading", component_ids=[api.id])
    active = maintenance_rules.schedule_maintenance(
        SYSTEM, name="Network work", scheduled_for=now - timedelta(hours=1),
        scheduled_until=now + timedelta(hours=1), component_ids=[cdn.id])
    incident_rules.post_update(SYSTEM, active.id, status="in_progress", body="Started",
                               components={cdn.id: "under_maintenance"})
    done = maintenance_rules.schedule_maintenance(
        SYSTEM, name="Disk swap", scheduled_for=now - timedelta(days=2),
        scheduled_until=now - timedelta(days=2) + timedelta(hours=1))
    incident_rules.post_update(SYSTEM, done.id, status="in_progress", body="Started")
    incident_rules.resolve_incident(SYSTEM, done.id)
    return {"core": core, "api": api, "web": web, "cdn": cdn, "billing": billing, "ledger": ledger,
            "secret_group": secret_group, "outage": outage, "watching": watching, "old": old, "hidden": hidden,
            "upcoming": upcoming, "active": active, "done": done}


def get_json(client, path):
    response = client.get(f"/api/v2/{path}")
    assert response.status_code == 200, response.data
    assert response.mimetype == "application/json"
    return response.get_json()


def check_timestamp(value, nullable=False):
    if value is None and nullable:
        return
    assert isinstance(value, str) and TIMESTAMP.match(value), value


def check_component(c, page_id):
    if c["group"] is True:
        assert list(c) == GROUP_FIELDS
        assert all(isinstance(i, str) for i in c["components"])
    else:
        assert list(c) == COMPONENT_FIELDS
    assert c["status"] in COMPONENT_STATUSES
    assert c["page_id"] == page_id
    check_timestamp(c["created_at"])
    check_timestamp(c["updated_at"])
    assert c["start_date"] is None or DATE.match(c["start_date"])
    assert isinstance(c["position"], int) and isinstance(c["showcase"], bool)


def check_incident(i, page_id, maintenance):
    assert list(i) == (MAINTENANCE_FIELDS if maintenance else INCIDENT_FIELDS)
    if maintenance:
        assert i["status"] in MAINTENANCE_STATUSES
        assert i["impact"] == "maintenance"
        check_timestamp(i["scheduled_for"])
        check_timestamp(i["scheduled_until"])
    else:
        assert i["status"] in INCIDENT_STATUSES
        assert i["impact"] in IMPACTS
    for key in ("created_at", "updated_at", "started_at"):
        check_timestamp(i[key])
    for key in ("monitoring_at", "resolved_at"):
        check_timestamp(i[key], nullable=True)
    assert i["shortlink"] == f"http://status.test/incidents/{i['id']}"
    assert i["page_id"] == page_id
    assert i["incident_updates"], "every public incident has at least one public update"
    shown = [u["display_at"] for u in i["incident_updates"]]
    assert shown == sorted(shown, reverse=True), "updates are newest first"
    for u in i["incident_updates"]:
        assert list(u) == UPDATE_FIELDS
        assert u["incident_id"] == i["id"]
        assert u["status"] in (MAINTENANCE_STATUSES if maintenance else INCIDENT_STATUSES)
        for key in ("created_at", "updated_at", "display_at"):
            check_timestamp(u[key])
        for change in u["affected_components"] or []:
            assert list(change) == AFFECTED_FIELDS
            assert change["new_status"] in COMPONENT_STATUSES
            assert change["old_status"] in COMPONENT_STATUSES
    for c in i["components"]:
        check_component(c, page_id)


@pytest.mark.parametrize("path", sorted(ENDPOINTS))
def test_every_endpoint_has_statuspage_fields_in_order_and_known_values(client, seeded, path):
    response = client.get(f"/api/v2/{path}")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    body = response.get_json()
    assert list(body) == ENDPOINTS[path]
    assert list(body["page"]) == PAGE_FIELDS
    page_id = body["page"]["id"]
    check_timestamp(body["page"]["updated_at"])
    if "status" in body:
        assert list(body["status"]) == STATUS_FIELDS
        assert body["status"]["indicator"] in INDICATORS
        assert body["status"]["description"] in DESCRIPTIONS
    for c in body.get("components", []):
        check_component(c, page_id)
    for i in body.get("incidents", []):
        check_incident(i, page_id, maintenance=False)
    for m in body.get("scheduled_maintenances", []):
        check_incident(m, page_id, maintenance=True)


def test_components_list_groups_before_their_children_in_position_order(client, seeded):
    items = get_json(client, "components.json")["components"]
    names = [c["name"] for c in items]
    assert names == ["Core", "API", "Website", "CDN"]
    core = items[0]
    assert core["group"] is True
    assert core["components"] == [seeded["api"].id, seeded["web"].id]
    assert core["status"] == "major_outage", "a group shows its worst child's status"
    api = items[1]
    assert api["group_id"] == seeded["core"].id and api["description"] == "The REST API"
    assert api["start_date"] == "2024-01-15"


def test_summary_lists_only_unresolved_incidents_and_current_or_upcoming_maintenance(client, seeded):
    body = get_json(client, "summary.json")
    assert {i["name"] for i in body["incidents"]} == {"API errors", "Slow CDN"}
    assert all(i["status"] in {"investigating", "identified", "monitoring"} for i in body["incidents"])
    assert {m["name"]: m["status"] for m in body["scheduled_maintenances"]} == {
        "Network work": "in_progress", "DB upgrade": "scheduled"}
    assert body["status"] == {"indicator": "critical", "description": "Major System Outage"}


def test_incident_lists_include_closed_ones_and_split_by_kind(client, seeded):
    incidents = get_json(client, "incidents.json")["incidents"]
    assert {i["name"]: i["status"] for i in incidents} == {
        "API errors": "identified", "Slow CDN": "monitoring", "Old outage": "postmortem"}
    unresolved = get_json(client, "incidents/unresolved.json")["incidents"]
    assert {i["name"] for i in unresolved} == {"API errors", "Slow CDN"}
    maintenances = get_json(client, "scheduled-maintenances.json")["scheduled_maintenances"]
    assert {m["name"]: m["status"] for m in maintenances} == {
        "DB upgrade": "scheduled", "Network work": "in_progress", "Disk swap": "completed"}
    upcoming = get_json(client, "scheduled-maintenances/upcoming.json")["scheduled_maintenances"]
    assert [m["name"] for m in upcoming] == ["DB upgrade"]
    active = get_json(client, "scheduled-maintenances/active.json")["scheduled_maintenances"]
    assert [m["name"] for m in active] == ["Network work"]


def test_internal_components_incidents_and_notes_never_appear(client, seeded):
    texts = [client.get(f"/api/v2/{path}").get_data(as_text=True) for path in ENDPOINTS]
    for secret in ("Internal only", "internal note text", "Billing worker", "Back office", "Ledger",
                   seeded["ledger"].id, seeded["billing"].id, seeded["secret_group"].id, seeded["hidden"].id):
        assert not any(secret in text for text in texts), secret


def test_an_update_lists_only_the_visible_component_changes(client, seeded):
    incidents = get_json(client, "incidents/unresolved.json")["incidents"]
    outage = next(i for i in incidents if i["name"] == "API errors")
    first, second = outage["incident_updates"][-1], outage["incident_updates"][0]
    assert [c["code"] for c in first["affected_components"]] == [seeded["api"].id]
    assert first["affected_components"][0] == {"code": seeded["api"].id, "name": "API",
                                               "old_status": "operational", "new_status": "major_outage"}
    assert [c["code"] for c in second["affected_components"]] == [seeded["web"].id]
    assert {c["id"] for c in outage["components"]} == {seeded["api"].id, seeded["web"].id}
    assert [u["body"] for u in outage["incident_updates"]] == ["Found it", "Looking into it"]
    watching = next(i for i in incidents if i["name"] == "Slow CDN")
    assert watching["incident_updates"][0]["affected_components"] is None
    check_timestamp(watching["monitoring_at"])


def test_an_unchanged_page_answers_304_to_its_etag(client, seeded):
    first = client.get("/api/v2/summary.json")
    assert first.headers["ETag"]
    again = client.get("/api/v2/summary.json", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.data == b""


@pytest.mark.parametrize("path", sorted(ENDPOINTS))
def test_a_fresh_render_of_the_same_version_has_the_same_etag(client, seeded, path):
    """Every process renders its own snapshot; a CDN or browser must see one ETag per version."""
    first = client.get(f"/api/v2/{path}")
    snapshot.clear()
    again = client.get(f"/api/v2/{path}", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_a_write_changes_the_etag_and_the_content(client, seeded):
    before = client.get("/api/v2/components.json")
    component_rules.set_component_status(SYSTEM, seeded["cdn"].id, "partial_outage", "manual")
    after = client.get("/api/v2/components.json", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert after.headers["ETag"] != before.headers["ETag"]
    cdn = next(c for c in after.get_json()["components"] if c["name"] == "CDN")
    assert cdn["status"] == "partial_outage"


def test_an_empty_page_is_all_systems_operational(client, app):
    body = get_json(client, "summary.json")
    assert body["components"] == [] and body["incidents"] == [] and body["scheduled_maintenances"] == []
    assert body["status"] == {"indicator": "none", "description": "All Systems Operational"}


@pytest.mark.parametrize("path", ["nope.json", "incidents/unknown.json", "summary", "components"])
def test_unknown_paths_answer_404_json(client, app, path):
    response = client.get(f"/api/v2/{path}")
    assert response.status_code == 404
    assert response.mimetype == "application/json"
    assert "error" in response.get_json()


def test_lists_stop_at_the_50_most_recent(client, app):
    now = utcnow()
    for n in range(53):
        incident_rules.open_incident(SYSTEM, name=f"Incident {n}", status="resolved", body="done",
                                     deliver_notifications=False, at=now - timedelta(hours=n))
    for n in range(52):
        maintenance_rules.schedule_maintenance(
            SYSTEM, name=f"Window {n}", scheduled_for=now + timedelta(days=n + 1),
            scheduled_until=now + timedelta(days=n + 1, hours=1), deliver_notifications=False)
    incidents = get_json(client, "incidents.json")["incidents"]
    assert len(incidents) == 50
    assert incidents[0]["name"] == "Incident 0" and incidents[-1]["name"] == "Incident 49"
    maintenances = get_json(client, "scheduled-maintenances.json")["scheduled_maintenances"]
    assert len(maintenances) == 50
    upcoming = get_json(client, "scheduled-maintenances/upcoming.json")["scheduled_maintenances"]
    assert len(upcoming) == 52 and upcoming[0]["name"] == "Window 0", "soonest first"

"""The incident manager's practice through the management API: command, SLA timers, executive summaries,
post-incident reviews with action items, and problems; read by any key, changed only by managers and admins;
every answer true to the OpenAPI document (its extension operations are all called here)."""
import re
from datetime import UTC, datetime, timedelta

import pytest
from test_openapi import Checker

from statuspage.domain import incidents as incident_rules
from statuspage.domain import tokens
from statuspage.domain.recording import SYSTEM
from statuspage.extensions import db
from statuspage.models import AuditEntry, Incident, Site

EXTENSION = "x-statuspage-extension"


@pytest.fixture
def spec(client):
    return client.get("/api/v1/openapi.json").get_json()


@pytest.fixture
def manager(make_user):
    return make_user("ops@example.com", "manager")


@pytest.fixture
def check(client, spec, manager):
    site = Site.get()
    db.session.commit()
    return Checker(client, spec, site.page_id, tokens.issue_token(SYSTEM, manager, "practice")[1])


@pytest.fixture
def p1(app, web):
    """A P1 incident that started 10 minutes ago on Web."""
    return incident_rules.open_incident(SYSTEM, name="Checkout fails", body="Looking.", itil_impact=1,
                                        itil_urgency=1, components={web.id: "major_outage"},
                                        at=datetime.now(UTC) - timedelta(minutes=10))


def test_command_through_the_api_shows_on_the_incident_and_is_audited(check, p1, manager, make_user):
    ids = {"incident_id": p1.id}
    before = check("get", "/incidents/{incident_id}", 200, ids)["x_practice"]
    assert before["priority"] == 1 and before["major"] and before["owner"] is None
    assert before["acknowledged_at"] is None

    acked = check("post", "/incidents/{incident_id}/acknowledge", 200, ids)["x_practice"]
    assert acked["acknowledged_by"]["email"] == "ops@example.com" and acked["acknowledged_at"]
    problem = check("post", "/incidents/{incident_id}/acknowledge", 422, ids)
    assert problem["field"] == "acknowledged_at" and "already acknowledged" in problem["error"]

    other = make_user("lead@example.com", "admin")
    owned = check("put", "/incidents/{incident_id}/owner", 200, ids, json={"owner": {"email": "lead@example.com"}})
    assert owned["x_practice"]["owner"] == {"id": other.id, "email": "lead@example.com", "name": ""}
    viewer = make_user("eye@example.com", "viewer")
    refused = check("put", "/incidents/{incident_id}/owner", 422, ids, json={"owner": {"id": viewer.id}})
    assert "manager or admin" in refused["error"]
    check("delete", "/incidents/{incident_id}/owner", 200, ids)
    mine = check("post", "/incidents/{incident_id}/take_command", 200, ids)["x_practice"]
    assert mine["owner"]["id"] == manager.id

    half = (datetime.now(UTC) - timedelta(minutes=5)).replace(microsecond=0)
    mitigated = check("post", "/incidents/{incident_id}/mitigate", 200, ids,
                      json={"mitigation": {"mitigated_at": half.isoformat()}})["x_practice"]
    assert datetime.fromisoformat(mitigated["mitigated_at"]) == half
    fixed = check("patch", "/incidents/{incident_id}/times", 200, ids,
                  json={"times": {"acknowledged_at": half.isoformat(), "mitigated_at": None}})["x_practice"]
    assert datetime.fromisoformat(fixed["acknowledged_at"]) == half and fixed["mitigated_at"] is None
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert check("patch", "/incidents/{incident_id}/times", 422, ids,
                 json={"times": {"mitigated_at": future}})["field"] == "mitigated_at"

    actions = {e.action for e in db.session.scalars(db.select(AuditEntry).where(AuditEntry.object_id == p1.id))}
    assert {"incident.acknowledge", "incident.assign", "incident.mitigate", "incident.correct_times"} <= actions
    # Statuspage's own fields are all still there, unchanged in shape.
    listed = check("get", "/incidents", 200)
    assert listed[0]["name"] == "Checkout fails" and listed[0]["status"] == "investigating"


def test_sla_timers_read_targets_due_times_and_use(check, p1):
    ids = {"incident_id": p1.id}
    targets = check("get", "/sla_targets", 200)
    assert targets[0] == {"priority": 1, "acknowledge_minutes": 15, "resolve_minutes": 240}
    assert targets[4] == {"priority": 5, "acknowledge_minutes": None, "resolve_minutes": None}
    timers = check("get", "/incidents/{incident_id}/sla", 200, ids)
    ack = timers["acknowledge"]
    # Started 10 minutes ago against a 15-minute target: two thirds used, due 5 minutes from now.
    assert ack["target_minutes"] == 15 and 66 <= ack["percent_used"] <= 67 and ack["state"] == "ok"
    due = datetime.fromisoformat(ack["due_at"])
    assert abs(due - (p1.started_at + timedelta(minutes=15))) < timedelta(milliseconds=1)
    assert timers["resolve"]["target_minutes"] == 240 and not timers["breached"]
    assert timers["next_update_due"] and timers["next_summary_due"]  # a P1 owes both

    incident = db.session.get(Incident, p1.id)
    incident.started_at = datetime.now(UTC) - timedelta(minutes=20)
    db.session.commit()
    late = check("get", "/incidents/{incident_id}/sla", 200, ids)
    assert late["acknowledge"]["state"] == "breached" and late["breached"]


def test_executive_summaries_are_posted_and_read_back(check, p1):
    ids = {"incident_id": p1.id}
    written = check("post", "/incidents/{incident_id}/executive_summaries", 201, ids, json={
        "executive_summary": {"current_status": "Checkout down for all.", "next_steps": "Roll back at 10:30."}})
    assert "Checkout down for all." in written["body"] and "Roll back" in written["body"]
    assert written["author"]["email"] == "ops@example.com"
    assert check("get", "/incidents/{incident_id}/executive_summaries", 200, ids) == [written]
    blank = check("post", "/incidents/{incident_id}/executive_summaries", 422, ids,
                  json={"executive_summary": {"current_status": " \n\t "}})
    assert blank["field"] == "current_status"


def test_a_review_is_started_written_moved_and_published_with_action_items(check, p1, manager):
    ids = {"incident_id": p1.id}
    check("get", "/incidents/{incident_id}/review", 404, ids)
    draft = check("post", "/incidents/{incident_id}/review", 201, ids)
    assert draft["state"] == "draft" and "## Impact" in draft["markdown"]
    assert check("post", "/incidents/{incident_id}/review", 200, ids)["state"] == "draft"
    saved = check("patch", "/incidents/{incident_id}/review", 200, ids, json={"review": {
        "summary": "Checkout failed for 40 minutes.", "root_cause": "An expired certificate.",
        "state": "in_review"}})
    assert saved["state"] == "in_review" and saved["root_cause"] == "An expired certificate."
    assert check("get", "/incidents/{incident_id}/review", 200, ids) == saved
    early = check("patch", "/incidents/{incident_id}/review", 422, ids, json={"review": {"state": "published"}})
    assert early["field"] == "status" and "resolve" in early["error"]

    due = (datetime.now(UTC) - timedelta(days=2)).date().isoformat()
    item = check("post", "/incidents/{incident_id}/action_items", 201, ids, json={"action_item": {
        "title": "Alert on certificate expiry", "owner_id": manager.id, "due_date": due,
        "link": "https://tickets.example.com/42"}})
    assert item["overdue"] and item["state"] == "open" and item["owner"]["id"] == manager.id
    assert check("post", "/incidents/{incident_id}/action_items", 422, ids, json={"action_item": {
        "title": "x", "link": "ftp://nope"}})["field"] == "link"
    done = check("patch", "/incidents/{incident_id}/action_items/{item_id}", 200, ids | {"item_id": item["id"]},
                 json={"action_item": {"done": True}})
    assert done["state"] == "done" and not done["overdue"]
    check("patch", "/incidents/{incident_id}/action_items/{item_id}", 404, ids | {"item_id": 999999},
          json={"action_item": {"done": True}})
    assert [i["id"] for i in check("get", "/incidents/{incident_id}/action_items", 200, ids)] == [item["id"]]

    incident_rules.post_update(SYSTEM, p1.id, status="resolved", body="Fixed.")
    published = check("patch", "/incidents/{incident_id}/review", 200, ids, json={"review": {"state": "published"}})
    assert published["state"] == "published" and published["published_at"]
    public = db.session.get(Incident, p1.id)
    assert "An expired certificate." in public.postmortem_body and "[x] Alert on certificate expiry" in \
        public.postmortem_body


def test_problems_are_created_linked_edited_and_deleted(check, p1, web):
    ids = {"incident_id": p1.id}
    made = check("post", "/problems", 201, json={"problem": {"title": "Certificates expire unnoticed",
                                                             "symptom": "TLS errors", "incident_id": p1.id}})
    ids["problem_id"] = made["id"]
    assert made["incident_ids"] == [p1.id] and made["component_ids"] == [web.id]
    assert made["time_lost_seconds"] >= 600 and made["status"] == "open"
    assert check("get", "/incidents/{incident_id}", 200, ids)["x_practice"]["problem_id"] == made["id"]
    refused = check("patch", "/problems/{problem_id}", 422, ids, json={"problem": {"status": "known_error"}})
    assert refused["field"] == "workaround"
    known = check("put", "/problems/{problem_id}", 200, ids, json={"problem": {
        "root_cause": "No expiry alert.", "workaround": "Renew by hand.", "status": "known_error"}})
    assert known["status"] == "known_error" and known["known_error"]
    renamed = check("patch", "/problems/{problem_id}", 200, ids, json={"problem": {"title": "Expired certs"}})
    assert check("get", "/problems/{problem_id}", 200, ids) == renamed and renamed["status"] == "known_error"
    assert [p["id"] for p in check("get", "/problems", 200)] == [made["id"]]
    assert check("delete", "/problems/{problem_id}/incidents/{incident_id}", 200, ids)["incident_ids"] == []
    check("delete", "/problems/{problem_id}/incidents/{incident_id}", 404, ids)
    assert check("put", "/problems/{problem_id}/incidents/{incident_id}", 200, ids)["incident_ids"] == [p1.id]
    check("delete", "/problems/{problem_id}", 204, ids)
    check("get", "/problems/{problem_id}", 404, ids)
    assert db.session.get(Incident, p1.id).problem_id is None
    check("post", "/problems", 422, json={"problem": {"title": " \t "}})
    check("post", "/problems", 404, json={"problem": {"title": "Ghost", "incident_id": "nope\x00"}})


def test_every_extension_operation_is_documented_as_one_and_called_here(spec):
    extension = {(p.removeprefix("/v1/pages/{page_id}"), m) for p, item in spec["paths"].items()
                 for m, op in item.items() if isinstance(op, dict) and EXTENSION in op and not p.endswith(".json")}
    assert len(extension) >= 20
    here = open(__file__).read()
    for path, method in extension:
        assert re.search(rf'check\("{method}", "{re.escape(path)}", 2', here), (method, path)
    incident = spec["components"]["schemas"]["Incident"]
    assert incident["properties"]["x_practice"] == {"$ref": "#/components/schemas/IncidentPractice"}
    assert EXTENSION in spec["components"]["schemas"]["IncidentPractice"]


def test_a_viewer_reads_all_of_it_and_changes_nothing(v1, api_key, p1, client, page_id):
    viewer = v1(api_key("viewer"))
    for path in (f"incidents/{p1.id}", f"incidents/{p1.id}/sla", f"incidents/{p1.id}/executive_summaries",
                 f"incidents/{p1.id}/action_items", "problems", "sla_targets"):
        assert viewer("get", path).status_code == 200, path
    writes = [("post", f"incidents/{p1.id}/acknowledge", None), ("post", f"incidents/{p1.id}/take_command", None),
              ("put", f"incidents/{p1.id}/owner", {"owner": {"id": 1}}), ("delete", f"incidents/{p1.id}/owner", None),
              ("post", f"incidents/{p1.id}/executive_summaries", {"executive_summary": {"current_status": "x"}}),
              ("post", f"incidents/{p1.id}/review", None), ("post", "problems", {"problem": {"title": "x"}})]
    for method, path, body in writes:
        answer = viewer(method, path, json=body)
        assert answer.status_code == 403 and "viewer" in answer.get_json()["error"], path
    assert client.get(f"/v1/pages/{page_id}/problems").status_code == 401
    unchanged = db.session.get(Incident, p1.id)
    assert unchanged.acknowledged_at is None and unchanged.owner_id is None

"""Statuspage parity in the management API: postmortem draft/publish/revert, component and group uptime, the
subscriber count and incident templates, every answer checked against the OpenAPI document."""
import math
from datetime import UTC, datetime, timedelta

import jsonschema
import pytest
from sqlalchemy import select

from statuspage.api import openapi_parity
from statuspage.domain import incidents, subscriptions
from statuspage.domain.components import create_component, create_group
from statuspage.domain.recording import SYSTEM
from statuspage.extensions import db
from statuspage.models import AuditEntry, NotificationEvent


class Documented:
    """Calls /v1/pages/<page>/<path> and validates the answer against the schema the document gives it."""

    def __init__(self, client, spec, page_id, headers):
        self.client, self.spec, self.page_id, self.headers = client, spec, page_id, headers
        self.called = set()

    def __call__(self, method, template, code, ids=None, headers=None, **kwargs):
        response = getattr(self.client, method)(f"/v1/pages/{self.page_id}" + template.format(**(ids or {})),
                                                headers=self.headers | (headers or {}), **kwargs)
        assert response.status_code == code, (method, template, response.get_json())
        answer = self.spec["paths"]["/v1/pages/{page_id}" + template][method]["responses"][str(code)]
        if "$ref" in answer:
            answer = self.spec["components"]["responses"][answer["$ref"].rsplit("/", 1)[1]]
        if "content" not in answer:
            assert response.data == b""
            return None
        schema = answer["content"]["application/json"]["schema"]
        jsonschema.Draft202012Validator({**schema, "components": self.spec["components"]},
                                        format_checker=jsonschema.FormatChecker()).validate(response.get_json())
        if code < 300:
            self.called.add((template.removesuffix(".json"), method))
        return response.get_json()


@pytest.fixture
def call(client, page_id, api_key):
    spec = client.get("/api/v1/openapi.json").get_json()
    return Documented(client, spec, page_id, api_key("manager"))


@pytest.fixture
def viewer(api_key):
    return api_key("viewer", "viewer@example.com")


def ago(**delta) -> datetime:
    return datetime.now(UTC) - timedelta(**delta)


def test_a_postmortem_is_drafted_published_reverted_and_deleted(app, call, viewer, web):
    incident = incidents.open_incident(SYSTEM, name="Web down", body="Looking.", components={web.id: "major_outage"})
    ids = {"incident_id": incident.id}
    draft = {"postmortem": {"body_draft": "## What happened\n\nA bad deploy."}}
    call("get", "/incidents/{incident_id}/postmortem", 404, ids)
    call("put", "/incidents/{incident_id}/postmortem", 403, ids, headers=viewer, json=draft)
    written = call("put", "/incidents/{incident_id}/postmortem.json", 200, ids, json=draft)
    assert written["body_draft"] == "## What happened\n\nA bad deploy." and written["body"] is None
    assert written["published_at"] is None
    # Publishing needs a resolved incident; the draft stays internal until then.
    call("put", "/incidents/{incident_id}/postmortem/publish", 422, ids, json={"postmortem": {}})
    assert "bad deploy" not in app.test_client().get(f"/incidents/{incident.id}").get_data(as_text=True)
    incidents.resolve_incident(SYSTEM, incident.id, body="Fixed.")

    published = call("put", "/incidents/{incident_id}/postmortem/publish", 200, ids, json={"postmortem": {
        "notify_subscribers": True, "notify_twitter": True, "custom_tweet": "We wrote it up."}})
    assert published["body"] == "## What happened\n\nA bad deploy." and published["body_draft"] is None
    assert published["published_at"] and published["notify_subscribers"] is True
    assert call("get", "/incidents/{incident_id}/postmortem", 200, ids, headers=viewer) == published
    assert call("get", "/incidents/{incident_id}", 200, ids)["status"] == "postmortem"
    assert db.session.scalar(select(NotificationEvent.kind).where(NotificationEvent.incident_id == incident.id,
                                                                  NotificationEvent.kind == "incident.postmortem"))
    assert "bad deploy" in app.test_client().get(f"/incidents/{incident.id}").get_data(as_text=True)

    reverted = call("put", "/incidents/{incident_id}/postmortem/revert", 200, ids)
    assert reverted["body"] is None and reverted["published_at"] is None
    assert reverted["body_draft"] == "## What happened\n\nA bad deploy."
    assert call("get", "/incidents/{incident_id}", 200, ids)["status"] == "resolved"
    assert "bad deploy" not in app.test_client().get(f"/incidents/{incident.id}").get_data(as_text=True)
    call("put", "/incidents/{incident_id}/postmortem/revert", 422, ids)

    call("delete", "/incidents/{incident_id}/postmortem", 204, ids)
    call("get", "/incidents/{incident_id}/postmortem", 404, ids)
    call("delete", "/incidents/{incident_id}/postmortem", 422, ids)
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_id == incident.id)).all()
    for action in ("incident.postmortem_draft", "incident.postmortem", "incident.postmortem_revert",
                   "incident.postmortem_delete"):
        assert action in actions


def test_publishing_quietly_tells_nobody(call, web):
    incident = incidents.open_incident(SYSTEM, name="Blip", body="Seen.", components={web.id: "degraded_performance"})
    incidents.resolve_incident(SYSTEM, incident.id, body="Gone.")
    ids = {"incident_id": incident.id}
    call("put", "/incidents/{incident_id}/postmortem", 200, ids, json={"postmortem": {"body_draft": "Short."}})
    answer = call("put", "/incidents/{incident_id}/postmortem/publish", 200, ids)
    assert answer["notify_subscribers"] is False and answer["body"] == "Short."
    assert not db.session.scalar(select(NotificationEvent.id).where(NotificationEvent.kind == "incident.postmortem"))


def outage(component_id: str, at: datetime) -> str:
    """One hour of major outage then two of partial outage, starting ``at``."""
    incident = incidents.open_incident(SYSTEM, name="Outage", body="Down.", components={component_id: "major_outage"},
                                       at=at)
    incidents.post_update(SYSTEM, incident.id, body="Better.", components={component_id: "partial_outage"},
                          at=at + timedelta(hours=1))
    incidents.post_update(SYSTEM, incident.id, status="resolved", body="Fixed.",
                          components={component_id: "operational"}, at=at + timedelta(hours=3))
    return incident.id


def test_uptime_counts_outage_seconds_and_weighs_partial_outages(call, viewer):
    start = ago(days=10).date()
    api = create_component(SYSTEM, name="API", start_date=start.isoformat())
    incident_id = outage(api.id, ago(days=3))
    ids = {"component_id": api.id}
    body = call("get", "/components/{component_id}/uptime", 200, ids, headers=viewer,
                query_string={"start": start.isoformat()})
    assert (body["id"], body["name"], body["range_start"]) == (api.id, "API", start.isoformat())
    assert body["range_end"] == datetime.now(UTC).date().isoformat()
    assert (body["major_outage"], body["partial_outage"]) == (3600, 7200)
    observed = (datetime.now(UTC) - datetime.combine(start, datetime.min.time(), UTC)).total_seconds()
    assert body["uptime_percentage"] == pytest.approx(100 * (1 - (3600 + 0.3 * 7200) / observed), abs=0.011)
    assert body["uptime_percentage"] < 100 and body["warnings"] == []
    assert body["related_events"] == [{"id": incident_id}]

    # A range before the outage: 100%, nothing related; a later end is moved back to today, and said so.
    quiet = call("get", "/components/{component_id}/uptime.json", 200, ids,
                 query_string={"start": start.isoformat(), "end": ago(days=5).date().isoformat()})
    assert (quiet["uptime_percentage"], quiet["major_outage"], quiet["related_events"]) == (100, 0, [])
    later = call("get", "/components/{component_id}/uptime", 200, ids,
                 query_string={"start": ago(days=2).date().isoformat(), "end": str(datetime.now(UTC).year + 1)})
    assert later["range_end"] == datetime.now(UTC).date().isoformat() and "adjusted to today" in later["warnings"][0]
    # By default: the last 90 days, or from the component's start when it is younger.
    assert call("get", "/components/{component_id}/uptime", 200, ids)["range_start"] == start.isoformat()
    early = call("get", "/components/{component_id}/uptime", 200, ids,
                 query_string={"start": ago(days=40).date().isoformat()})
    assert early["range_start"] == start.isoformat() and "start date" in early["warnings"][0]

    for bad in ({"start": "2026-02-30"}, {"start": "yesterday"}, {"start": ""}, {"start": "1969-12-31"},
                {"start": ago(days=200).date().isoformat()}, {"start": (datetime.now(UTC) + timedelta(days=2))
                                                             .date().isoformat()},
                {"start": ago(days=3).date().isoformat(), "end": ago(days=4).date().isoformat()}):
        error = call("get", "/components/{component_id}/uptime", 422, ids, query_string=bad)
        assert error["field"] == "start", bad
    call("get", "/components/{component_id}/uptime", 404, {"component_id": "nope"})


def test_group_uptime_adds_its_components(call):
    start = ago(days=10).date().isoformat()
    api = create_component(SYSTEM, name="API", start_date=start)
    db_ = create_component(SYSTEM, name="DB", start_date=start)
    group = create_group(SYSTEM, component_ids=[api.id, db_.id], name="Core")
    first, second = outage(api.id, ago(days=4)), outage(db_.id, ago(days=2))
    body = call("get", "/component-groups/{group_id}/uptime", 200, {"group_id": group.id},
                query_string={"start": start})
    assert (body["id"], body["name"]) == (group.id, "Core")
    assert (body["major_outage"], body["partial_outage"]) == (7200, 14400)
    assert sorted(body["related_events"], key=lambda e: e["component_id"]) == sorted(
        [{"component_id": api.id, "incidents": [{"id": first}]},
         {"component_id": db_.id, "incidents": [{"id": second}]}], key=lambda e: e["component_id"])
    assert math.isclose(body["uptime_percentage"], call("get", "/components/{component_id}/uptime", 200,
                                                        {"component_id": api.id},
                                                        query_string={"start": start})["uptime_percentage"],
                        abs_tol=0.011)


def test_subscribers_are_counted_by_type_and_state(app, call, viewer):
    app.config["SMTP_URL"] = "mailto://127.0.0.1:2525?from=status@example.com"
    app.config["SMS_URL"] = "twilio://sid:token@15550001111"
    subscriptions.subscribe("email", "a@example.com", confirmed=True)
    subscriptions.subscribe("email", "b@example.com", confirmed=True)
    subscriptions.subscribe("email", "c@example.com")
    subscriptions.subscribe("sms", "+14155550100", confirmed=True)
    counts = call("get", "/subscribers/count", 200, headers=viewer)
    assert counts == {"email": 2, "sms": 1, "webhook": 0, "integration_partner": 0, "slack": 0}
    assert call("get", "/subscribers/count.json", 200, query_string={"state": "all"})["email"] == 3
    assert call("get", "/subscribers/count", 200, query_string={"state": "unconfirmed"})["email"] == 1
    assert call("get", "/subscribers/count", 200, query_string={"type": "sms"}) == {
        "email": 0, "sms": 1, "webhook": 0, "integration_partner": 0, "slack": 0}
    call("get", "/subscribers/count", 422, query_string={"type": "pigeon"})
    call("get", "/subscribers/count", 422, query_string={"state": "asleep"})
    call("get", "/subscribers/count", 422, query_string={"type": ""})


def test_incident_templates_are_listed_and_created(call, viewer, web):
    assert call("get", "/incident_templates", 200) == []
    template = {"template": {"name": "Web down", "title": "The website is unavailable", "body": "We are on it.",
                             "update_status": "identified", "component_ids": [web.id], "should_tweet": True,
                             "should_send_notifications": True, "impact": "critical"}}
    call("post", "/incident_templates", 403, headers=viewer, json=template)
    created = call("post", "/incident_templates.json", 201, json=template)
    assert (created["name"], created["title"], created["body"]) == ("Web down", "The website is unavailable",
                                                                   "We are on it.")
    assert created["update_status"] == "identified" and [c["id"] for c in created["components"]] == [web.id]
    assert created["component_statuses"] == {web.id: "major_outage"}
    assert call("get", "/incident_templates", 200, headers=viewer) == [created]
    assert call("get", "/incident_templates", 200, query_string={"page": 2}) == []
    for bad in ({"name": "", "title": "x"}, {"name": "x", "title": "y", "update_status": "resolved"}):
        call("post", "/incident_templates", 422, json={"template": bad})
    call("post", "/incident_templates", 404, json={"template": {"name": "x", "title": "y", "component_ids": ["no"]}})
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.action == "template.create"))


def test_every_parity_path_is_served_with_and_without_json(app):
    served = {rule.rule for rule in app.url_map.iter_rules()}
    for path in openapi_parity.paths():
        concrete = "/v1/pages/<page_id>" + path.replace("{", "<").replace("}", ">")
        concrete = concrete.replace("<incident_id>", "<incident_id:incident_id>")
        assert concrete in served and concrete + ".json" in served, path

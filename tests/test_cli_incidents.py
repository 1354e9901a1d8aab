"""`statuspage incident ...` and `statuspage component ...`: the same write path as the web and the API."""
import getpass
import re

import pytest

from statuspage.domain.components import create_component, create_group
from statuspage.domain.incidents import describe_incident, open_incident
from statuspage.domain.maintenance import schedule_maintenance
from statuspage.domain.recording import SYSTEM
from statuspage.extensions import db
from statuspage.models import (
    AuditEntry,
    Component,
    ComponentStatusChange,
    Incident,
    NotificationEvent,
)
from statuspage.models.columns import utcnow


def assert_one_line_error(result, *words):
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    for word in words:
        assert word in lines[0]


def test_open_creates_the_incident_and_prints_its_id(runner, web, fresh):
    result = runner.invoke(args=["incident", "open", "Web is down", "--status", "identified", "--impact", "major",
                                 "--component", f"{web.id}=major_outage", "--body", "The load balancer failed."])
    assert result.exit_code == 0, result.output
    incident = fresh(Incident, result.stdout.strip())
    assert (incident.name, incident.status, incident.impact) == ("Web is down", "identified", "major")
    assert [u.body for u in incident.updates] == ["The load balancer failed."]
    assert fresh(Component, web.id).status == "major_outage"
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "incident.create"))
    assert (entry.source, entry.actor_label, entry.actor_id) == ("cli", f"cli:{getpass.getuser()}", None)
    assert [e.kind for e in db.session.scalars(db.select(NotificationEvent))] == ["incident.opened"]


def test_no_notify_queues_nothing(runner):
    result = runner.invoke(args=["incident", "open", "Quiet fix", "--no-notify"])
    assert result.exit_code == 0
    assert db.session.scalar(db.select(db.func.count()).select_from(NotificationEvent)) == 0


def test_as_acts_for_a_console_user(runner, make_user):
    user = make_user("lead@example.com", "manager")
    result = runner.invoke(args=["incident", "open", "Slow", "--as", "LEAD@example.com"])
    assert result.exit_code == 0, result.output
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "incident.create"))
    assert (entry.actor_id, entry.actor_label, entry.source) == (user.id, "lead@example.com", "cli")


def test_update_and_resolve_move_the_incident_and_its_components(runner, web, fresh):
    incident_id = runner.invoke(args=["incident", "open", "Outage", "--component", f"{web.id}=partial_outage"]
                                ).stdout.strip()
    result = runner.invoke(args=["incident", "update", incident_id, "--status", "monitoring", "--body",
                                 "Fix deployed.", "--component", f"{web.id}=degraded_performance"])
    assert result.exit_code == 0, result.output
    assert "monitoring" in result.stderr
    assert fresh(Component, web.id).status == "degraded_performance"
    result = runner.invoke(args=["incident", "resolve", incident_id, "--body", "All good."])
    assert result.exit_code == 0, result.output
    incident = fresh(Incident, incident_id)
    assert incident.status == "resolved" and incident.updates[0].body == "All good."
    assert fresh(Component, web.id).status == "operational"


@pytest.mark.parametrize("args, words", [
    (["incident", "open", "Down", "--status", "on_fire"], ["on_fire", "investigating"]),
    (["incident", "open", "Down", "--impact", "huge"], ["huge"]),
    (["incident", "open", "Down", "--component", "nope=major_outage"], ["nope"]),
    (["incident", "open", "Down", "--component", "major_outage"], ["ID=STATUS"]),
    (["incident", "open", "Down", "--component", "{web}=broken"], ["broken"]),
    (["incident", "open", "  "], ["name"]),
    (["incident", "open", "Down", "--as", "nobody@example.com"], ["nobody@example.com"]),
    (["incident", "update", "nope", "--body", "x"], ["nope"]),
    (["incident", "resolve", "nope"], ["nope"]),
    (["component", "set-status", "nope", "major_outage"], ["nope"]),
    (["component", "set-status", "{web}", "down"], ["down"]),
])
def test_bad_input_is_one_line_on_stderr_and_exit_2(runner, web, args, words, fresh):
    result = runner.invoke(args=[a.format(web=web.id) for a in args])
    assert_one_line_error(result, *words)
    assert db.session.scalar(db.select(db.func.count()).select_from(Incident)) == 0
    assert fresh(Component, web.id).status == "operational"


def test_a_viewer_may_not_act_through_the_cli(runner, make_user):
    make_user("viewer@example.com", "viewer")
    assert_one_line_error(runner.invoke(args=["incident", "open", "Down", "--as", "viewer@example.com"]), "viewer")


def test_updating_a_resolved_incident_without_reopening_it_is_refused(runner):
    incident = open_incident(SYSTEM, name="Old", status="resolved")
    assert_one_line_error(runner.invoke(args=["incident", "update", incident.id, "--body", "More"]), "resolved")


def test_list_shows_open_incidents_and_all_with_the_flag(runner):
    open_incident(SYSTEM, name="Checkout errors", impact="major")
    open_incident(SYSTEM, name="Old outage", status="resolved")
    result = runner.invoke(args=["incident", "list"])
    assert result.exit_code == 0
    header, rule, *rows = result.stdout.strip().splitlines()
    assert header.split() == ["ID", "NAME", "STATUS", "IMPACT", "STARTED", "AGE"]
    assert set(rule.replace(" ", "")) == {"-"}
    assert len(rows) == 1
    assert "Checkout errors" in rows[0] and "investigating" in rows[0] and "major" in rows[0]
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC\s+less than a minute$", rows[0])
    everything = runner.invoke(args=["incident", "list", "--all"]).stdout
    assert "Old outage" in everything and "resolved" in everything


def test_list_says_so_when_nothing_is_open(runner):
    assert runner.invoke(args=["incident", "list"]).stdout.strip() == "No open incidents."


def test_list_shows_when_an_upcoming_maintenance_starts(runner):
    from datetime import timedelta
    start = utcnow() + timedelta(hours=3, seconds=30)
    schedule_maintenance(SYSTEM, name="DB upgrade", scheduled_for=start, scheduled_until=start + timedelta(hours=1))
    row = runner.invoke(args=["incident", "list"]).stdout.strip().splitlines()[-1]
    assert "DB upgrade" in row and "scheduled" in row and row.endswith("in 3 hours")


def test_component_list_is_a_table_in_page_order(runner):
    core = create_group(SYSTEM, name="Core")
    create_component(SYSTEM, name="Database", group_id=core.id, status="major_outage")
    create_component(SYSTEM, name="Billing worker", visibility="internal")
    result = runner.invoke(args=["component", "list"])
    assert result.exit_code == 0
    header, _, first, second = result.stdout.strip().splitlines()
    assert header.split() == ["ID", "GROUP", "NAME", "STATUS", "VISIBILITY"]
    assert first.split()[1:] == ["Core", "Database", "major_outage", "public"]
    assert second.split()[1:] == ["Billing", "worker", "operational", "internal"]


def test_set_status_records_a_manual_change(runner, web, fresh):
    result = runner.invoke(args=["component", "set-status", web.id, "under_maintenance"])
    assert result.exit_code == 0, result.output
    assert fresh(Component, web.id).status == "under_maintenance"
    change = db.session.scalar(db.select(ComponentStatusChange).where(ComponentStatusChange.component_id == web.id)
                               .order_by(ComponentStatusChange.id.desc()))
    assert (change.old_status, change.new_status, change.cause) == ("operational", "under_maintenance", "manual")
    assert db.session.scalar(db.select(AuditEntry.source).where(AuditEntry.action == "component.status")) == "cli"


TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")


def normalized(value, incident_id):
    """Times and the incident's own id replaced, so two records of the same story compare equal."""
    if isinstance(value, dict):
        return {k: normalized(v, incident_id) for k, v in value.items()}
    if isinstance(value, list):
        return [normalized(v, incident_id) for v in value]
    if isinstance(value, str) and TIMESTAMP.match(value):
        return "<time>"
    if value == incident_id:
        return "<id>"
    return value


def story(incident_id):
    """Everything the incident left behind, minus who, from where, ids and times."""
    db.session.expire_all()
    incident = db.session.get(Incident, incident_id)
    described = describe_incident(incident)
    return {
        "incident": normalized({k: v for k, v in described.items() if k != "resolved_at"}, incident_id)
        | {"resolved": incident.resolved_at is not None, "monitoring_at": incident.monitoring_at},
        "updates": [normalized((u.status, u.body, u.visibility, u.deliver_notifications, u.affected_components),
                               incident_id) for u in reversed(incident.updates)],
        "status_changes": db.session.execute(
            db.select(ComponentStatusChange.component_id, ComponentStatusChange.old_status,
                      ComponentStatusChange.new_status, ComponentStatusChange.cause)
            .where(ComponentStatusChange.incident_id == incident_id).order_by(ComponentStatusChange.id)).all(),
        "audit": [(e.action, e.object_type, e.object_label, normalized(e.before, incident_id),
                   normalized(e.after, incident_id))
                  for e in db.session.scalars(db.select(AuditEntry).where(AuditEntry.object_id == incident_id)
                                              .order_by(AuditEntry.id))],
        "events": db.session.scalars(db.select(NotificationEvent.kind)
                                     .where(NotificationEvent.incident_id == incident_id)
                                     .order_by(NotificationEvent.id)).all(),
        "sources": [(e.source, e.actor_label) for e in db.session.scalars(
            db.select(AuditEntry).where(AuditEntry.object_id == incident_id).order_by(AuditEntry.id))],
    }


def open_through_the_console(client, user, web, database) -> str:
    """Open, update and resolve the story through the console's forms, signed in as ``user``."""
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = str(user.id), True
    response = client.post("/admin/incidents/new", data={
        "name": "Checkout down", "status": "identified", "impact": "major", "itil_impact": "", "itil_urgency": "",
        "visibility": "public", "body": "Payments fail.", "notify": "y", "submit": "Open incident",
        f"component-{web.id}": "major_outage", f"component-{database.id}": "degraded_performance"})
    assert response.status_code == 302, response.text
    incident_id = response.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    revision = db.session.get(Incident, incident_id).revision
    response = client.post(f"/admin/incidents/{incident_id}/updates", data={
        "update-revision": revision, "update-status": "monitoring", "update-body": "Fix deployed.",
        "update-notify": "y", f"update-component-{web.id}": "degraded_performance",
        f"update-component-{database.id}": "degraded_performance"})
    assert response.status_code == 302, response.text
    db.session.expire_all()
    revision = db.session.get(Incident, incident_id).revision
    response = client.post(f"/admin/incidents/{incident_id}/resolve", data={
        "resolve-revision": revision, "resolve-body": "All good.", "resolve-notify": "y",
        f"resolve-component-{web.id}": "", f"resolve-component-{database.id}": ""})
    assert response.status_code == 302, response.text
    return incident_id


def test_the_same_incident_through_the_console_the_api_and_the_cli_leaves_the_same_records(
        client, runner, make_user, api_key, page_id, web, database):
    ops = make_user("ops@example.com", "manager")
    headers = api_key(user=ops)
    base = f"/v1/pages/{page_id}/incidents"
    created = client.post(base, headers=headers, json={"incident": {
        "name": "Checkout down", "status": "identified", "impact_override": "major", "body": "Payments fail.",
        "components": {web.id: "major_outage", database.id: "degraded_performance"}}})
    via_api = created.get_json()["id"]
    client.patch(f"{base}/{via_api}", headers=headers, json={"incident": {
        "status": "monitoring", "body": "Fix deployed.", "components": {web.id: "degraded_performance"}}})
    client.patch(f"{base}/{via_api}", headers=headers, json={"incident": {"status": "resolved",
                                                                           "body": "All good."}})

    via_cli = runner.invoke(args=[
        "incident", "open", "Checkout down", "--status", "identified", "--impact", "major",
        "--body", "Payments fail.", "--component", f"{web.id}=major_outage",
        "--component", f"{database.id}=degraded_performance", "--as", "ops@example.com"]).stdout.strip()
    runner.invoke(args=["incident", "update", via_cli, "--status", "monitoring", "--body", "Fix deployed.",
                        "--component", f"{web.id}=degraded_performance", "--as", "ops@example.com"])
    runner.invoke(args=["incident", "resolve", via_cli, "--body", "All good.", "--as", "ops@example.com"])

    via_web = open_through_the_console(client, ops, web, database)

    api_story, cli_story, web_story = story(via_api), story(via_cli), story(via_web)
    assert api_story.pop("sources") == [("api", "ops@example.com")] * 3
    assert cli_story.pop("sources") == [("cli", "ops@example.com")] * 3
    assert web_story.pop("sources") == [("web", "ops@example.com")] * 3
    for told in (api_story, cli_story, web_story):
        told["incident"]["monitoring_at"] = "<time>"
    assert api_story == cli_story == web_story
    assert len(api_story["updates"]) == 3 and len(api_story["status_changes"]) == 5
    assert api_story["events"] == ["incident.opened", "incident.updated", "incident.resolved"]

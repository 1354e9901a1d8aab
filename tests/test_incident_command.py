"""Acknowledge, take command, assign, mark mitigated and correct those times: from the incident page, the
dashboard and the CLI, each audited, none of them moving what the public sees."""
from datetime import timedelta

import pytest

from statuspage.domain import command
from statuspage.domain import incidents as incident_rules
from statuspage.domain.recording import SYSTEM, Actor, DomainError
from statuspage.extensions import db
from statuspage.models import AuditEntry, Incident, Site
from statuspage.models.columns import utcnow


@pytest.fixture
def opened(app, web):
    return incident_rules.open_incident(SYSTEM, name="Checkout fails", body="Looking.", itil_impact=1,
                                        itil_urgency=1, components={web.id: "major_outage"},
                                        at=utcnow() - timedelta(minutes=10))


def audit_actions(incident_id: str) -> list[str]:
    return list(db.session.scalars(db.select(AuditEntry.action).where(AuditEntry.object_id == incident_id)
                                   .order_by(AuditEntry.id)))


def test_acknowledging_records_time_and_who_and_an_audit_entry(opened, make_user, fresh):
    lead = make_user("lead@example.com", "manager")
    command.acknowledge(Actor.for_user(lead, "web"), opened.id)
    incident = fresh(Incident, opened.id)
    assert incident.acknowledged_by_id == lead.id
    assert utcnow() - incident.acknowledged_at < timedelta(seconds=5)
    assert audit_actions(opened.id)[-1] == "incident.acknowledge"


def test_command_actions_leave_the_public_version_and_updated_time_alone(opened, make_user, fresh):
    lead = make_user("lead@example.com", "manager")
    public_before, internal_before = Site.get().public_version, Site.get().version
    updated_before = fresh(Incident, opened.id).updated_at
    actor = Actor.for_user(lead, "web")
    command.take_command(actor, opened.id)
    command.mark_mitigated(actor, opened.id)
    site = fresh(Site, 1)
    assert site.public_version == public_before
    assert site.version == internal_before + 2
    assert fresh(Incident, opened.id).updated_at == updated_before


def test_a_second_acknowledgement_is_refused_with_the_first_time(opened):
    command.acknowledge(SYSTEM, opened.id)
    with pytest.raises(DomainError, match="already acknowledged"):
        command.acknowledge(SYSTEM, opened.id)


def test_taking_command_makes_me_owner_and_acknowledges(opened, make_user, fresh):
    lead = make_user("lead@example.com", "manager")
    command.take_command(Actor.for_user(lead, "web"), opened.id)
    incident = fresh(Incident, opened.id)
    assert (incident.owner_id, incident.acknowledged_by_id) == (lead.id, lead.id)


def test_only_an_active_manager_or_admin_can_own_an_incident(opened, make_user):
    viewer = make_user("viewer@example.com", "viewer")
    with pytest.raises(DomainError, match="manager or admin"):
        command.assign_owner(SYSTEM, opened.id, viewer.id)


def test_a_manager_corrects_the_times_and_the_audit_keeps_both(opened, fresh):
    when = opened.started_at + timedelta(minutes=3)
    command.acknowledge(SYSTEM, opened.id)
    command.correct_times(SYSTEM, opened.id, acknowledged_at=when, mitigated_at=when + timedelta(minutes=2))
    incident = fresh(Incident, opened.id)
    assert incident.acknowledged_at == when
    assert incident.mitigated_at == when + timedelta(minutes=2)
    entry = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "incident.correct_times")).one()
    assert entry.before["mitigated_at"] is None and entry.after["acknowledged_at"] == when.isoformat()


def test_a_time_before_the_start_or_in_the_future_is_refused(opened):
    with pytest.raises(DomainError, match="before the incident started"):
        command.correct_times(SYSTEM, opened.id, acknowledged_at=opened.started_at - timedelta(minutes=1))
    with pytest.raises(DomainError, match="future"):
        command.correct_times(SYSTEM, opened.id, mitigated_at=utcnow() + timedelta(hours=1))


def test_the_incident_page_acknowledges_in_one_click(client, login, opened, fresh):
    login("manager")
    page = client.get(f"/admin/incidents/{opened.id}").get_data(as_text=True)
    assert "Not yet" in page and "Take command" in page and "Acknowledge</button>" in page
    response = client.post(f"/admin/incidents/{opened.id}/acknowledge")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/admin/incidents/{opened.id}")
    assert fresh(Incident, opened.id).acknowledged_at is not None
    again = client.post(f"/admin/incidents/{opened.id}/acknowledge", follow_redirects=True)
    assert "Already acknowledged" in again.get_data(as_text=True)


def test_the_dashboard_leads_with_unacknowledged_incidents_and_takes_command(client, login, opened, fresh):
    manager = login("manager")
    page = client.get("/admin/").get_data(as_text=True)
    assert page.index("Needs you now") < page.index("Unresolved incidents")
    assert "Not acknowledged:" in page and "Checkout fails" in page
    response = client.post(f"/admin/incidents/{opened.id}/take-command", data={"back": "dashboard"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/admin/")
    assert fresh(Incident, opened.id).owner_id == manager.id
    assert "Not acknowledged:" not in client.get("/admin/").get_data(as_text=True)


def test_assigning_an_unknown_owner_from_the_page_is_a_message_not_an_error(client, login, opened):
    login("manager")
    response = client.post(f"/admin/incidents/{opened.id}/assign", data={"owner_id": "abc"},
                           follow_redirects=True)
    assert response.status_code == 200 and "Not a valid choice" in response.get_data(as_text=True)


def test_a_viewer_sees_the_command_card_without_buttons(client, login, opened):
    login("viewer")
    page = client.get(f"/admin/incidents/{opened.id}").get_data(as_text=True)
    assert "Command" in page and "Take command" not in page


def test_cli_acknowledges_and_assigns(runner, opened, make_user, fresh):
    lead = make_user("lead@example.com", "manager")
    result = runner.invoke(args=["incident", "ack", opened.id, "--as", "lead@example.com"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["incident", "assign", opened.id, "LEAD@example.com"])
    assert result.exit_code == 0, result.output
    incident = fresh(Incident, opened.id)
    assert (incident.acknowledged_by_id, incident.owner_id) == (lead.id, lead.id)


def test_cli_bad_input_is_one_line_and_exit_code_2(runner, opened):
    result = runner.invoke(args=["incident", "ack", "nope"])
    assert result.exit_code == 2 and result.output.strip().count("\n") == 0 and "no incident" in result.output
    result = runner.invoke(args=["incident", "assign", opened.id, "ghost@example.com"])
    assert result.exit_code == 2 and "no user" in result.output


def test_a_closed_incident_is_not_acknowledged_or_mitigated_now_but_its_times_can_be_corrected(opened, fresh):
    incident_rules.resolve_incident(SYSTEM, opened.id)
    for action in (command.acknowledge, command.mark_mitigated):
        with pytest.raises(DomainError, match="closed; correct its times"):
            action(SYSTEM, opened.id)
    command.correct_times(SYSTEM, opened.id, mitigated_at=opened.started_at + timedelta(minutes=5))
    assert fresh(Incident, opened.id).mitigated_at == opened.started_at + timedelta(minutes=5)

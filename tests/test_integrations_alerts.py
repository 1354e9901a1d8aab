"""Monitoring in: Alertmanager and Grafana notifications, replayed as they send them, set component statuses
through the one write path: one history row and one audit entry per real transition, never per delivery."""
import pytest
from alert_payloads import ago, alertmanager, am_alert, grafana, grafana_alert, resolved

from statuspage.domain.components import set_component_status
from statuspage.domain.recording import Actor
from statuspage.extensions import db
from statuspage.models import AuditEntry, Component, ComponentStatusChange, Incident, IncidentTemplate, ReceivedAlert


@pytest.fixture
def hook(client, page_id, api_key):
    """``hook(source, body)`` posts a notification with a manager's key, sent as Bearer like both tools do."""
    headers = api_key("manager", scheme="Bearer")

    def post(source: str, body, **kwargs):
        return client.post(f"/v1/pages/{page_id}/integrations/{source}", json=body,
                           headers=headers | kwargs.pop("headers", {}), **kwargs)

    return post


def statuses(component) -> list[str]:
    """The component's status history, oldest first, as the integration and everyone else wrote it."""
    db.session.expire_all()
    rows = db.session.scalars(db.select(ComponentStatusChange).where(
        ComponentStatusChange.component_id == component.id).order_by(ComponentStatusChange.id))
    return [f"{row.new_status}/{row.cause}" for row in rows]


def status_audit(component) -> list[AuditEntry]:
    return list(db.session.scalars(db.select(AuditEntry).where(
        AuditEntry.object_id == component.id, AuditEntry.action == "component.status").order_by(AuditEntry.id)))


def status_of(component) -> str:
    db.session.expire_all()
    return db.session.get(Component, component.id).status


def test_alertmanager_firing_then_resolved_takes_the_component_down_and_back(hook, web):
    alert = am_alert({"component": "Web", "severity": "critical"}, ago(3))
    response = hook("alertmanager", alertmanager(alert))
    assert response.status_code == 200
    assert response.get_json()["component_changes"] == [
        {"code": web.id, "name": "Web", "old_status": "operational", "new_status": "major_outage"}]
    assert status_of(web) == "major_outage"

    assert hook("alertmanager", alertmanager(resolved(alert))).status_code == 200
    assert status_of(web) == "operational"
    assert statuses(web) == ["operational/manual", "major_outage/monitor", "operational/monitor"]
    audit = status_audit(web)
    assert [(e.before["status"], e.after["status"]) for e in audit] == [
        ("operational", "major_outage"), ("major_outage", "operational")]
    assert {(e.actor_label, e.source) for e in audit} == {("Alertmanager (key of manager@example.com)",
                                                           "integration")}


def test_the_same_group_sent_three_times_is_one_change_each_way(hook, web):
    alert = am_alert({"component": web.id, "severity": "warning"}, ago(10))
    answers = [hook("alertmanager", alertmanager(alert)).get_json() for _ in range(3)]
    assert [(a["new"], a["repeated"], len(a["component_changes"])) for a in answers] == [
        (1, 0, 1), (0, 1, 0), (0, 1, 0)]
    answers = [hook("alertmanager", alertmanager(resolved(alert))).get_json() for _ in range(3)]
    assert [(a["resolved"], a["repeated"], len(a["component_changes"])) for a in answers] == [
        (1, 0, 1), (0, 1, 0), (0, 1, 0)]
    assert statuses(web) == ["operational/manual", "partial_outage/monitor", "operational/monitor"]
    assert len(status_audit(web)) == 2
    row = db.session.scalar(db.select(ReceivedAlert))
    assert (row.times_received, row.status) == (6, "resolved")


def test_several_alerts_in_one_group_the_worst_firing_wins_until_the_last_resolves(hook, web, database):
    warning = am_alert({"component": "Web", "severity": "warning", "instance": "web-1"}, ago(9))
    critical = am_alert({"component": "Web", "severity": "critical", "instance": "web-2"}, ago(8))
    info = am_alert({"component": "Database", "severity": "info"}, ago(7))
    answer = hook("alertmanager", alertmanager(warning, critical, info)).get_json()
    assert (answer["new"], len(answer["component_changes"])) == (3, 2)
    assert (status_of(web), status_of(database)) == ("major_outage", "degraded_performance")
    assert statuses(web) == ["operational/manual", "major_outage/monitor"]  # one change, not two

    hook("alertmanager", alertmanager(warning, resolved(critical), info))
    assert status_of(web) == "partial_outage"
    hook("alertmanager", alertmanager(resolved(warning), resolved(critical), resolved(info)))
    assert (status_of(web), status_of(database)) == ("operational", "operational")
    assert statuses(web) == ["operational/manual", "major_outage/monitor", "partial_outage/monitor",
                             "operational/monitor"]
    assert len(status_audit(web)) == 3 and len(status_audit(database)) == 2


def test_a_hand_change_between_firing_and_resolving_is_left_alone(hook, web, make_user):
    alert = am_alert({"component": "Web", "severity": "critical"}, ago(20))
    hook("alertmanager", alertmanager(alert))
    someone = make_user("oncall@example.com", "manager")
    set_component_status(Actor.for_user(someone, "web"), web.id, "partial_outage")

    answer = hook("alertmanager", alertmanager(resolved(alert))).get_json()
    assert (answer["resolved"], answer["component_changes"]) == (1, [])
    assert status_of(web) == "partial_outage"
    assert statuses(web) == ["operational/manual", "major_outage/monitor", "partial_outage/manual"]
    assert [e.source for e in status_audit(web)] == ["integration", "web"]


def test_a_new_alert_after_a_hand_change_only_makes_things_worse(hook, web):
    set_component_status(Actor(), web.id, "partial_outage")
    hook("alertmanager", alertmanager(am_alert({"component": "Web", "severity": "info"}, ago(5))))
    assert status_of(web) == "partial_outage"  # degraded would be better than what a person said
    critical = am_alert({"component": "Web", "severity": "critical", "instance": "2"}, ago(4))
    hook("alertmanager", alertmanager(critical))
    assert status_of(web) == "major_outage"


def test_an_alert_for_no_known_component_is_accepted_and_recorded(hook, web):
    body = alertmanager(am_alert({"component": "Billing", "severity": "critical"}, ago(2)),
                        am_alert({"service": "search"}, ago(2)))
    response = hook("alertmanager", body)
    assert response.status_code == 200
    assert (response.get_json()["unmatched"], response.get_json()["component_changes"]) == (2, [])
    notes = sorted(row.note for row in db.session.scalars(db.select(ReceivedAlert)))
    assert notes == ["it has no component label and no component's matchers fit its labels",
                     "its component label “Billing” names no component"]
    assert status_of(web) == "operational"


def test_grafana_firing_then_resolved_through_matchers_an_admin_set(hook, web, client, login):
    login("admin")
    response = client.post("/admin/integrations", data={
        "severities": "critical: major_outage\nwarning: partial_outage\ninfo: degraded_performance",
        "other_status": "major_outage", "incident_template_id": "",
        f"matcher-{web.id}": 'team="blue", zone="us-1"'})
    assert response.status_code == 302
    alert = grafana_alert({"zone": "us-1"}, ago(6))  # no severity label: "any other" applies
    other_zone = grafana_alert({"zone": "eu-1"}, ago(6), fingerprint="bc97ff14869b13e3")
    answer = hook("grafana", grafana(alert, other_zone)).get_json()
    assert (answer["new"], answer["unmatched"]) == (2, 1)
    assert status_of(web) == "major_outage"
    hook("grafana", grafana(alert, other_zone))
    hook("grafana", grafana(resolved(alert), other_zone))
    assert status_of(web) == "operational"
    assert statuses(web) == ["operational/manual", "major_outage/monitor", "operational/monitor"]
    assert [e.actor_label for e in status_audit(web)] == ["Grafana (key of manager@example.com)"] * 2


def test_an_admin_can_change_what_a_severity_means(hook, web, client, login):
    login("admin")
    client.post("/admin/integrations", data={"severities": "critical: partial_outage\npage = major_outage",
                                             "other_status": "none", "incident_template_id": ""})
    hook("alertmanager", alertmanager(am_alert({"component": "Web", "severity": "critical"}, ago(3))))
    assert status_of(web) == "partial_outage"
    hook("alertmanager", alertmanager(am_alert({"component": "Web", "severity": "debug"}, ago(2))))
    assert status_of(web) == "partial_outage"  # "none": recorded, changes nothing
    hook("alertmanager", alertmanager(am_alert({"component": "Web", "severity": "PAGE"}, ago(1))))
    assert status_of(web) == "major_outage"


def test_a_critical_alert_opens_one_incident_from_the_chosen_template(hook, web, client, login):
    login("admin")
    client.post("/admin/templates/new", data={"title": "Site down", "name": "Our website is down",
                                              "status": "investigating", "impact": "critical",
                                              "body": "We are looking into it."})
    template_id = db.session.scalar(db.select(IncidentTemplate.id))
    client.post("/admin/integrations", data={"severities": "critical: major_outage", "other_status": "none",
                                             "incident_template_id": template_id})
    alert = am_alert({"component": "Web", "severity": "critical"}, ago(3))
    first = hook("alertmanager", alertmanager(alert)).get_json()
    again = hook("alertmanager", alertmanager(alert)).get_json()
    other = hook("alertmanager", alertmanager(am_alert({"component": "Web", "severity": "critical",
                                                        "instance": "b"}, ago(2)))).get_json()
    incidents = db.session.scalars(db.select(Incident)).all()
    assert len(incidents) == 1 and first["incident_id"] == incidents[0].id
    assert (incidents[0].name, again["incident_id"], other["incident_id"]) == ("Our website is down", None, None)
    assert statuses(web) == ["operational/manual", "major_outage/monitor"]


@pytest.mark.parametrize("headers, code", [({"Authorization": "Bearer sp_wrong"}, 401),
                                           ({"Authorization": ""}, 401)])
def test_a_bad_key_is_refused(hook, web, headers, code):
    body = alertmanager(am_alert({"component": "Web", "severity": "critical"}, ago(1)))
    response = hook("alertmanager", body, headers=headers)
    assert response.status_code == code and "error" in response.get_json()
    assert status_of(web) == "operational" and db.session.scalar(db.select(ReceivedAlert)) is None


def test_a_viewers_key_may_not_change_components(client, page_id, api_key, web):
    response = client.post(f"/v1/pages/{page_id}/integrations/grafana", headers=api_key("viewer", scheme="Bearer"),
                           json=grafana(grafana_alert({"component": "Web"}, ago(1))))
    assert response.status_code == 403


@pytest.mark.parametrize("source, body, code, field", [
    ("alertmanager", "{not json", 400, None),
    ("alertmanager", [], 422, "body"),
    ("alertmanager", {}, 422, "version"),
    ("grafana", alertmanager(am_alert({"component": "Web"}, ago(1))), 422, "version"),
    ("alertmanager", {**alertmanager(), "alerts": {"a": 1}}, 422, "alerts"),
    ("alertmanager", alertmanager({**am_alert({"component": "Web"}, ago(1)), "startsAt": "yesterday"}), 422,
     "alerts[0].startsAt"),
    ("alertmanager", alertmanager({**am_alert({"component": "Web"}, ago(1)), "status": "pending"}), 422,
     "alerts[0].status"),
    ("alertmanager", alertmanager({**am_alert({}, ago(1)), "labels": {"severity": 3}}), 422, "alerts[0].labels"),
    ("grafana", {**grafana(), "orgId": "one"}, 422, "orgId"),
])
def test_a_malformed_notification_is_refused_whole_with_the_reason(hook, web, source, body, code, field):
    if isinstance(body, str):
        response = hook(source, None, data=body, content_type="application/json")
    else:
        response = hook(source, body)
    assert response.status_code == code
    assert response.get_json()["error"] and response.get_json().get("field") == field
    assert db.session.scalar(db.select(ReceivedAlert)) is None and status_of(web) == "operational"


def test_a_component_under_maintenance_is_left_alone(hook, web):
    set_component_status(Actor(), web.id, "under_maintenance")
    alert = am_alert({"component": "Web", "severity": "critical"}, ago(3))
    hook("alertmanager", alertmanager(alert))
    hook("alertmanager", alertmanager(resolved(alert)))
    assert statuses(web) == ["operational/manual", "under_maintenance/manual"]

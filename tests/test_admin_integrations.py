"""The integrations page in the console: the alerts received (unmatched ones stand out), copy-paste set-up for
Alertmanager and Grafana, and the mapping only an admin may change. The receivers keep their OpenAPI promise."""
import jsonschema
from alert_payloads import ago, alertmanager, am_alert

from statuspage.domain import alerts
from statuspage.domain.alert_payloads import read_group
from statuspage.extensions import db
from statuspage.models import AlertSettings, AuditEntry, User


def receive(body: dict, email: str = "bot@example.com"):
    user = db.session.scalar(db.select(User).where(User.email == email))
    return alerts.receive(alerts.integration_actor("alertmanager", user), "alertmanager",
                          read_group("alertmanager", body))


def test_a_viewer_reads_the_alerts_received_and_the_set_up(client, login, make_user, web, page_id):
    make_user("bot@example.com", "manager")
    receive(alertmanager(am_alert({"component": "Web", "severity": "warning"}, ago(5), summary="Slow pages"),
                         am_alert({"component": "Payments", "severity": "critical"}, ago(4))))
    login("viewer")
    page = client.get("/admin/integrations")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'href="/admin/integrations" aria-current="page">Integrations</a>' in html  # in the console menu
    assert "Slow pages" in html and "Partial outage" in html
    assert '<tr class="unmatched">' in html and html.count('class="unmatched"') == 1
    assert "its component label “Payments” names no component" in html
    assert "1 alert matched no component" in html
    assert f"url: http://status.test/v1/pages/{page_id}/integrations/alertmanager" in html
    assert "type: Bearer" in html and "credentials: &lt;API key&gt;" in html
    assert f"url: http://status.test/v1/pages/{page_id}/integrations/grafana" in html
    assert "authorization_scheme: Bearer" in html
    assert "Save mapping" not in html
    assert client.post("/admin/integrations", data={"severities": ""}).status_code == 403

    only = client.get("/admin/integrations?show=unmatched").get_data(as_text=True)
    assert "Payments" in only and "Slow pages" not in only


def test_an_admin_is_told_what_is_wrong_with_the_mapping(client, login, web):
    login("admin")
    page = client.post("/admin/integrations", data={"severities": "critical: on_fire", "other_status": "none",
                                                    "incident_template_id": "", f"matcher-{web.id}": "env=prod"})
    assert page.status_code == 422
    assert "line 1: write it as" in page.get_data(as_text=True)
    page = client.post("/admin/integrations", data={"severities": "critical: major_outage", "other_status": "none",
                                                    "incident_template_id": "", f"matcher-{web.id}": "env"})
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert 'id="matcher-' + web.id + '-error">write matchers like' in html
    assert 'value="env"' in html  # what was typed is kept
    assert db.session.get(AlertSettings, 1) is None


def test_an_admin_saves_the_mapping_and_the_audit_log_says_so(client, login, web):
    login("admin")
    response = client.post("/admin/integrations", data={
        "severities": "critical: major_outage\n\nwarning = degraded_performance", "other_status": "none",
        "incident_template_id": "", f"matcher-{web.id}": 'service="web"'})
    assert response.status_code == 302
    html = client.get("/admin/integrations").get_data(as_text=True)
    assert "warning: degraded_performance" in html and 'value="service=&#34;web&#34;"' in html
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "integrations.settings"))
    assert entry.after["matchers"] == {web.id: {"service": "web"}} and entry.source == "web"


def test_the_receivers_answers_match_the_openapi_document(client, page_id, api_key, web):
    spec = client.get("/api/v1/openapi.json").get_json()
    headers = api_key("manager", scheme="Bearer")
    for source, body, code in (
            ("alertmanager", alertmanager(am_alert({"component": "Web", "severity": "critical"}, ago(1))), 200),
            ("grafana", alertmanager(), 422), ("alertmanager", "nope", 400)):
        response = client.post(f"/v1/pages/{page_id}/integrations/{source}", headers=headers,
                               **({"json": body} if isinstance(body, dict) else {"data": body,
                                                                                 "content_type": "application/json"}))
        assert response.status_code == code
        documented = spec["paths"]["/v1/pages/{page_id}/integrations/" + source]["post"]["responses"][str(code)]
        if "$ref" in documented:
            documented = spec["components"]["responses"][documented["$ref"].rsplit("/", 1)[1]]
        schema = documented["content"]["application/json"]["schema"]
        jsonschema.Draft202012Validator({**schema, "components": spec["components"]}).validate(response.get_json())
        body_schema = spec["paths"]["/v1/pages/{page_id}/integrations/" + source]["post"]["requestBody"]
        if code == 200:
            jsonschema.Draft202012Validator(body_schema["content"]["application/json"]["schema"]).validate(body)

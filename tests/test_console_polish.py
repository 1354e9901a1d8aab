"""The console as the incident manager meets it: filter tabs, no public footer, the update and resolve forms
(one "operational / not affected" choice, only real changes), maintenance in one named zone, actions in words,
a link to the internal page, and incident templates in the demo."""
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from statuspage.domain import components as components_domain
from statuspage.domain import incidents as incidents_domain
from statuspage.domain import maintenance as maintenance_domain
from statuspage.domain.recording import SYSTEM
from statuspage.extensions import db
from statuspage.models import AuditEntry, Incident, IncidentTemplate, Site
from statuspage.models.columns import utcnow
from statuspage.web.admin.action_words import ACTION_WORDS, action_words

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def parts(app):
    api = components_domain.create_component(SYSTEM, name="API")
    web = components_domain.create_component(SYSTEM, name="Website")
    return api, web


def options(page: str, select_id: str) -> list[str]:
    select = re.search(rf'<select id="{select_id}".*?</select>', page, re.S).group(0)
    return re.findall(r"<option[^>]*>([^<]*)</option>", select)


# 9. Tabs and the console's own footer

def test_the_incident_filters_are_tabs_marking_the_current_one(client, login):
    login("viewer")
    page = client.get("/admin/incidents?show=open").get_data(as_text=True)
    tabs = re.search(r'<nav class="tabs" aria-label="Which incidents">.*?</nav>', page, re.S).group(0)
    assert re.findall(r'<a [^>]*aria-current="page"[^>]*>([^<]+)</a>', tabs) == ["Open"]


def test_the_console_has_no_public_footer(client, login):
    login("viewer")
    for path in ("/admin/", "/admin/incidents", "/admin/deliveries", "/admin/maintenance"):
        footer = client.get(path).get_data(as_text=True).split('<footer class="site-footer">')[1]
        assert "Subscribe to updates" not in footer and "/history.rss" not in footer, path


def test_the_console_navigation_links_to_the_internal_page(client, login):
    login("viewer")
    nav = re.search(r'<nav class="console-nav".*?</nav>', client.get("/admin/").get_data(as_text=True), re.S)
    assert 'href="/internal"' in nav.group(0)


# 10. The update and resolve forms

def test_the_update_form_offers_operational_and_not_affected_as_one_choice(client, login, parts):
    login()
    api, web = parts
    incident = incidents_domain.open_incident(SYSTEM, name="API errors", components={api.id: "major_outage"})
    page = client.get(f"/admin/incidents/{incident.id}").get_data(as_text=True)
    choices = options(page, f"update-component-{web.id}")
    assert choices[0] == "Operational (not affected)" and "Operational" not in choices and "Not affected" not in choices
    assert page.index(f'id="update-component-{api.id}"') < page.index(f'id="update-component-{web.id}"')


def test_an_update_leaves_components_outside_the_incident_out_even_when_sent_operational(client, login, parts):
    login()
    api, web = parts
    incident = incidents_domain.open_incident(SYSTEM, name="API errors", components={api.id: "major_outage"})
    docs = components_domain.create_component(SYSTEM, name="Docs")
    response = client.post(f"/admin/incidents/{incident.id}/updates", data={
        "update-status": "identified", "update-body": "Found it.", f"update-component-{api.id}": "major_outage",
        f"update-component-{web.id}": "", f"update-component-{docs.id}": "operational"})
    assert response.status_code == 302
    db.session.refresh(incident)
    assert [a.component_id for a in incident.affected] == [api.id]
    assert incident.updates[0].affected_components is None  # no change recorded


def test_choosing_operational_for_a_component_of_the_incident_recovers_it(client, login, parts):
    login()
    api, web = parts
    incident = incidents_domain.open_incident(SYSTEM, name="API errors", components={api.id: "major_outage"})
    client.post(f"/admin/incidents/{incident.id}/updates", data={
        "update-status": "monitoring", "update-body": "Recovering.", f"update-component-{api.id}": "",
        f"update-component-{web.id}": ""})
    db.session.refresh(api)
    assert api.status == "operational"
    page = client.get(f"/admin/incidents/{incident.id}").get_data(as_text=True)
    assert "Component states (0 affected)" in page


def test_resolving_never_makes_a_component_look_worse_than_it_is(app, parts):
    api, _ = parts
    incidents_domain.open_incident(SYSTEM, name="Slow API", components={api.id: "degraded_performance"})
    second = incidents_domain.open_incident(SYSTEM, name="API errors", components={api.id: "major_outage"})
    incidents_domain.post_update(SYSTEM, second.id, body="Recovered.", components={api.id: "operational"})
    update = incidents_domain.resolve_incident(SYSTEM, second.id)
    assert api.status == "operational"
    assert update.affected_components is None  # no "Operational → Degraded performance"


def test_completing_maintenance_hands_a_component_back_to_the_incident_that_holds_it(app, parts):
    api, _ = parts
    incidents_domain.open_incident(SYSTEM, name="API errors", components={api.id: "partial_outage"})
    start = utcnow() - timedelta(minutes=5)
    window = maintenance_domain.schedule_maintenance(SYSTEM, name="Upgrade", scheduled_for=start,
                                                     scheduled_until=start + timedelta(hours=1),
                                                     component_ids=[api.id])
    incidents_domain.post_update(SYSTEM, window.id, status="in_progress", body="Started.")
    assert api.status == "under_maintenance"
    incidents_domain.post_update(SYSTEM, window.id, status="completed", body="Done.")
    assert api.status == "partial_outage"


def test_the_resolve_form_lists_only_this_incidents_components_it_would_change(client, login, parts):
    login()
    api, web = parts
    docs = components_domain.create_component(SYSTEM, name="Docs")
    incidents_domain.open_incident(SYSTEM, name="Slow API", components={api.id: "degraded_performance"})
    incident = incidents_domain.open_incident(SYSTEM, name="Outage", components={
        api.id: "major_outage", web.id: "partial_outage", docs.id: "degraded_performance"})
    incidents_domain.post_update(SYSTEM, incident.id, body="Docs are back.", components={docs.id: "operational"})
    page = client.get(f"/admin/incidents/{incident.id}").get_data(as_text=True)
    resolve = page.split('id="resolve-title"')[1].split("</section>")[0]
    assert f"resolve-component-{docs.id}" not in resolve  # already operational: nothing to change
    assert options(resolve, f"resolve-component-{web.id}")[0] == "Return to operational"
    assert options(resolve, f"resolve-component-{api.id}")[0] == \
        "Return to degraded performance (another incident holds it)"


# 11. Maintenance in one zone

def test_maintenance_screens_show_times_in_the_site_zone_only_and_name_it(client, login, app):
    login()
    site = Site.get()
    site.time_zone = "Europe/London"
    db.session.commit()
    start = datetime(utcnow().year + 1, 1, 15, 2, 0, tzinfo=UTC)  # winter: London is UTC+0
    window = maintenance_domain.schedule_maintenance(SYSTEM, name="Upgrade", scheduled_for=start,
                                                     scheduled_until=start + timedelta(hours=2))
    for path in ("/admin/maintenance", f"/admin/maintenance/{window.id}", "/admin/maintenance/new"):
        page = client.get(path).get_data(as_text=True)
        assert "data-local" not in page and "data-zone-note" not in page, path  # the browser converts nothing
        assert "All times on this page are in <strong>Europe/London</strong>" in page, path
    assert "15 Jan" in client.get(f"/admin/maintenance/{window.id}").get_data(as_text=True)


def test_a_window_is_typed_in_the_zone_the_form_names(client, login, parts):
    login()
    site = Site.get()
    site.time_zone = "America/New_York"
    db.session.commit()
    year = utcnow().year + 1
    response = client.post("/admin/maintenance/new", data={
        "name": "Upgrade", "scheduled_for": f"{year}-07-01T02:00", "scheduled_until": f"{year}-07-01T04:00",
        "remind_minutes_before": "60", "visibility": "public"})
    assert response.status_code == 302
    window = db.session.scalar(db.select(Incident).where(Incident.kind == "maintenance"))
    assert window.scheduled_for == datetime(year, 7, 1, 6, 0, tzinfo=UTC)  # 02:00 EDT
    assert "America/New_York" in client.get("/admin/maintenance/new").get_data(as_text=True)


# 12. Words, templates

def recorded_actions() -> set[str]:
    """Every audit action code the code base writes (literal first arguments of record/_audit/_write)."""
    found = set()
    for path in (ROOT / "statuspage").rglob("*.py"):
        text = path.read_text()
        for first, second in re.findall(r'(?:record|_audit|_write)\(\s*\w+,\s*(?:\w+,\s*)?"([a-z_]+\.[a-z_]+)"'
                                        r'(?: if [^"]+ else "([a-z_]+\.[a-z_]+)")?', text):
            found |= {first, second} - {""}
        found |= set(re.findall(r'action(?:: str)?\s*=\s*"([a-z_]+\.[a-z_]+)"', text))
    return found


def test_every_action_the_code_records_has_words():
    actions = recorded_actions()
    assert {"incident.create", "subscriber.confirmed", "user.deactivate"} <= actions  # the scan finds them
    assert {"user.activate", "incident.note", "subscriber.deleted"} <= actions
    missing = sorted(a for a in actions if a not in ACTION_WORDS)
    assert missing == []


def test_an_unknown_action_still_reads_as_words():
    assert action_words("widget.got_polished") == "widget got polished"


def test_the_audit_log_and_dashboard_show_words_not_codes(client, login):
    login("viewer")
    db.session.add(AuditEntry(actor_label="ann@example.com", source="web", action="subscriber.confirmed",
                              object_type="subscriber", object_id="s1", object_label="reader@example.com"))
    db.session.commit()
    audit = client.get("/admin/audit").get_data(as_text=True)
    dashboard = client.get("/admin/").get_data(as_text=True)
    for page in (audit, dashboard):
        assert "confirmed the subscription" in page
    entries = audit.split('<ol class="audit-list">')[1]
    assert "subscriber.confirmed" not in entries and "subscriber.confirmed" not in dashboard
    assert '<option value="subscriber.confirmed">Confirmed the subscription</option>' in audit


def test_the_demo_seeds_three_incident_templates(app):
    from statuspage.demo import seed

    seed()
    templates = db.session.scalars(db.select(IncidentTemplate)).all()
    assert len(templates) == 3 and all(t.components for t in templates)


def test_the_new_incident_page_carries_what_a_template_fills_in(client, login, parts):
    from statuspage.domain.templates import create_template

    login()
    api, _ = parts
    template = create_template(SYSTEM, title="API down", name="API is down", impact="major",
                               body="We are on it.", components={api.id: "major_outage"})
    page = client.get("/admin/incidents/new").get_data(as_text=True)
    assert "js/incident_template.js" in page
    data = re.search(r'<script type="application/json" id="template-data">(.*?)</script>', page).group(1)
    import json
    assert json.loads(data)[template.id] == {"name": "API is down", "body": "We are on it.",
                                             "status": "investigating", "impact": "major",
                                             "components": {api.id: "major_outage"}}
    filled = client.get(f"/admin/incidents/new?template={template.id}").get_data(as_text=True)
    assert 'value="API is down"' in filled  # without JavaScript the GET picker still fills the form

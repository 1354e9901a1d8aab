"""Poison input: typed text is cleaned once where it is written, and no record, however bad, takes a public
surface down (feeds stay valid XML, pages and JSON answer 200)."""
import json
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import text
from test_public_surfaces import public_get_rules

from statuspage.domain import components as component_rules
from statuspage.domain import incidents as incident_rules
from statuspage.domain import maintenance as maintenance_rules
from statuspage.domain import templates as template_rules
from statuspage.domain.recording import SYSTEM, DomainError
from statuspage.domain.site_settings import update_site
from statuspage.domain.text import clean_line, clean_text, xml_safe
from statuspage.extensions import db
from statuspage.models import Component, Incident, IncidentUpdate, Site
from statuspage.models.columns import utcnow

POISON = "Bad\x01 \x08bell\x07 esc\x1b vt\x0b ff\x0c nonchar\ufffe\uffff"
NEWLINES = "one\r\ntwo\rthree\u2028four\u2029five\x85six"
FEEDS = ("/history.rss", "/history.atom")


def assert_clean(value: str) -> None:
    assert value == clean_text(value), repr(value)
    assert not any(ord(c) < 32 and c not in "\t\n" for c in value), repr(value)
    assert not any(0xD800 <= ord(c) <= 0xDFFF or c in "\ufffe\uffff\u2028\u2029\r" for c in value), repr(value)


def assert_public_surfaces_answer(app, client, incident_ids=()):
    """Every public GET route answers 200 (incident pages for ``incident_ids``), feeds parse as XML, the
    calendar as iCalendar and the JSON API as JSON."""
    paths = [rule.rule for rule in public_get_rules(app) if not rule.arguments]
    paths += [f"/incidents/{incident_id}" for incident_id in incident_ids]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        if path in FEEDS:
            ET.fromstring(response.data)
        elif path.endswith(".ics"):
            Calendar.from_ical(response.data)
        elif path.endswith(".json"):
            json.loads(response.data)
    return paths


# --- the cleaner itself ---------------------------------------------------------------------------------

def test_clean_text_removes_controls_and_normalizes_newlines_but_keeps_tabs_and_newlines():
    assert clean_text(NEWLINES) == "one\ntwo\nthree\nfour\nfive\nsix"
    assert clean_text("a\tb\nc\x00d\x1fe\x7ff\ud800g\udfffh\ufffei") == "a\tb\ncdefghi"
    assert clean_text("  keep  inner  spaces \n") == "keep  inner  spaces"


def test_clean_line_folds_line_breaks_and_tabs_into_spaces():
    assert clean_line("Web\r\nis\tdown\u2028now\x00") == "Web is down now"


def test_xml_safe_keeps_what_xml_can_carry():
    assert xml_safe("é ✓ \t\n\x7f 😀 \x01\ud800\ufffe") == "é ✓ \t\n\x7f 😀 "


# --- cleaned on the way in, whatever the surface -----------------------------------------------------------

def test_a_control_character_in_a_v1_incident_body_no_longer_breaks_the_feeds(client, v1, api_key):
    api = v1(api_key("manager"))
    # Raw JSON so that NUL and a lone surrogate arrive as JSON escapes, as a hostile client would send them.
    raw = json.dumps({"incident": {"name": "Web\x01 down\r\nnow", "body": POISON + " nul\x00 " + NEWLINES}})
    raw = raw.replace("nul\\u0000", "nul\\u0000\\ud800")
    response = api("post", "incidents", data=raw, content_type="application/json")
    assert response.status_code == 201, response.get_json()
    incident = db.session.get(Incident, response.get_json()["id"])
    assert incident.name == "Web down now"
    assert_clean(incident.updates[0].body)
    assert "one\ntwo\nthree" in incident.updates[0].body
    for path in FEEDS:
        feed = client.get(path)
        assert feed.status_code == 200
        assert "Web down now" in ET.tostring(ET.fromstring(feed.data), encoding="unicode")


def test_every_v1_text_field_is_cleaned(v1, api_key):
    api = v1(api_key("manager"))
    component = api("post", "components", json={"component": {"name": "Web\x1b", "description": POISON}})
    assert component.status_code == 201
    assert component.get_json()["name"] == "Web"
    assert_clean(component.get_json()["description"])
    group = api("post", "component-groups", json={"description": "Edge\x00\r\n",
                                                   "component_group": {"name": "Front\x07end"}})
    assert group.status_code == 201
    assert (group.get_json()["name"], group.get_json()["description"]) == ("Frontend", "Edge")
    incident = api("post", "incidents", json={"incident": {"name": "Slow", "body": "Looking.",
                                                           "metadata": {"k\x00": ["v\x01", {"\ud800": 1}]}}})
    assert incident.status_code == 201
    assert incident.get_json()["metadata"] == {"k": ["v", {"": 1}]}
    incident_id = incident.get_json()["id"]
    patched = api("patch", f"incidents/{incident_id}", json={"incident": {"name": "Slow\x0b", "body": POISON,
                                                                          "status": "identified"}})
    assert patched.status_code == 200
    assert patched.get_json()["name"] == "Slow"
    for update in patched.get_json()["incident_updates"]:
        assert_clean(update["body"])


def test_the_console_cleans_what_it_stores(client, login):
    login("manager")
    web = component_rules.create_component(SYSTEM, name="Web")
    response = client.post("/admin/incidents/new", data={
        "name": "Checkout\x01 failing", "status": "investigating", "impact": "", "itil_impact": "1",
        "itil_urgency": "2", "visibility": "public", "body": POISON, "notify": "y",
        f"component-{web.id}": "major_outage", "submit": "Open incident"})
    assert response.status_code in (302, 303), response.data[:500]
    incident = db.session.scalar(db.select(Incident))
    assert incident.name == "Checkout failing"
    assert_clean(incident.updates[0].body)


def test_the_cli_cleans_what_it_stores(runner):
    result = runner.invoke(args=["incident", "open", "Web\x1b[31m down", "--body", POISON])
    assert result.exit_code == 0, result.output
    incident = db.session.get(Incident, result.stdout.strip())
    assert incident.name == "Web[31m down"
    assert_clean(incident.updates[0].body)


def test_templates_settings_and_postmortems_are_cleaned(app):
    template = template_rules.create_template(SYSTEM, title="Down\x00", name="Web\r\ndown", body=POISON)
    assert (template.title, template.name) == ("Down", "Web down")
    assert_clean(template.body)
    site = update_site(SYSTEM, name="Acme\x07 status")
    assert site.name == "Acme status"
    with pytest.raises(DomainError):
        update_site(SYSTEM, url="https://example.com/\x00")
    incident = incident_rules.open_incident(SYSTEM, name="Gone", status="resolved", body="Fixed.")
    incident = incident_rules.publish_postmortem(SYSTEM, incident.id, "Root\x01 cause\r\n" + POISON)
    assert_clean(incident.postmortem_body)


def test_an_address_with_a_control_character_is_refused_not_changed(client, v1, api_key):
    api = v1(api_key("manager"))
    response = api("post", "subscribers", json={"subscriber": {"endpoint": "https://hooks.example.com/a\x00b"}})
    assert response.status_code == 422
    assert response.get_json()["field"] == "endpoint"


# --- a bad record already in the database never takes a surface down -------------------------------------

@pytest.fixture
def poisoned(app):
    """A public incident, a maintenance, a component and the site itself, each rewritten by raw SQL (so no
    cleaning ran) with every character a driver will store and XML or a terminal would choke on."""
    web = component_rules.create_component(SYSTEM, name="Web", description="Front")
    incident = incident_rules.open_incident(SYSTEM, name="Web down", body="Looking.",
                                            components={web.id: "major_outage"})
    start = utcnow() + timedelta(days=1)
    window = maintenance_rules.schedule_maintenance(SYSTEM, name="Upgrade", scheduled_for=start,
                                                    scheduled_until=start + timedelta(hours=1),
                                                    body="Planned.", component_ids=[web.id])
    bad = POISON + NEWLINES + ("\x00" if db.engine.dialect.name == "sqlite" else "")
    tables = {Incident: ("name",), IncidentUpdate: ("body",), Component: ("name", "description"),
              Site: ("name",)}
    for model, columns in tables.items():
        sets = ", ".join(f"{c} = :{c}" for c in columns)
        db.session.execute(text(f"UPDATE {model.__tablename__} SET {sets}"), dict.fromkeys(columns, bad))
    site = db.session.scalar(db.select(Site))
    site.version += 1
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Incident, incident.id).name == bad
    return incident, window


def test_a_bad_record_inserted_by_sql_leaves_every_public_surface_answering(app, client, poisoned):
    incident, window = poisoned
    paths = assert_public_surfaces_answer(app, client, [incident.id, window.id])
    assert {"/", "/history", *FEEDS, "/maintenance.ics", "/api/v2/summary.json"} <= set(paths)
    for path in FEEDS:
        document = ET.fromstring(client.get(path).data)
        assert "Bad bell esc vt ff nonchar" in ET.tostring(document, encoding="unicode")

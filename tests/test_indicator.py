"""The page's indicator is the worse of the open incidents' impact and the components' statuses, on every
surface, in Statuspage's words."""
import re

import pytest

from statuspage.domain import components, incidents
from statuspage.domain.recording import SYSTEM
from statuspage.domain.status import overall_status


def banner(html: str) -> str:
    return re.search(r'<h1 id="overall">([^<]*)</h1>', html).group(1).strip()


@pytest.fixture
def major_outage_under_a_minor_incident(web, database):
    components.update_component(SYSTEM, web.id, status="major_outage")
    incidents.open_incident(SYSTEM, name="Slow logins", impact="minor", components={database.id: "operational"})


def test_a_minor_incident_does_not_hide_a_component_in_major_outage_on_the_public_page(
        client, major_outage_under_a_minor_incident):
    html = client.get("/").get_data(as_text=True)
    assert banner(html) == "Major System Outage"
    assert "banner-major" in html


def test_a_minor_incident_does_not_hide_a_component_in_major_outage_on_the_internal_page(
        client, login, major_outage_under_a_minor_incident):
    login("viewer")
    assert banner(client.get("/internal").get_data(as_text=True)) == "Major System Outage"


@pytest.mark.parametrize("path", ["/api/v2/status.json", "/api/v2/summary.json"])
def test_a_minor_incident_does_not_hide_a_component_in_major_outage_in_the_v2_api(
        client, major_outage_under_a_minor_incident, path):
    assert client.get(path).get_json()["status"] == {"indicator": "major", "description": "Major System Outage"}


@pytest.mark.parametrize(("statuses", "impacts", "expected"), [
    (["major_outage"], ["minor"], ("major", "Major System Outage")),
    (["major_outage"], ["major"], ("major", "Major System Outage")),
    (["major_outage"], ["critical"], ("critical", "Major System Outage")),
    (["partial_outage"], ["minor"], ("minor", "Partial System Outage")),
    (["partial_outage"], ["major"], ("major", "Partial System Outage")),
    (["degraded_performance"], ["minor"], ("minor", "Minor Service Outage")),
    (["degraded_performance"], ["none"], ("minor", "Partially Degraded Service")),
    (["operational"], ["critical"], ("critical", "Major System Outage")),
])
def test_the_indicator_is_the_worse_of_incident_impact_and_component_status(statuses, impacts, expected):
    status = overall_status(statuses, impacts, maintenance_in_progress=True)
    assert (status.indicator, status.description) == expected

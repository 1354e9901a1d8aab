from statuspage.domain import components, incidents
from statuspage.domain.overview import load_overview
from statuspage.domain.recording import SYSTEM


def test_resolving_an_incident_returns_its_components_to_operational(app):
    api = components.create_component(SYSTEM, name="API")
    incident = incidents.open_incident(SYSTEM, name="API down", components={api.id: "major_outage"},
                                       body="We are looking into it.")
    assert incident.impact == "critical"
    assert load_overview("public").status.indicator == "critical"
    incidents.resolve_incident(SYSTEM, incident.id)
    assert api.status == "operational"
    assert load_overview("public").status.description == "All Systems Operational"

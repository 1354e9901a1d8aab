"""A v1 PATCH on an incident is one transaction: every part of it is written, or none is."""
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from statuspage.domain import incidents, maintenance
from statuspage.domain.recording import SYSTEM
from statuspage.extensions import db
from statuspage.models import AuditEntry, Incident, IncidentUpdate, NotificationEvent, Site


def snapshot_of_writes(incident_id: str) -> dict:
    """What a write leaves behind: the incident's own fields, its updates, audit, outbox and site version."""
    db.session.expire_all()
    incident = db.session.get(Incident, incident_id)
    count = lambda model: db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
    return {"name": incident.name, "status": incident.status, "revision": incident.revision,
            "window": (incident.scheduled_for, incident.scheduled_until),
            "updates": count(IncidentUpdate), "audit": count(AuditEntry), "outbox": count(NotificationEvent),
            "version": Site.get().version}


@pytest.fixture
def manager_api(v1, api_key):
    return v1(api_key("manager"))


def test_a_patch_whose_update_fails_leaves_the_rename_unwritten(manager_api, web):
    incident = incidents.open_incident(SYSTEM, name="Web slow", body="Looking.",
                                       components={web.id: "degraded_performance"})
    before = snapshot_of_writes(incident.id)
    # The rename is valid; the update's text is too long, which only post_update (the second call) finds.
    response = manager_api("patch", f"incidents/{incident.id}",
                           json={"incident": {"name": "Web down", "status": "identified", "body": "x" * 20001}})
    assert response.status_code == 422
    assert snapshot_of_writes(incident.id) == before


def test_a_patch_whose_reschedule_fails_leaves_the_rename_unwritten(manager_api, web):
    start = datetime.now(UTC) + timedelta(hours=1)
    window = maintenance.schedule_maintenance(SYSTEM, name="Upgrade", scheduled_for=start,
                                              scheduled_until=start + timedelta(hours=2), component_ids=[web.id])
    incidents.post_update(SYSTEM, window.id, status="in_progress", body="Started early.")
    before = snapshot_of_writes(window.id)
    later = start + timedelta(days=1)
    response = manager_api("patch", f"incidents/{window.id}", json={"incident": {
        "name": "Database upgrade", "scheduled_for": later.isoformat(),
        "scheduled_until": (later + timedelta(hours=2)).isoformat()}})
    assert response.status_code == 422
    assert response.get_json()["field"] == "status"
    assert snapshot_of_writes(window.id) == before


def test_a_patch_that_succeeds_writes_every_part(manager_api, web):
    incident = incidents.open_incident(SYSTEM, name="Web slow", body="Looking.")
    before = snapshot_of_writes(incident.id)
    response = manager_api("patch", f"incidents/{incident.id}",
                           json={"incident": {"name": "Web down", "status": "identified", "body": "Found it."}})
    assert response.status_code == 200
    after = snapshot_of_writes(incident.id)
    assert (after["name"], after["status"]) == ("Web down", "identified")
    assert after["updates"] == before["updates"] + 1 and after["audit"] == before["audit"] + 2
    assert after["version"] > before["version"]

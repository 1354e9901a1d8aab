from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from statuspage.domain import components, incidents, maintenance
from statuspage.domain.priority import priority_for
from statuspage.domain.recording import SYSTEM, DomainError
from statuspage.domain.status import overall_status
from statuspage.domain.uptime import compute, load_uptime
from statuspage.models import ComponentStatusChange, Site


@pytest.mark.parametrize(("statuses", "impacts", "maint", "expected"), [
    ([], [], False, ("none", "All Systems Operational")),
    (["operational", "degraded_performance"], [], False, ("minor", "Partially Degraded Service")),
    (["partial_outage"], [], False, ("minor", "Partial System Outage")),
    (["major_outage", "degraded_performance"], [], False, ("major", "Major System Outage")),
    (["operational"], ["minor"], False, ("minor", "Minor Service Outage")),
    (["operational"], ["minor", "critical", "major"], False, ("critical", "Major System Outage")),
    (["major_outage"], ["minor"], False, ("major", "Major System Outage")),
    (["operational"], [], True, ("maintenance", "Service Under Maintenance")),
    (["under_maintenance"], [], False, ("maintenance", "Service Under Maintenance")),
    (["operational"], ["none"], False, ("none", "All Systems Operational")),
])
def test_overall_status_follows_statuspage_rules(statuses, impacts, maint, expected):
    status = overall_status(statuses, impacts, maint)
    assert (status.indicator, status.description) == expected


def test_priority_matrix_maps_impact_and_urgency():
    assert priority_for(1, 1) == 1
    assert priority_for(2, 2) == 3
    assert priority_for(3, 3) == 5
    assert priority_for(None, 1) is None
    with pytest.raises(ValueError):
        priority_for(4, 1)


def test_opening_an_incident_records_history_audit_outbox_and_version(app):
    from statuspage.models import AuditEntry, NotificationEvent

    api = components.create_component(SYSTEM, name="API")
    version = Site.get().version
    incident = incidents.open_incident(SYSTEM, name="Errors", components={api.id: "partial_outage"},
                                       body="Looking", itil_impact=1, itil_urgency=2)
    assert incident.impact == "major" and incident.priority == 2
    assert [c.new_status for c in ComponentStatusChange.query.filter_by(component_id=api.id)
            .order_by(ComponentStatusChange.id)] == ["operational", "partial_outage"]
    assert AuditEntry.query.filter_by(action="incident.create").one().after["components"] == {
        api.id: "partial_outage"}
    assert NotificationEvent.query.filter_by(kind="incident.opened").count() == 1
    assert Site.get().version > version


def test_a_failed_write_leaves_nothing_behind(app):
    from statuspage.models import AuditEntry, Incident

    with pytest.raises(DomainError) as error:
        incidents.open_incident(SYSTEM, name="Bad", components={"nope": "major_outage"})
    assert error.value.field == "component_id"
    assert Incident.query.count() == 0 and AuditEntry.query.count() == 0


def test_resolving_keeps_a_component_down_while_another_incident_holds_it(app):
    db_ = components.create_component(SYSTEM, name="DB")
    first = incidents.open_incident(SYSTEM, name="A", components={db_.id: "major_outage"})
    incidents.open_incident(SYSTEM, name="B", components={db_.id: "degraded_performance"})
    incidents.resolve_incident(SYSTEM, first.id)
    assert db_.status == "degraded_performance"


def test_internal_notes_cannot_change_status(app):
    incident = incidents.open_incident(SYSTEM, name="A")
    with pytest.raises(DomainError):
        incidents.post_update(SYSTEM, incident.id, status="resolved", body="x", visibility="internal")
    note = incidents.post_update(SYSTEM, incident.id, body="on-call notes", visibility="internal")
    assert note.visibility == "internal" and incident.status == "investigating"


def test_an_update_on_a_resolved_incident_must_reopen_it(app):
    incident = incidents.open_incident(SYSTEM, name="A")
    incidents.resolve_incident(SYSTEM, incident.id)
    with pytest.raises(DomainError, match="resolved"):
        incidents.post_update(SYSTEM, incident.id, body="more")
    incidents.post_update(SYSTEM, incident.id, status="investigating", body="It is back.")
    assert incident.is_open and incident.resolved_at is None


def test_stale_revision_is_a_conflict_not_an_overwrite(app):
    from statuspage.domain.recording import Conflict

    api = components.create_component(SYSTEM, name="API")
    seen = api.revision
    components.update_component(SYSTEM, api.id, expected_revision=seen, description="first")
    with pytest.raises(Conflict) as error:
        components.update_component(SYSTEM, api.id, expected_revision=seen, description="second")
    assert error.value.current["description"] == "first"


def test_maintenance_must_end_after_it_starts(app):
    start = datetime.now(UTC) + timedelta(days=1)
    with pytest.raises(DomainError) as error:
        maintenance.schedule_maintenance(SYSTEM, name="M", scheduled_for=start, scheduled_until=start)
    assert error.value.field == "scheduled_until"


class _Component:
    def __init__(self, created, start_date=None, status="operational"):
        self.created_at, self.start_date, self.status, self.id = created, start_date, status, "c"


def test_uptime_counts_major_fully_partial_partly_and_no_data_before_start():
    tz = ZoneInfo("UTC")
    now = datetime(2026, 3, 10, 12, tzinfo=UTC)
    component = _Component(datetime(2026, 1, 1, tzinfo=UTC), start_date=date(2026, 3, 8))
    days = [date(2026, 3, 7), date(2026, 3, 8), date(2026, 3, 9), date(2026, 3, 10)]
    changes = [
        (datetime(2026, 3, 8, 0, tzinfo=UTC), "operational", "major_outage"),
        (datetime(2026, 3, 8, 6, tzinfo=UTC), "major_outage", "partial_outage"),
        (datetime(2026, 3, 8, 12, tzinfo=UTC), "partial_outage", "operational"),
    ]
    result = compute(component, changes, [], days, tz, now, {"major_outage": 1.0, "partial_outage": 0.3})
    assert result.days[0].uptime is None  # before the start date: no data, not 100%
    assert result.days[1].percent == pytest.approx(100 * (1 - (6 + 6 * 0.3) / 24), abs=0.01)
    assert result.days[2].percent == 100.0
    assert result.days[3].percent == 100.0  # today counts only up to now
    assert result.days[1].level == "critical"


def test_uptime_days_follow_the_site_time_zone(app):
    site = Site.get()
    site.time_zone = "America/New_York"
    api = components.create_component(SYSTEM, name="API", at=datetime(2026, 1, 1, tzinfo=UTC))
    # 03:00 UTC on 5 Mar is still 4 Mar in New York.
    for at, status in ((datetime(2026, 3, 5, 3, tzinfo=UTC), "major_outage"),
                       (datetime(2026, 3, 5, 4, tzinfo=UTC), "operational")):
        components.apply_status(api, status, "manual", at=at)
    now = datetime(2026, 3, 6, 12, tzinfo=UTC)
    uptime = load_uptime([api], now, ZoneInfo("America/New_York"), days=5)[api.id]
    by_day = {d.day: d.percent for d in uptime.days}
    assert by_day[date(2026, 3, 4)] == pytest.approx(100 * (1 - 1 / 24), abs=0.01)
    assert by_day[date(2026, 3, 5)] == 100.0


def test_starting_a_maintenance_puts_its_components_under_maintenance(app):
    search = components.create_component(SYSTEM, name="Search")
    start = datetime.now(UTC) + timedelta(hours=1)
    window = maintenance.schedule_maintenance(SYSTEM, name="Move", scheduled_for=start,
                                              scheduled_until=start + timedelta(hours=1),
                                              component_ids=[search.id])
    assert search.status == "operational"
    incidents.post_update(SYSTEM, window.id, status="in_progress", body="Started.")
    assert search.status == "under_maintenance"
    incidents.resolve_incident(SYSTEM, window.id)
    assert search.status == "operational"

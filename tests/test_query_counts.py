"""Rendering a public surface with a cold snapshot costs the same number of SQL queries whatever the size of
the page: 10 or 200 components, 10 or 1,000 incidents (no query per row)."""
from datetime import timedelta

import pytest

from statuspage import snapshot
from statuspage.domain.recording import bump_site_version
from statuspage.extensions import db
from statuspage.models import (
    Component,
    ComponentGroup,
    ComponentStatusChange,
    Incident,
    IncidentComponent,
    IncidentUpdate,
)
from statuspage.models.columns import utcnow

PATHS = ["/", "/api/v2/summary.json", "/api/v2/incidents.json", "/api/v2/scheduled-maintenances.json",
         "/history.rss", "/maintenance.ics"]


def add_components(count: int, start: int) -> list[Component]:
    """``count`` components over three public groups, one internal group and ungrouped, each with history."""
    now = utcnow()
    groups = db.session.query(ComponentGroup).order_by(ComponentGroup.position).all()
    if not groups:
        groups = [ComponentGroup(name=f"Group {n}", position=n, visibility="internal" if n == 3 else "public")
                  for n in range(4)]
        db.session.add_all(groups)
        db.session.flush()
    rows = []
    for n in range(start, start + count):
        group = groups[n % 5] if n % 5 < 4 else None
        component = Component(name=f"Component {n}", position=n, group_id=group.id if group else None,
                              visibility="internal" if n % 7 == 6 else "public",
                              status="partial_outage" if n % 11 == 0 else "operational",
                              created_at=now - timedelta(days=120))
        rows.append(component)
    db.session.add_all(rows)
    db.session.flush()
    history = []
    for component in rows:
        history.append(ComponentStatusChange(component_id=component.id, old_status=None, new_status="operational",
                                             changed_at=now - timedelta(days=120)))
        for day in (80, 40, 5):
            start_at = now - timedelta(days=day, hours=component.position % 24)
            history.append(ComponentStatusChange(component_id=component.id, old_status="operational",
                                                 new_status="major_outage", changed_at=start_at, cause="incident"))
            history.append(ComponentStatusChange(component_id=component.id, old_status="major_outage",
                                                 new_status="operational", changed_at=start_at + timedelta(hours=1),
                                                 cause="incident"))
    db.session.add_all(history)
    return rows


def add_incidents(count: int, start: int, components: list[Component]) -> None:
    """``count`` incidents and maintenances: a few open, most resolved, some internal, each with a public
    update, an internal note and one affected component."""
    now = utcnow()
    rows = []
    for n in range(start, start + count):
        kind = "maintenance" if n % 10 == 9 else "incident"
        at = now - timedelta(hours=6 * n)
        if kind == "maintenance":
            status = ("scheduled", "in_progress", "completed")[min(n // 10, 2)] if n < 30 else "completed"
            at = now + timedelta(days=1) if status == "scheduled" else at
        else:
            status = "investigating" if n < 3 else "resolved"
        incident = Incident(kind=kind, name=f"Incident {n}", status=status,
                            impact="maintenance" if kind == "maintenance" else ("minor", "major")[n % 2],
                            visibility="internal" if n % 13 == 12 else "public", started_at=at, created_at=at,
                            updated_at=at, resolved_at=None if status in ("investigating", "scheduled",
                                                                           "in_progress") else at,
                            scheduled_for=at if kind == "maintenance" else None,
                            scheduled_until=at + timedelta(hours=2) if kind == "maintenance" else None)
        component = components[n % len(components)]
        incident.affected.append(IncidentComponent(component_id=component.id, status="partial_outage"))
        incident.updates.append(IncidentUpdate(status=status, body=f"Update on {n}", display_at=at, created_at=at,
                                               affected_components=[{"code": component.id, "name": component.name,
                                                                     "old_status": "operational",
                                                                     "new_status": "partial_outage"}]))
        incident.updates.append(IncidentUpdate(status=status, body="note", visibility="internal",
                                               display_at=at + timedelta(minutes=1), created_at=at))
        rows.append(incident)
    db.session.add_all(rows)


def grow(components: int, incidents: int) -> None:
    existing = db.session.query(Component).count()
    made = add_components(components - existing, existing)
    all_components = made + db.session.query(Component).filter(Component.id.not_in([c.id for c in made])).all()
    add_incidents(incidents - db.session.query(Incident).count(), db.session.query(Incident).count(),
                  all_components)
    bump_site_version()  # a new public version: no snapshot, in memory or on disk, shows these rows yet
    db.session.commit()


def queries_for(client, count_queries, path: str) -> int:
    snapshot.clear()  # cold: the body must be rendered again
    db.session.remove()  # no rows left in the identity map from seeding
    with count_queries() as counter:
        response = client.get(path)
    assert response.status_code == 200, path
    return counter.count


@pytest.mark.slow
def test_public_surfaces_cost_the_same_queries_for_small_and_large_pages(client, count_queries):
    grow(components=10, incidents=10)
    small = {path: queries_for(client, count_queries, path) for path in PATHS}
    grow(components=200, incidents=1000)
    assert db.session.query(Incident).count() == 1000 and db.session.query(Component).count() == 200
    large = {path: queries_for(client, count_queries, path) for path in PATHS}
    assert large == small
    assert all(count <= 25 for count in small.values()), small


def test_a_warm_snapshot_costs_at_most_the_version_check(client, count_queries):
    grow(components=10, incidents=10)
    for path in PATHS:
        client.get(path)
        db.session.remove()
        with count_queries() as counter:
            assert client.get(path).status_code == 200
        assert counter.count <= 1, (path, counter.statements)

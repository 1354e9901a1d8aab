"""Statuspage-shaped JSON objects: page, status, component, group, incident, incident update.

Field names and their order follow /work/shared/STATUSPAGE-API.md exactly (dicts keep insertion order and the
app does not sort keys). The builders take already-loaded rows and never query on their own when the rows were
loaded with ``overview.incident_loader()``. What an audience may see is decided by ``domain.visibility``; the
callers pass the ids of the components the audience may see.

Outside ``api/`` because notifications (run by the worker) embed ``incident_json`` too; ``api.serializers``
re-exports these names for the API modules.
"""
from .domain import visibility
from .domain.public_address import public_url
from .domain.status import OverallStatus, worst_component_status
from .models import Component, ComponentGroup, Incident, IncidentUpdate, Site
from .rendering import iso_utc


def page_json(site: Site) -> dict:
    """The ``page`` object every v2 response starts with."""
    return {
        "id": site.page_id,
        "name": site.name,
        "url": public_url(),
        "time_zone": site.time_zone,
        "updated_at": iso_utc(site.public_changed_at or site.updated_at),
    }


def status_json(overall: OverallStatus) -> dict:
    return {"indicator": overall.indicator, "description": overall.description}


def component_json(component: Component, page_id: str) -> dict:
    return {
        "id": component.id,
        "name": component.name,
        "status": component.status,
        "created_at": iso_utc(component.created_at),
        "updated_at": iso_utc(component.updated_at),
        "position": component.position,
        "description": component.description,
        "showcase": bool(component.showcase),
        "start_date": component.start_date.isoformat() if component.start_date else None,
        "group_id": component.group_id,
        "page_id": page_id,
        "group": False,
        "only_show_if_degraded": bool(component.only_show_if_degraded),
    }


def group_json(group: ComponentGroup, child_ids: list[str], page_id: str, status: str | None = None) -> dict:
    """A group as Statuspage lists it among components: ``group`` true and its children's ids.

    ``status`` is the worst status of the visible children; when not given it is computed from
    ``group.components`` restricted to ``child_ids`` (one lazy load).
    """
    if status is None:
        wanted = set(child_ids)
        status = worst_component_status(c.status for c in group.components if c.id in wanted)
    return {
        "id": group.id,
        "name": group.name,
        "status": status,
        "created_at": iso_utc(group.created_at),
        "updated_at": iso_utc(group.updated_at),
        "position": group.position,
        "description": group.description,
        "showcase": False,
        "start_date": None,
        "group_id": None,
        "page_id": page_id,
        "group": True,
        "only_show_if_degraded": False,
        "components": list(child_ids),
    }


def _affected(update: IncidentUpdate, visible_component_ids: set[str] | None) -> list | None:
    changes = update.affected_components
    if changes and visible_component_ids is not None:
        changes = visibility.visible_affected_changes(changes, visibility.PUBLIC, visible_component_ids)
    if not changes:
        return None
    return [{"code": c.get("code"), "name": c.get("name"), "old_status": c.get("old_status"),
             "new_status": c.get("new_status")} for c in changes]


def update_json(update: IncidentUpdate, visible_component_ids: set[str] | None) -> dict:
    """One incident update; ``affected_components`` keeps only the given component ids (None: keep all)."""
    return {
        "id": update.id,
        "status": update.status,
        "body": update.body,
        "incident_id": update.incident_id,
        "created_at": iso_utc(update.created_at),
        "updated_at": iso_utc(update.updated_at),
        "display_at": iso_utc(update.display_at),
        "affected_components": _affected(update, visible_component_ids),
        "deliver_notifications": bool(update.deliver_notifications),
        "custom_tweet": None,
        "tweet_id": None,
    }


def incident_json(incident: Incident, audience: str, page_id: str,
                  visible_component_ids: set[str] | None = None) -> dict:
    """An incident or scheduled maintenance with the updates and components ``audience`` may see.

    ``reminder_intervals`` is null: Statuspage uses it for open-incident reminders only, and this service
    has no such reminders (maintenance reminders are ``scheduled_remind_prior`` in the manage API).
    """
    if visible_component_ids is None and audience == visibility.PUBLIC:
        visible_component_ids = {c.id for c in visibility.visible_components_of(incident, audience)}
    components = sorted((c for c in incident.components
                         if visibility.can_see_component(c, audience)
                         and (visible_component_ids is None or c.id in visible_component_ids)),
                        key=lambda c: (c.position, c.name, c.id))  # stable bytes: same ETag in every process
    body = {
        "id": incident.id,
        "name": incident.name,
        "status": incident.status,
        "created_at": iso_utc(incident.created_at),
        "updated_at": iso_utc(incident.updated_at),
        "monitoring_at": iso_utc(incident.monitoring_at),
        "resolved_at": iso_utc(incident.resolved_at),
        "impact": "maintenance" if incident.is_maintenance else incident.impact,
        "shortlink": public_url(f"/incidents/{incident.id}"),
        "started_at": iso_utc(incident.started_at),
        "page_id": page_id,
        "incident_updates": [update_json(u, visible_component_ids)
                             for u in visibility.visible_updates(incident, audience)],
        "components": [component_json(c, page_id) for c in components],
        "reminder_intervals": None,
    }
    if incident.is_maintenance:
        body["scheduled_for"] = iso_utc(incident.scheduled_for)
        body["scheduled_until"] = iso_utc(incident.scheduled_until)
    return body

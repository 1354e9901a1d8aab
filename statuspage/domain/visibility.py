"""What an audience may see. Every public route, API, feed and notification asks here.

Two audiences: ``public`` (customers, anonymous) and ``internal`` (signed-in staff and internal subscribers).
Internal components and groups, internal incidents and internal notes never reach the public audience.
"""
from sqlalchemy import or_, select

from ..models import Component, ComponentGroup, Incident, IncidentUpdate
from .recording import DomainError

PUBLIC = "public"
INTERNAL = "internal"
AUDIENCES = (PUBLIC, INTERNAL)


def _check(audience: str) -> None:
    if audience not in AUDIENCES:
        raise ValueError(f"unknown audience {audience!r}")


def component_filter(audience: str):
    """A WHERE clause for components the audience may see (component and its group public)."""
    _check(audience)
    if audience == INTERNAL:
        return None
    public_groups = select(ComponentGroup.id).where(ComponentGroup.visibility == PUBLIC)
    return (Component.visibility == PUBLIC) & or_(Component.group_id.is_(None),
                                                   Component.group_id.in_(public_groups))


def group_filter(audience: str):
    _check(audience)
    return None if audience == INTERNAL else ComponentGroup.visibility == PUBLIC


def incident_filter(audience: str):
    _check(audience)
    return None if audience == INTERNAL else Incident.visibility == PUBLIC


def update_filter(audience: str):
    _check(audience)
    return None if audience == INTERNAL else IncidentUpdate.visibility == PUBLIC


def can_see_component(component: Component, audience: str) -> bool:
    _check(audience)
    return audience == INTERNAL or component.is_public


def can_see_group(group: ComponentGroup, audience: str) -> bool:
    _check(audience)
    return audience == INTERNAL or group.visibility == PUBLIC


def can_see_incident(incident: Incident, audience: str) -> bool:
    _check(audience)
    return audience == INTERNAL or incident.visibility == PUBLIC


def written_for(incident: Incident, requested: str = PUBLIC) -> str:
    """The audience a new update of ``incident`` is written for, stored on the update for good.

    Whatever was asked, an update of an internal incident is written for staff: making the incident public
    later publishes only what is written for the public from then on, never the staff-only timeline.
    """
    _check(requested)
    return INTERNAL if incident.visibility == INTERNAL else requested


def component_visibility(group: ComponentGroup | None, requested: str, joining: bool) -> str:
    """The visibility a component gets in ``group`` (None: no group) when ``requested`` is asked.

    A component in an internal group is internal: joining one narrows it (silently, it is safe); asking for
    public while staying in one is refused. Leaving a group keeps the component's own visibility: nothing
    becomes public unless public is asked for.
    """
    _check(requested)
    if group is None or group.visibility != INTERNAL:
        return requested
    if not joining and requested != INTERNAL:
        raise DomainError("a component in an internal group is internal; move it out of the group or make "
                          "the group public first", field="visibility")
    return INTERNAL


def hidden_members(group: ComponentGroup) -> list[Component]:
    """The group's internal components: what publishing its components would make public (the console names
    them before a group is made public or deleted)."""
    return [c for c in group.components if c.visibility == INTERNAL]


def settle_members(group: ComponentGroup, publish: bool) -> list[str]:
    """After a group changed: the members of an internal group are internal; with ``publish`` the internal
    members of a public group (or of a group being deleted) become public. Returns the ids made public."""
    if group.visibility == INTERNAL and not publish:
        for component in group.components:
            component.visibility = INTERNAL
        return []
    published = [c.id for c in hidden_members(group)] if publish else []
    for component in group.components:
        if component.id in published:
            component.visibility = PUBLIC
    return published


def can_see_service_levels(audience: str) -> bool:
    """SLA timers, owners and acknowledgements are staff matters: the internal audience only."""
    _check(audience)
    return audience == INTERNAL


def can_see_known_errors(audience: str) -> bool:
    """Problems, known errors and their workarounds are staff matters: the internal audience only."""
    _check(audience)
    return audience == INTERNAL


def visible_updates(incident: Incident, audience: str) -> list[IncidentUpdate]:
    """The incident's updates the audience may read, newest first."""
    _check(audience)
    return [u for u in incident.updates if audience == INTERNAL or u.visibility == PUBLIC]


def visible_components_of(incident: Incident, audience: str) -> list[Component]:
    """The affected components the audience may see."""
    return [c for c in incident.components if can_see_component(c, audience)]


def visible_affected_changes(changes: list | None, audience: str, visible_ids: set[str]) -> list | None:
    """An update's ``affected_components`` list trimmed to components the audience may see."""
    if changes is None or audience == INTERNAL:
        return changes
    return [c for c in changes if c.get("code") in visible_ids]

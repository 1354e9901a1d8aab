"""The write path for components and groups: create, edit, reorder, set status, delete."""
from datetime import date, datetime

from ..extensions import db
from ..models import COMPONENT_STATUSES, VISIBILITIES, Component, ComponentGroup, ComponentStatusChange
from ..models.columns import utcnow
from .recording import Actor, DomainError, NotFound, bump_site_version, change, check_revision, record
from .text import clean_line, clean_text
from .visibility import INTERNAL, PUBLIC, component_visibility, settle_members

COMPONENT_FIELDS = ("name", "description", "status", "group_id", "visibility", "showcase",
                    "only_show_if_degraded", "start_date", "position")
GROUP_FIELDS = ("name", "description", "visibility", "position", "collapsed")


def describe_component(c: Component) -> dict:
    return {f: getattr(c, f) for f in COMPONENT_FIELDS} | {"revision": c.revision}


def describe_group(g: ComponentGroup) -> dict:
    return {f: getattr(g, f) for f in GROUP_FIELDS} | {"revision": g.revision}


def get_component(component_id: str) -> Component:
    component = db.session.get(Component, component_id)
    if component is None:
        raise NotFound(f"no component with id {component_id!r}", field="component_id")
    return component


def get_group(group_id: str) -> ComponentGroup:
    group = db.session.get(ComponentGroup, group_id)
    if group is None:
        raise NotFound(f"no component group with id {group_id!r}", field="group_id")
    return group


def check_status(status: str, field: str = "status") -> str:
    if status not in COMPONENT_STATUSES:
        raise DomainError(f"unknown component status {status!r}; use one of {', '.join(COMPONENT_STATUSES)}",
                          field=field)
    return status


def _clean(values: dict, allowed: tuple) -> dict:
    unknown = set(values) - set(allowed)
    if unknown:
        raise DomainError(f"unknown field {sorted(unknown)[0]!r}", field=sorted(unknown)[0])
    out = dict(values)
    if "name" in out:
        name = clean_line(out["name"] or "") if isinstance(out["name"], str) else None
        if not name:
            raise DomainError("name is required", field="name")
        if len(name) > 120:
            raise DomainError("name is longer than 120 characters", field="name")
        out["name"] = name
    if "description" in out and out["description"] is not None:
        if not isinstance(out["description"], str):
            raise DomainError("description must be text", field="description")
        out["description"] = clean_text(out["description"]) or None
    if "status" in out:
        check_status(out["status"])
    if "visibility" in out and out["visibility"] not in VISIBILITIES:
        raise DomainError("visibility must be public or internal", field="visibility")
    for flag in ("showcase", "only_show_if_degraded", "collapsed"):
        if flag in out and not isinstance(out[flag], bool):
            raise DomainError(f"{flag} must be true or false", field=flag)
    if "position" in out and out["position"] is not None:
        try:
            out["position"] = int(out["position"])
        except (TypeError, ValueError):
            raise DomainError("position must be a whole number", field="position") from None
    if out.get("start_date") is not None and not isinstance(out["start_date"], date):
        try:
            out["start_date"] = date.fromisoformat(str(out["start_date"]))
        except ValueError:
            raise DomainError("start_date must be a date like 2026-01-31", field="start_date") from None
    if out.get("group_id"):
        get_group(out["group_id"])
    elif "group_id" in out:
        out["group_id"] = None
    return out


def apply_status(component: Component, status: str, cause: str, at: datetime | None = None,
                 incident_id: str | None = None) -> dict | None:
    """Set a component's status and record the change in its history; returns the change, or None."""
    check_status(status)
    if component.status == status:
        return None
    old = component.status
    component.status = status
    db.session.add(ComponentStatusChange(component_id=component.id, old_status=old, new_status=status,
                                         changed_at=at or utcnow(), cause=cause, incident_id=incident_id))
    return {"code": component.id, "name": component.name, "old_status": old, "new_status": status}


def _next_position(model, **where) -> int:
    query = db.session.query(db.func.max(model.position))
    if model is Component:
        query = query.filter(Component.group_id == where.get("group_id"))
    return (query.scalar() or 0) + 1


def create_component(actor: Actor, at: datetime | None = None, **values) -> Component:
    """Create a component (status history starts with its initial status)."""
    values = _clean(values, COMPONENT_FIELDS)
    if "name" not in values:
        raise DomainError("name is required", field="name")
    with change():
        status = values.pop("status", "operational")
        if values.get("position") is None:
            values["position"] = _next_position(Component, group_id=values.get("group_id"))
        values["visibility"] = component_visibility(
            get_group(values["group_id"]) if values.get("group_id") else None,
            values.get("visibility", PUBLIC), joining=True)
        component = Component(**values, status=status, created_at=at or utcnow())
        db.session.add(component)
        db.session.flush()
        db.session.add(ComponentStatusChange(component_id=component.id, old_status=None, new_status=status,
                                             changed_at=at or utcnow(), cause="manual"))
        record(actor, "component.create", "component", component.id, component.name,
               after=describe_component(component))
        bump_site_version()
    return component


def update_component(actor: Actor, component_id: str, expected_revision: int | None = None,
                     **values) -> Component:
    """Change a component's fields; a status change lands in its history."""
    values = _clean(values, COMPONENT_FIELDS)
    with change():
        component = get_component(component_id)
        check_revision(component, expected_revision, describe_component)
        before = describe_component(component)
        status = values.pop("status", None)
        group_id = values.get("group_id", component.group_id)
        values["visibility"] = component_visibility(get_group(group_id) if group_id else None,
                                                    values.get("visibility", component.visibility),
                                                    joining=group_id != component.group_id)
        for key, value in values.items():
            setattr(component, key, value)
        if status is not None:
            apply_status(component, status, cause="manual")
        db.session.flush()
        record(actor, "component.update", "component", component.id, component.name,
               before=before, after=describe_component(component))
        bump_site_version()
    return component


def set_component_status(actor: Actor, component_id: str, status: str, cause: str = "manual") -> Component:
    """Set one component's status (from the console, the CLI or a monitor)."""
    check_status(status)
    with change():
        component = get_component(component_id)
        before = describe_component(component)
        if apply_status(component, status, cause=cause):
            db.session.flush()
            record(actor, "component.status", "component", component.id, component.name,
                   before=before, after=describe_component(component))
            bump_site_version()
    return component


def delete_component(actor: Actor, component_id: str) -> None:
    with change():
        component = get_component(component_id)
        record(actor, "component.delete", "component", component.id, component.name,
               before=describe_component(component))
        db.session.delete(component)
        bump_site_version()


def reorder(actor: Actor, kind: str, ids: list[str]) -> None:
    """Give components or groups the positions of their order in ``ids``."""
    model = {"component": Component, "group": ComponentGroup}[kind]
    with change():
        for position, object_id in enumerate(ids, start=1):
            obj = db.session.get(model, object_id)
            if obj is None:
                raise NotFound(f"no {kind} with id {object_id!r}")
            obj.position = position
        record(actor, f"{kind}.reorder", kind, "*", after={"order": ids})
        bump_site_version()


def create_group(actor: Actor, component_ids: list[str] | None = None, **values) -> ComponentGroup:
    values = _clean(values, GROUP_FIELDS)
    if "name" not in values:
        raise DomainError("name is required", field="name")
    with change():
        if values.get("position") is None:
            values["position"] = _next_position(ComponentGroup)
        group = ComponentGroup(**values)
        db.session.add(group)
        db.session.flush()
        for cid in component_ids or []:
            component = get_component(cid)
            component.group_id = group.id
            component.visibility = component_visibility(group, component.visibility, joining=True)
        record(actor, "group.create", "group", group.id, group.name,
               after=describe_group(group) | {"components": list(component_ids or [])})
        bump_site_version()
    return group


def update_group(actor: Actor, group_id: str, component_ids: list[str] | None = None,
                 expected_revision: int | None = None, publish_components: bool = False,
                 **values) -> ComponentGroup:
    """Edit a group and, when ``component_ids`` is given, its members (others leave it, ungrouped).

    Nothing becomes public unasked: the components of an internal group are internal, and stay internal
    when they leave it or when the group is made public, unless ``publish_components`` (only with a public
    group) makes the group's members public too.
    """
    values = _clean(values, GROUP_FIELDS)
    with change():
        group = get_group(group_id)
        check_revision(group, expected_revision, describe_group)
        before = describe_group(group) | {"components": [c.id for c in group.components]}
        for key, value in values.items():
            setattr(group, key, value)
        if publish_components and group.visibility == INTERNAL:
            raise DomainError("the components of an internal group stay internal; make the group public too",
                              field="publish_components")
        if component_ids is not None:
            for component in list(group.components):
                if component.id not in component_ids:
                    component.group_id = None
            for cid in component_ids:
                get_component(cid).group_id = group.id
        db.session.flush()
        db.session.expire(group, ["components"])
        published = settle_members(group, publish_components)
        record(actor, "group.update", "group", group.id, group.name, before=before,
               after=describe_group(group) | {"components": [c.id for c in group.components],
                                              "published_components": published})
        bump_site_version()
    return group


def delete_group(actor: Actor, group_id: str, publish_components: bool = False) -> None:
    """Delete a group; its components stay, ungrouped, with their own visibility: the components of an
    internal group stay internal unless ``publish_components`` makes them public."""
    with change():
        group = get_group(group_id)
        before = describe_group(group) | {"components": [c.id for c in group.components]}
        published = settle_members(group, publish_components)
        for component in group.components:
            component.group_id = None
        record(actor, "group.delete", "group", group.id, group.name, before=before,
               after={"published_components": published})
        db.session.delete(group)
        bump_site_version()

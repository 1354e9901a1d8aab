"""Components in the management API (Statuspage v1 shape; internal components included for the key holder).

The list carries groups too, as Statuspage lists them (``group: true`` and their children's ids); groups are
managed under ``component-groups``. Writes go through ``domain.components``; ``If-Match: "<revision>"``
makes a write fail with 409 when the component changed since it was read.
"""
from flask import jsonify
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ...domain import components as domain
from ...domain.recording import DomainError, NotFound, check_revision
from ...domain.text import has_unsafe_characters
from ...extensions import db
from ...models import COMPONENT_STATUSES, Component, ComponentGroup
from ..serializers import component_json, group_json
from . import bodies, route
from .auth import current_actor

BASE = "/pages/<page_id>/components"


def _one(component: Component, page_id: str, code: int = 200):
    response = jsonify(component_json(component, page_id))
    response.status_code = code
    response.headers["ETag"] = f'"{component.revision}"'
    return response


def component_fields(fields: dict) -> dict:
    """The component fields present in the body, typed; ``group_id`` null (or "") ungroups."""
    values = {}
    for key in ("name", "description", "start_date"):
        if key in fields:
            values[key] = bodies.text(fields, key, 120 if key == "name" else 5000)
    if isinstance(values.get("start_date"), str) and not bodies.FULL_DATE.fullmatch(values["start_date"]):
        raise DomainError("start_date must be a date like 2026-01-31", field="start_date")
    if "status" in fields:
        values["status"] = bodies.choice(fields, "status", COMPONENT_STATUSES)
    for key in ("showcase", "only_show_if_degraded"):
        if fields.get(key) is not None:
            values[key] = bodies.boolean(fields, key)
    if "group_id" in fields:
        group_id = bodies.text(fields, "group_id")
        if group_id and (has_unsafe_characters(group_id) or db.session.get(ComponentGroup, group_id) is None):
            raise NotFound(f"no component group with id {group_id!r}", field="group_id")
        values["group_id"] = group_id or None
    nullable = ("description", "group_id", "start_date")
    return {k: v for k, v in values.items() if v is not None or k in nullable}


@route(BASE, methods=["GET"])
def list_components(page_id):
    """Groups (each before its children) then ungrouped components, in their positions."""
    page, per_page = bodies.pagination()
    groups = db.session.scalars(select(ComponentGroup).options(selectinload(ComponentGroup.components))
                                .order_by(ComponentGroup.position, ComponentGroup.id)).all()
    items = []
    for group in groups:
        items.append(group_json(group, [c.id for c in group.components], page_id))
        items.extend(component_json(c, page_id) for c in group.components)
    loose = db.session.scalars(select(Component).where(Component.group_id.is_(None))
                               .order_by(Component.position, Component.id))
    items.extend(component_json(c, page_id) for c in loose)
    return jsonify(items[(page - 1) * per_page: page * per_page])


@route(BASE, methods=["POST"])
def create_component(page_id):
    values = component_fields(bodies.envelope("component"))
    if not (values.get("name") or "").strip():
        raise DomainError("name is required", field="name")
    return _one(domain.create_component(current_actor(), **values), page_id, 201)


@route(BASE + "/<component_id>", methods=["GET"])
def get_component(page_id, component_id):
    return _one(domain.get_component(component_id), page_id)


@route(BASE + "/<component_id>", methods=["PATCH", "PUT"])
def update_component(page_id, component_id):
    values = component_fields(bodies.envelope("component"))
    expected = bodies.if_match_revision()
    check_revision(domain.get_component(component_id), expected, domain.describe_component)
    component = domain.update_component(current_actor(), component_id, expected_revision=expected, **values)
    return _one(component, page_id)


@route(BASE + "/<component_id>", methods=["DELETE"])
def delete_component(page_id, component_id):
    domain.delete_component(current_actor(), component_id)
    return "", 204

"""Component groups in the management API: ``{"description": ..., "component_group": {"name": ...,
"components": [ids]}}`` in, the Statuspage v1 ComponentGroup object out. Writes go through
``domain.components``; ``If-Match: "<revision>"`` guards against lost updates (409)."""
from flask import jsonify
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ...domain import components as domain
from ...domain.recording import DomainError, check_revision
from ...extensions import db
from ...models import ComponentGroup
from ...rendering import iso_utc
from . import bodies, route
from .auth import current_actor

BASE = "/pages/<page_id>/component-groups"


def group_v1_json(group: ComponentGroup, page_id: str) -> dict:
    return {
        "id": group.id,
        "page_id": page_id,
        "name": group.name,
        "description": group.description,
        "components": [c.id for c in group.components],
        "position": group.position,
        "created_at": iso_utc(group.created_at),
        "updated_at": iso_utc(group.updated_at),
    }


def _one(group: ComponentGroup, page_id: str, code: int = 200):
    response = jsonify(group_v1_json(group, page_id))
    response.status_code = code
    response.headers["ETag"] = f'"{group.revision}"'
    return response


def _group_fields() -> tuple[dict, list[str] | None]:
    """The group's fields and its component ids (None when the body does not name them)."""
    doc = bodies.document()
    fields = bodies.envelope("component_group", doc)
    values = {}
    if "name" in fields:
        values["name"] = bodies.text(fields, "name", 120)
    inner = bodies.text(fields, "description", 5000)  # checked even when the top-level one wins
    if "description" in doc or "description" in fields:
        values["description"] = bodies.text(doc, "description", 5000) if "description" in doc else inner
    ids = bodies.id_list(fields, "components")
    if ids is not None:
        bodies.check_component_ids(ids, "components")
    return values, ids


@route(BASE, methods=["GET"])
def list_groups(page_id):
    page, per_page = bodies.pagination()
    groups = db.session.scalars(select(ComponentGroup).options(selectinload(ComponentGroup.components))
                                .order_by(ComponentGroup.position, ComponentGroup.id)
                                .limit(per_page).offset((page - 1) * per_page))
    return jsonify([group_v1_json(g, page_id) for g in groups])


@route(BASE, methods=["POST"])
def create_group(page_id):
    values, ids = _group_fields()
    if not (values.get("name") or "").strip():
        raise DomainError("name is required", field="name")
    return _one(domain.create_group(current_actor(), component_ids=ids, **values), page_id, 201)


@route(BASE + "/<group_id>", methods=["GET"])
def get_group(page_id, group_id):
    return _one(domain.get_group(group_id), page_id)


@route(BASE + "/<group_id>", methods=["PATCH", "PUT"])
def update_group(page_id, group_id):
    values, ids = _group_fields()
    expected = bodies.if_match_revision()
    check_revision(domain.get_group(group_id), expected, domain.describe_group)
    group = domain.update_group(current_actor(), group_id, component_ids=ids, expected_revision=expected,
                                **values)
    return _one(group, page_id)


@route(BASE + "/<group_id>", methods=["DELETE"])
def delete_group(page_id, group_id):
    group = domain.get_group(group_id)
    gone = group_v1_json(group, page_id)
    domain.delete_group(current_actor(), group_id)
    return jsonify(gone)

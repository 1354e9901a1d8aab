"""Incident templates in the management API (Statuspage v1: ``/incident_templates``).

Statuspage's ``name`` is the template's name in the picker (our ``title``) and its ``title`` the incident's
name (our ``name``); ``update_status`` is the status an incident opens in; ``component_ids`` are affected in the
status the template's ``impact`` suggests (an extension, default minor), or give ``components`` as
{id: status} as for incidents. ``group_id``, ``should_tweet`` and ``should_send_notifications`` are accepted;
the first two mean nothing here. Writes go through ``domain.templates``.
"""
from flask import jsonify
from sqlalchemy import select

from ...domain import templates as domain
from ...extensions import db
from ...models import IMPACTS, OPEN_INCIDENT_STATUSES, Component, IncidentTemplate
from ..serializers import component_json
from . import bodies, route
from .auth import current_actor

BASE = "/pages/<page_id>/incident_templates"
STATUS_FOR_IMPACT = {"none": "operational", "minor": "degraded_performance", "major": "partial_outage",
                     "critical": "major_outage"}


def template_json(template: IncidentTemplate, page_id: str) -> dict:
    ids = list(domain.template_components(template))
    components = db.session.scalars(select(Component).where(Component.id.in_(ids))
                                    .order_by(Component.position, Component.id)).all() if ids else []
    return {"id": template.id, "components": [component_json(c, page_id) for c in components],
            "name": template.title, "title": template.name, "body": template.body, "group_id": None,
            "update_status": template.status, "should_tweet": False, "should_send_notifications": True,
            "impact": template.impact, "component_statuses": domain.template_components(template)}


@route(BASE, methods=["GET"])
def list_templates(page_id):
    page, per_page = bodies.pagination()
    rows = domain.list_templates()[(page - 1) * per_page: page * per_page]
    return jsonify([template_json(t, page_id) for t in rows])


@route(BASE, methods=["POST"])
def create_template(page_id):
    fields = bodies.envelope("template")
    impact = bodies.choice(fields, "impact", IMPACTS) or "minor"
    statuses = bodies.component_statuses(fields) or {}
    ids = bodies.check_component_ids(bodies.id_list(fields, "component_ids") or [], "component_ids")
    components = {i: STATUS_FOR_IMPACT[impact] for i in ids if i not in statuses} | statuses
    for key in ("should_tweet", "should_send_notifications"):
        bodies.boolean(fields, key)
    bodies.text(fields, "group_id")
    template = domain.create_template(
        current_actor(), title=bodies.text(fields, "name", 120), name=bodies.text(fields, "title", 200),
        body=bodies.text(fields, "body", 20000) or "", impact=impact, components=components,
        status=bodies.choice(fields, "update_status", OPEN_INCIDENT_STATUSES) or "investigating")
    return jsonify(template_json(template, page_id)), 201

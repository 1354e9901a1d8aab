"""Incident templates: canned name, status, impact, Markdown body and affected components for a recurring
kind of incident, so opening one under pressure is a pick and a click.

Templates are internal (no public surface shows them), so writes are audited but do not bump the site version.
"""
from ..extensions import db
from ..models import COMPONENT_STATUSES, IMPACTS, OPEN_INCIDENT_STATUSES, Component, IncidentTemplate
from .recording import Actor, DomainError, NotFound, change, record
from .text import clean_line, clean_text

FIELDS = ("title", "name", "status", "impact", "body", "components")


def describe_template(template: IncidentTemplate) -> dict:
    return {"title": template.title, "name": template.name, "status": template.status,
            "impact": template.impact, "body": template.body, "components": dict(template.components or {})}


def list_templates() -> list[IncidentTemplate]:
    query = db.select(IncidentTemplate).order_by(db.func.lower(IncidentTemplate.title))
    return list(db.session.scalars(query))


def get_template(template_id: str) -> IncidentTemplate:
    template = db.session.get(IncidentTemplate, str(template_id))
    if template is None:
        raise NotFound(f"no incident template with id {template_id}")
    return template


def _text(fields: dict, key: str, limit: int, message: str) -> str:
    value = clean_line(fields.get(key) or "")
    if not value:
        raise DomainError(message, field=key)
    if len(value) > limit:
        raise DomainError(f"keep it under {limit} characters", field=key)
    return value


def clean_template(fields: dict) -> dict:
    """Every field checked: title, name, status (an open incident status), impact, body and
    components {component id: status}; raises DomainError naming the field at fault."""
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise DomainError(f"unknown field {sorted(unknown)[0]}", field=sorted(unknown)[0])
    clean = {
        "title": _text(fields, "title", 120, "give the template a title to pick it by"),
        "name": _text(fields, "name", 200, "give the incident a name"),
        "status": fields.get("status") or "investigating",
        "impact": fields.get("impact") or "minor",
        "body": clean_text(fields.get("body") or ""),
    }
    if clean["status"] not in OPEN_INCIDENT_STATUSES:
        raise DomainError(f"status must be one of {', '.join(OPEN_INCIDENT_STATUSES)}", field="status")
    if clean["impact"] not in IMPACTS:
        raise DomainError(f"impact must be one of {', '.join(IMPACTS)}", field="impact")
    if len(clean["body"]) > 20000:
        raise DomainError("keep the message under 20000 characters", field="body")
    components = {str(k): v for k, v in (fields.get("components") or {}).items() if v}
    for status in components.values():
        if status not in COMPONENT_STATUSES:
            raise DomainError(f"unknown component status {status}", field="components")
    if components:
        known = set(db.session.scalars(db.select(Component.id).where(Component.id.in_(list(components)))))
        missing = sorted(set(components) - known)
        if missing:
            raise DomainError(f"no component with id {missing[0]}", field="components")
    clean["components"] = components
    return clean


def create_template(actor: Actor, **fields) -> IncidentTemplate:
    clean = clean_template(fields)
    with change():
        template = IncidentTemplate(**clean)
        db.session.add(template)
        db.session.flush()
        record(actor, "template.create", "incident_template", template.id, template.title,
               after=describe_template(template))
    return template


def update_template(actor: Actor, template_id: str, **fields) -> IncidentTemplate:
    clean = clean_template(fields)
    with change():
        template = get_template(template_id)
        before = describe_template(template)
        for key, value in clean.items():
            setattr(template, key, value)
        after = describe_template(template)
        if after != before:
            record(actor, "template.update", "incident_template", template.id, template.title,
                   before=before, after=after)
    return template


def delete_template(actor: Actor, template_id: str) -> None:
    with change():
        template = get_template(template_id)
        record(actor, "template.delete", "incident_template", template.id, template.title,
               before=describe_template(template))
        db.session.delete(template)


def template_components(template: IncidentTemplate) -> dict[str, str]:
    """The template's {component id: status} without components deleted since it was written."""
    wanted = dict(template.components or {})
    if not wanted:
        return {}
    existing = set(db.session.scalars(db.select(Component.id).where(Component.id.in_(list(wanted)))))
    return {cid: status for cid, status in wanted.items() if cid in existing}

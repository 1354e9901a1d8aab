"""Incident fields: what an incident and an update look like in the audit trail, and the checks every
write applies to names, statuses, impacts, bodies and component maps."""
from ..models import IMPACTS, INCIDENT_STATUSES, MAINTENANCE_STATUSES, VISIBILITIES, Incident, IncidentUpdate
from .components import check_status, get_component
from .priority import priority_for
from .recording import DomainError
from .status import COMPONENT_STATUS_RANK, IMPACT_FOR_COMPONENT_STATUS
from .text import clean_data, clean_line, clean_text

INCIDENT_FIELDS = ("name", "impact", "visibility", "itil_impact", "itil_urgency", "major", "owner_id",
                   "problem_id", "started_at", "detected_at", "acknowledged_at", "metadata_json")


def describe_incident(i: Incident) -> dict:
    return {
        "name": i.name, "kind": i.kind, "status": i.status, "impact": i.impact, "visibility": i.visibility,
        "priority": i.priority, "itil_impact": i.itil_impact, "itil_urgency": i.itil_urgency, "major": i.major,
        "owner_id": i.owner_id, "components": {a.component_id: a.status for a in i.affected},
        "scheduled_for": i.scheduled_for, "scheduled_until": i.scheduled_until,
        "resolved_at": i.resolved_at, "revision": i.revision,
    }


def describe_update(u: IncidentUpdate) -> dict:
    return {"status": u.status, "body": u.body, "visibility": u.visibility, "display_at": u.display_at,
            "deliver_notifications": u.deliver_notifications, "affected_components": u.affected_components,
            "revision": u.revision}


def check_incident_status(kind: str, status: str) -> str:
    allowed = MAINTENANCE_STATUSES if kind == "maintenance" else INCIDENT_STATUSES
    if status not in allowed:
        raise DomainError(f"unknown {kind} status {status!r}; use one of {', '.join(allowed)}", field="status")
    return status


def check_impact(impact: str) -> str:
    if impact not in IMPACTS:
        raise DomainError(f"unknown impact {impact!r}; use one of {', '.join(IMPACTS)}", field="impact")
    return impact


def check_body(body) -> str:
    if body is None:
        return ""
    if not isinstance(body, str):
        raise DomainError("body must be text", field="body")
    if len(body) > 20000:
        raise DomainError("body is longer than 20,000 characters", field="body")
    return clean_text(body)


def check_components(components) -> dict[str, str]:
    """Validate a {component id: status} map."""
    if components is None:
        return {}
    if not isinstance(components, dict):
        raise DomainError("components must map component ids to statuses", field="components")
    for cid, status in components.items():
        get_component(str(cid))
        check_status(status, field="components")
    return {str(k): v for k, v in components.items()}


def impact_from_components(components: dict[str, str]) -> str:
    worst = max(components.values(), key=COMPONENT_STATUS_RANK.__getitem__, default="operational")
    return IMPACT_FOR_COMPONENT_STATUS[worst]


def apply_fields(incident: Incident, values: dict) -> None:
    unknown = set(values) - set(INCIDENT_FIELDS)
    if unknown:
        raise DomainError(f"unknown field {sorted(unknown)[0]!r}", field=sorted(unknown)[0])
    if "name" in values:
        name = clean_line(values["name"]) if isinstance(values["name"], str) else ""
        if not name:
            raise DomainError("name is required", field="name")
        if len(name) > 200:
            raise DomainError("name is longer than 200 characters", field="name")
        values["name"] = name
    if "impact" in values:
        check_impact(values["impact"])
    if "visibility" in values and values["visibility"] not in VISIBILITIES:
        raise DomainError("visibility must be public or internal", field="visibility")
    for key in ("itil_impact", "itil_urgency"):
        if values.get(key) is not None and values[key] not in (1, 2, 3, "1", "2", "3"):
            raise DomainError(f"{key.replace('itil_', '')} must be 1 (high), 2 (medium) or 3 (low)", field=key)
        if values.get(key) is not None:
            values[key] = int(values[key])
    if isinstance(values.get("metadata_json"), dict):
        values["metadata_json"] = clean_data(values["metadata_json"])
    for key, value in values.items():
        setattr(incident, key, value)
    incident.priority = priority_for(incident.itil_impact, incident.itil_urgency)

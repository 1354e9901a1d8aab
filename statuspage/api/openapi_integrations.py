"""The OpenAPI description of the monitoring receivers (``integrations/alertmanager`` and ``.../grafana``),
kept apart from statuspage/api/openapi.py, which adds these paths to its document.

The bodies are what the tools send, not enveloped: the schema states exactly what the parser
(statuspage/domain/alert_payloads.py) accepts, so the fuzz test can hold both to it.
"""
from ..domain.alert_payloads import MAX_ALERTS, MAX_LABEL_NAME, MAX_LABELS
from .openapi_schema import INT, STRING, nullable, obj, operation, ref

TEXT_MAP = {"type": "object", "maxProperties": MAX_LABELS, "propertyNames": {"maxLength": MAX_LABEL_NAME},
            "additionalProperties": {"type": "string"}}
TIME = {"type": "string", "format": "date-time"}
RULES = ("startsAt is a real time after Go's zero time (year 1), and every time fits in years 1 to 9999 once in "
         "UTC")


def _alert() -> dict:
    return {"type": "object", "required": ["status", "labels", "startsAt"], "properties": {
        "status": {"type": "string", "enum": ["firing", "resolved"]},
        "labels": TEXT_MAP,
        "annotations": {"anyOf": [TEXT_MAP, {"type": "null"}]},
        "startsAt": TIME,
        "endsAt": {"anyOf": [TIME, {"const": ""}, {"type": "null"}]},
        "fingerprint": {"anyOf": [{"type": "string", "pattern": "^[0-9A-Za-z_-]{1,64}$"}, {"const": ""},
                                  {"type": "null"}]},
        "generatorURL": {}, "values": {}}}


def _group(version: str, extra: dict) -> dict:
    return {"type": "object", "required": ["version", "alerts"], "properties": {
        "version": {"const": version}, "status": {}, "groupKey": {}, "truncatedAlerts": {}, "receiver": {},
        "alerts": {"type": "array", "maxItems": MAX_ALERTS, "items": _alert()}, **extra}}


def integration_paths() -> dict:
    """{path under /v1/pages/{page_id}: operations} for the two receivers."""

    outcome = obj({"received": INT, "new": INT, "repeated": INT, "resolved": INT, "unmatched": INT,
                   "component_changes": {"type": "array", "items": ref("AffectedComponent")},
                   "incident_id": nullable(STRING)})
    errors = ("400", "401", "403", "404", "415", "422", "429")
    paths = {}
    for source, name, version, extra in (
            ("alertmanager", "Prometheus Alertmanager", "4", {}),
            ("grafana", "Grafana alerting", "1", {"orgId": {"anyOf": [{"type": "integer"}, {"type": "null"}]}})):
        body = {"required": True, "content": {"application/json": {"schema": _group(version, extra)}}}
        op = operation(f"Receive a {name} webhook notification (version {version}); alerts set component "
                       "statuses", "200", outcome, errors, body=body, rules=RULES)
        paths[f"/integrations/{source}"] = {"post": op}
    return paths

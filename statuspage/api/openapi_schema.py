"""The building blocks of the OpenAPI document: shared schemas, parameters, error responses and the builders
(``obj``, ``ref``, ``operation``, ``envelope``...) that ``openapi`` and each path set (``openapi_integrations``,
``openapi_parity``, ``openapi_practice``) describe their operations with. No paths here, so every module that
writes a part of the document imports this one and none imports another."""
from ..models import COMPONENT_STATUSES, IMPACTS, INCIDENT_STATUSES, MAINTENANCE_STATUSES
from .limits import IF_MATCH_PATTERN, MAX_PAGE, MAX_PER_PAGE

REF = "#/components/schemas/"
TIME = {"type": "string", "format": "date-time"}


def nullable(schema: dict) -> dict:
    return {**schema, "type": [schema["type"], "null"]}


def obj(properties: dict, required=None, strict: bool = True) -> dict:
    schema = {"type": "object", "properties": properties}
    if required is not None:
        schema["required"] = list(required)
    if strict:
        schema["additionalProperties"] = False
    return schema


def ref(name: str) -> dict:
    return {"$ref": REF + name}


STRING, BOOL, INT = {"type": "string"}, {"type": "boolean"}, {"type": "integer"}
IDS = {"type": "array", "items": STRING}
COMPONENT_STATUS = {"type": "string", "enum": list(COMPONENT_STATUSES)}
ANY_INCIDENT_STATUS = {"type": "string", "enum": list(INCIDENT_STATUSES + MAINTENANCE_STATUSES)}

COMPONENT = {"id": STRING, "name": STRING, "status": COMPONENT_STATUS, "created_at": TIME, "updated_at": TIME,
             "position": INT, "description": nullable(STRING), "showcase": BOOL,
             "start_date": nullable({"type": "string", "format": "date"}), "group_id": nullable(STRING),
             "page_id": STRING, "group": BOOL, "only_show_if_degraded": BOOL}
UPDATE = {"id": STRING, "status": ANY_INCIDENT_STATUS, "body": STRING, "incident_id": STRING,
          "created_at": TIME, "updated_at": TIME, "display_at": TIME,
          "affected_components": {"type": ["array", "null"], "items": ref("AffectedComponent")},
          "deliver_notifications": BOOL, "custom_tweet": nullable(STRING), "tweet_id": nullable(STRING)}
INCIDENT = {"id": STRING, "name": STRING, "status": ANY_INCIDENT_STATUS, "created_at": TIME,
            "updated_at": TIME, "monitoring_at": nullable(TIME), "resolved_at": nullable(TIME),
            "impact": {"type": "string", "enum": [*IMPACTS, "maintenance"]}, "shortlink": STRING,
            "started_at": TIME, "page_id": STRING,
            "incident_updates": {"type": "array", "items": ref("IncidentUpdate")},
            "components": {"type": "array", "items": ref("Component")},
            "reminder_intervals": nullable(STRING), "impact_override": nullable(STRING),
            "metadata": {"type": "object"}, "postmortem_body": nullable(STRING),
            "postmortem_published_at": nullable(TIME), "scheduled_for": nullable(TIME),
            "scheduled_until": nullable(TIME), "scheduled_remind_prior": BOOL,
            "scheduled_reminded_at": nullable(TIME), "scheduled_auto_in_progress": BOOL,
            "scheduled_auto_completed": BOOL}
GROUP = {"id": STRING, "page_id": STRING, "name": STRING, "description": nullable(STRING), "components": IDS,
         "position": INT, "created_at": TIME, "updated_at": TIME}

# A name must keep a visible character once cleaned (domain.text): not only spaces or control characters.
NONBLANK = "[^\\s\\x00-\\x1f\\x7f\\ufffe\\uffff]"


def name(max_length: int) -> dict:
    return {"type": "string", "minLength": 1, "maxLength": max_length, "pattern": NONBLANK}


def optional(schema: dict) -> dict:
    """An input field that may be null, which the server reads as absent."""
    if "type" in schema:
        kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        out = {**schema, "type": [*kinds, "null"]}
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
        return out
    return {"anyOf": [schema, {"type": "null"}]}


WHEN = {"anyOf": [TIME, {"type": "null"}, {"const": ""}]}  # "" or null: not given
FLAG = optional(BOOL)
IDS_IN = optional(IDS)
STATUS_MAP = optional({"type": "object", "additionalProperties": COMPONENT_STATUS})
BODY = optional({"type": "string", "maxLength": 20000})
INCIDENT_IN = {
    "name": optional(name(200)), "status": optional(ANY_INCIDENT_STATUS),
    "impact_override": optional({"type": "string", "enum": list(IMPACTS)}), "body": BODY,
    "components": STATUS_MAP, "component_ids": IDS_IN, "deliver_notifications": FLAG, "scheduled_for": WHEN,
    "scheduled_until": WHEN, "scheduled_remind_prior": FLAG, "scheduled_auto_in_progress": FLAG,
    "scheduled_auto_completed": FLAG, "metadata": optional({"type": "object"})}
COMPONENT_IN = {"name": optional(name(120)), "description": optional({"type": "string", "maxLength": 5000}),
                "status": optional(COMPONENT_STATUS), "group_id": optional(STRING), "showcase": FLAG,
                "only_show_if_degraded": FLAG, "start_date": optional({"type": "string", "format": "date"})}
GROUP_IN = {"name": name(120), "description": optional({"type": "string", "maxLength": 5000}),
            "components": IDS_IN}

SCHEMAS = {
    "Error": obj({"error": STRING, "field": STRING, "current": {"type": "object"}}, ["error"]),
    "AffectedComponent": obj({"code": STRING, "name": STRING, "old_status": nullable(COMPONENT_STATUS),
                              "new_status": COMPONENT_STATUS}, ["code", "name", "old_status", "new_status"]),
    "IncidentUpdate": obj(UPDATE, UPDATE),
    "Incident": obj(INCIDENT, INCIDENT),
    "Component": obj(COMPONENT, COMPONENT),
    "ComponentListItem": obj({**COMPONENT, "components": IDS}, COMPONENT),
    "ComponentGroup": obj(GROUP, GROUP),
    "IncidentCreate": obj({**INCIDENT_IN, "name": name(200)}, ["name"], strict=False),
    "IncidentInput": obj(INCIDENT_IN, strict=False),
    "IncidentUpdateInput": obj({"body": optional(name(20000)), "display_at": WHEN, "deliver_notifications": FLAG},
                               strict=False),
    "ComponentCreate": obj({**COMPONENT_IN, "name": name(120)}, ["name"], strict=False),
    "ComponentInput": obj(COMPONENT_IN, strict=False),
    "ComponentGroupCreate": obj(GROUP_IN, ["name"], strict=False),
    "ComponentGroupInput": obj(GROUP_IN, strict=False),
}

ERRORS = {
    "400": "The body is not valid JSON.",
    "401": "Missing, unknown or revoked API key.",
    "403": "The key belongs to a viewer, who may read but not write.",
    "404": "No such page, or no such object on it (also an id in the body that names nothing).",
    "409": "The object changed since the revision given in If-Match (``current`` tells its state).",
    "415": "The body is neither JSON nor form-encoded.",
    "422": "A field is missing, of the wrong type, out of bounds or not allowed (``field`` names it).",
    "429": "Too many requests for this key; try again later.",
}
READ_ERRORS, LIST_ERRORS = ("401", "404", "429"), ("401", "404", "422", "429")
WRITE_ERRORS = ("400", "401", "403", "404", "409", "415", "422", "429")
DELETE_ERRORS = ("401", "403", "404", "429")
# Operations whose bodies obey rules a JSON Schema cannot state (a window's end after its start, a status
# allowed for this kind and state of incident, a mailbox or phone number that exists): schema-valid bodies
# may still be 422, and the fuzz test allows exactly these.
RULES_422 = "x-rules"


def param(name: str, where: str = "path", schema: dict = STRING, description: str = "") -> dict:
    return {"name": name, "in": where, "required": where == "path", "schema": schema,
            "description": description}


LIST_PARAMS = [param("page", "query", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
                     f"Page to fetch, from 1 to {MAX_PAGE}."),
               param("per_page", "query", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
                     "Rows per page (default and maximum 100)."),
               param("limit", "query", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
                     "Same as per_page.")]
IF_MATCH = param("If-Match", "header", {"type": "string", "pattern": IF_MATCH_PATTERN},
                 'The revision from the ETag, e.g. "3"; stale is 409, anything but a revision or * is 422.')


def envelope(name: str, schema: str, extra: dict | None = None) -> dict:
    """A JSON body wrapping the resource in its name (form bodies, resource[field]=value, are also read)."""
    body = obj({name: ref(schema), **(extra or {})}, [name], strict=False)
    return {"required": True, "content": {"application/json": {"schema": body}}}


def operation(summary: str, ok: str, schema: dict | None, errors=READ_ERRORS, params=(), body=None,
              rules: str = "") -> dict:
    """One operation; ``rules`` names the rules beyond the schema that may make a schema-valid body 422."""
    responses = {ok: {"description": summary}}
    if schema is not None:
        responses[ok]["content"] = {"application/json": {"schema": schema}}
    for code in errors:
        responses[code] = {"$ref": f"#/components/responses/E{code}"}
    op = {"summary": summary, "parameters": list(params), "responses": responses}
    if body:
        op["requestBody"] = body
    if rules:
        op["description"] = f"Also 422 when: {rules}."
        op[RULES_422] = rules
    return op


def many(name: str) -> dict:
    return {"type": "array", "items": ref(name)}

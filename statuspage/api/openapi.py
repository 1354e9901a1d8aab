"""The OpenAPI 3.1 description of the management API v1, served at /api/v1/openapi.json.

Built in code so it stays next to what it describes; tests/test_openapi.py checks that every v1 route is
documented and that real responses match the documented schemas. Subscribers are described by
``subscriber_paths`` unless statuspage/api/v1/subscribers.py exports ``OPENAPI_PATHS`` (relative to
/v1/pages/{page_id}) and ``OPENAPI_SCHEMAS``, built with ``operation``, ``envelope``, ``ref`` and ``many``.
"""
from flask import Blueprint, jsonify

from ..models import COMPONENT_STATUSES, IMPACTS, INCIDENT_STATUSES, MAINTENANCE_STATUSES
from .limits import IF_MATCH_PATTERN, MAX_PAGE, MAX_PER_PAGE
from .openapi_integrations import integration_paths

bp = Blueprint("openapi", __name__, url_prefix="/api/v1")

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


INCIDENT_RULES = ("a window needs both scheduled_for and scheduled_until, the end after the start, and only a "
                  "maintenance has one; the status must be one of its kind (incident or maintenance); a "
                  "closed incident reopens only by choosing another status; an update needs a text or a change")


def incident_paths() -> dict:
    listing = [*LIST_PARAMS, param("q", "query", STRING, "Search names and update texts.")]
    one = [param("incident_id")]
    paths = {"/incidents": {
        "get": operation("List incidents and maintenance, newest first", "200", many("Incident"), LIST_ERRORS,
                         listing),
        "post": operation("Create an incident, or a maintenance when scheduled_for/until are given", "201",
                          ref("Incident"), WRITE_ERRORS, body=envelope("incident", "IncidentCreate"),
                          rules=INCIDENT_RULES)}}
    for path, summary in (("unresolved", "Open incidents"), ("upcoming", "Maintenance not yet started"),
                          ("active_maintenance", "Maintenance in progress or verifying"),
                          ("scheduled", "Every scheduled maintenance")):
        paths[f"/incidents/{path}"] = {"get": operation(summary, "200", many("Incident"), LIST_ERRORS, listing)}
    edit = operation("Edit the incident and/or post its next update (one transaction)", "200", ref("Incident"),
                     WRITE_ERRORS, [*one, IF_MATCH], envelope("incident", "IncidentInput"), INCIDENT_RULES)
    paths["/incidents/{incident_id}"] = {
        "get": operation("One incident", "200", ref("Incident"), params=one), "patch": edit, "put": edit,
        "delete": operation("Delete an incident (returns it)", "200", ref("Incident"), DELETE_ERRORS, one)}
    fix = operation("Correct an update's text, time or notification flag", "200", ref("IncidentUpdate"),
                    WRITE_ERRORS, [*one, param("update_id"), IF_MATCH],
                    envelope("incident_update", "IncidentUpdateInput"))
    paths["/incidents/{incident_id}/incident_updates/{update_id}"] = {"patch": fix, "put": fix}
    return paths


def component_paths() -> dict:
    one, group = [param("component_id")], [param("group_id")]
    edit = operation("Edit a component", "200", ref("Component"), WRITE_ERRORS, [*one, IF_MATCH],
                     envelope("component", "ComponentInput"))
    top_description = {"description": optional({"type": "string", "maxLength": 5000})}
    edit_group = operation("Edit a group and which components it holds", "200", ref("ComponentGroup"),
                           WRITE_ERRORS, [*group, IF_MATCH],
                           envelope("component_group", "ComponentGroupInput", top_description))
    create_errors = tuple(code for code in WRITE_ERRORS if code != "409")
    return {
        "/components": {
            "get": operation("Groups (group: true) and components", "200", many("ComponentListItem"),
                             LIST_ERRORS, LIST_PARAMS),
            "post": operation("Create a component", "201", ref("Component"), create_errors,
                              body=envelope("component", "ComponentCreate"))},
        "/components/{component_id}": {
            "get": operation("One component", "200", ref("Component"), params=one),
            "patch": edit, "put": edit,
            "delete": operation("Delete a component", "204", None, DELETE_ERRORS, one)},
        "/component-groups": {
            "get": operation("Component groups", "200", many("ComponentGroup"), LIST_ERRORS, LIST_PARAMS),
            "post": operation("Create a group", "201", ref("ComponentGroup"), create_errors,
                              body=envelope("component_group", "ComponentGroupCreate", top_description))},
        "/component-groups/{group_id}": {
            "get": operation("One group", "200", ref("ComponentGroup"), params=group), "patch": edit_group,
            "put": edit_group,
            "delete": operation("Delete a group; its components stay (returns it)", "200",
                                ref("ComponentGroup"), DELETE_ERRORS, group)},
    }


SUBSCRIBER = {"id": STRING, "skip_confirmation_notification": BOOL,
              "mode": {"type": "string", "enum": ["email", "sms", "webhook", "chat"]},
              "email": nullable(STRING), "endpoint": nullable(STRING), "phone_number": nullable(STRING),
              "phone_country": nullable(STRING), "display_phone_number": nullable(STRING),
              "components": {"type": ["array", "null"], "items": STRING}, "created_at": TIME,
              "quarantined_at": nullable(TIME), "secret": STRING}
ADDRESS = optional({"type": "string", "maxLength": 2000})
SUBSCRIBER_SCHEMAS = {
    "Subscriber": obj(SUBSCRIBER, ["id", "mode", "created_at"], strict=False),
    "SubscriberInput": obj({"email": ADDRESS, "phone_number": ADDRESS,
                            "phone_country": optional({"type": "string", "maxLength": 2}),
                            "endpoint": ADDRESS, "component_ids": IDS_IN, "skip_confirmation_notification": FLAG,
                            "audience": optional({"type": "string", "enum": ["public", "internal"]})},
                           strict=False),
}
SUBSCRIBER_RULES = ("exactly one of email, phone_number and endpoint is given, and it is a valid address this "
                    "site can send to; component_ids name components the audience may see")


def subscriber_paths() -> dict:
    """Documented here until statuspage/api/v1/subscribers.py exports its own OPENAPI_PATHS."""
    one = [param("subscriber_id")]
    listing = [*LIST_PARAMS, param("q", "query", STRING, "Address contains."),
               param("type", "query", {"type": "string", "enum": ["", "email", "sms", "webhook", "chat", "slack",
                                                                  "teams"]}, "Empty means every type."),
               param("state", "query", {"type": "string", "enum": ["active", "unconfirmed", "quarantined",
                                                                   "disabled", "all"]})]
    create = operation("Subscribe an address (a known address answers 200 with its subscriber)", "201",
                       ref("Subscriber"), tuple(c for c in WRITE_ERRORS if c != "409"),
                       body=envelope("subscriber", "SubscriberInput"), rules=SUBSCRIBER_RULES)
    create["responses"]["200"] = {"description": "Already subscribed",
                                  "content": {"application/json": {"schema": ref("Subscriber")}}}
    return {
        "/subscribers": {"get": operation("Subscribers", "200", many("Subscriber"), LIST_ERRORS, listing),
                         "post": create},
        "/subscribers/{subscriber_id}": {
            "get": operation("One subscriber", "200", ref("Subscriber"), params=one),
            "delete": operation("Unsubscribe (returns the subscriber)", "200", ref("Subscriber"),
                                DELETE_ERRORS, one)},
        "/subscribers/{subscriber_id}/resend_confirmation": {
            "post": operation("Send the confirmation message again", "201", {"type": "object"},
                              ("401", "403", "404", "422", "429"), one,
                              rules="the subscriber is already confirmed")},
    }


def document() -> dict:
    """The whole OpenAPI 3.1 document; each resource path appears with and without ``.json``. The page id is
    this site's: the only value the server accepts."""
    from ..models import Site
    from . import openapi_parity, openapi_practice  # late: they build on this module
    from .v1 import subscribers  # late: a v1 module may import this module's builders

    resources = (incident_paths() | component_paths()
                 | (getattr(subscribers, "OPENAPI_PATHS", None) or subscriber_paths())
                 | openapi_practice.practice_paths())
    resources |= integration_paths()
    resources |= openapi_parity.paths()  # Statuspage parity: postmortem, uptime, subscriber count, templates
    page = param("page_id", schema={"type": "string", "enum": [Site.get().page_id]},
                 description="This site's page id.")
    paths = {}
    for path, operations in resources.items():
        item = {"parameters": [page], **operations}
        paths["/v1/pages/{page_id}" + path] = item
        paths["/v1/pages/{page_id}" + path + ".json"] = item
    return {
        "openapi": "3.1.0",
        "info": {"title": "Status page management API", "version": "1.0.0",
                 "description": "Statuspage-compatible management API v1. Bodies are JSON wrapped in the "
                                "resource's name (form-encoded resource[field]=value is read too). A method a "
                                "path does not list is 405 with an Allow header."},
        "servers": [{"url": "/"}],
        "security": [{"OAuth": []}],
        "paths": paths,
        "components": {
            "schemas": (SCHEMAS | SUBSCRIBER_SCHEMAS | getattr(subscribers, "OPENAPI_SCHEMAS", {})
                        | openapi_parity.SCHEMAS | openapi_practice.SCHEMAS),
            "responses": {f"E{code}": {"description": text,
                                       "content": {"application/json": {"schema": ref("Error")}}}
                          for code, text in ERRORS.items()},
            "securitySchemes": {"OAuth": {"type": "apiKey", "in": "header", "name": "Authorization",
                                          "description": "'OAuth <api key>' or 'Bearer <api key>'."}},
        },
    }


@bp.get("/openapi.json")
def openapi_json():
    return jsonify(document())

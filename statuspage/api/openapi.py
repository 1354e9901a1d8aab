"""The OpenAPI 3.1 description of the management API v1, served at /api/v1/openapi.json.

Built in code so it stays next to what it describes; tests/test_openapi.py checks that every v1 route is
documented and that real responses match the documented schemas. Subscribers are described by
``subscriber_paths`` unless statuspage/api/v1/subscribers.py exports ``OPENAPI_PATHS`` (relative to
/v1/pages/{page_id}) and ``OPENAPI_SCHEMAS``, built with ``operation``, ``envelope``, ``ref`` and ``many``.
"""
from flask import Blueprint, jsonify

from ..models import COMPONENT_STATUSES, IMPACTS, INCIDENT_STATUSES, MAINTENANCE_STATUSES

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

SCHEMAS = {
    "Error": obj({"error": STRING, "field": STRING, "current": {"type": "object"}}, ["error"]),
    "AffectedComponent": obj({"code": STRING, "name": STRING, "old_status": nullable(COMPONENT_STATUS),
                              "new_status": COMPONENT_STATUS}, ["code", "name", "old_status", "new_status"]),
    "IncidentUpdate": obj(UPDATE, UPDATE),
    "Incident": obj(INCIDENT, INCIDENT),
    "Component": obj(COMPONENT, COMPONENT),
    "ComponentListItem": obj({**COMPONENT, "components": IDS}, COMPONENT),
    "ComponentGroup": obj(GROUP, GROUP),
    "IncidentInput": obj({
        "name": STRING, "status": ANY_INCIDENT_STATUS,
        "impact_override": {"type": "string", "enum": list(IMPACTS)}, "body": STRING,
        "components": {"type": "object", "additionalProperties": COMPONENT_STATUS},
        "component_ids": IDS, "deliver_notifications": BOOL, "scheduled_for": TIME, "scheduled_until": TIME,
        "scheduled_remind_prior": BOOL, "scheduled_auto_in_progress": BOOL, "scheduled_auto_completed": BOOL,
        "metadata": {"type": "object"}}, strict=False),
    "IncidentUpdateInput": obj({"body": STRING, "display_at": TIME, "deliver_notifications": BOOL,
                                "wants_twitter_update": BOOL}, strict=False),
    "ComponentInput": obj({"name": STRING, "description": nullable(STRING), "status": COMPONENT_STATUS,
                           "group_id": nullable(STRING), "showcase": BOOL, "only_show_if_degraded": BOOL,
                           "start_date": nullable({"type": "string", "format": "date"})}, strict=False),
    "ComponentGroupInput": obj({"name": STRING, "components": IDS}, strict=False),
}

ERRORS = {
    "401": "Missing, unknown or revoked API key.",
    "403": "The key belongs to a viewer, who may read but not write.",
    "404": "No such page, or no such object on it.",
    "405": "That method is not allowed on this path.",
    "409": "The object changed since the revision given in If-Match (``current`` tells its state).",
    "422": "A field is missing, of the wrong type or not allowed (``field`` names it).",
    "429": "Too many requests for this key; try again later.",
}
READ_ERRORS, WRITE_ERRORS = ("401", "404", "405", "429"), ("401", "403", "404", "405", "409", "422", "429")


def param(name: str, where: str = "path", schema: dict = STRING, description: str = "") -> dict:
    return {"name": name, "in": where, "required": where == "path", "schema": schema,
            "description": description}


LIST_PARAMS = [param("page", "query", {"type": "integer", "minimum": 1}, "Page to fetch, from 1."),
               param("per_page", "query", {"type": "integer", "minimum": 1, "maximum": 100},
                     "Rows per page (default and maximum 100)."),
               param("limit", "query", {"type": "integer", "minimum": 1, "maximum": 100},
                     "Same as per_page.")]
IF_MATCH = param("If-Match", "header", STRING, 'The revision from the ETag, e.g. "3"; stale is 409.')


def envelope(name: str, schema: str, extra: dict | None = None) -> dict:
    body = obj({name: ref(schema), **(extra or {})}, [name], strict=False)
    return {"required": True, "content": {"application/json": {"schema": body},
                                          "application/x-www-form-urlencoded": {"schema": body}}}


def operation(summary: str, ok: str, schema: dict | None, errors=READ_ERRORS, params=(), body=None) -> dict:
    responses = {ok: {"description": summary}}
    if schema is not None:
        responses[ok]["content"] = {"application/json": {"schema": schema}}
    for code in errors:
        responses[code] = {"$ref": f"#/components/responses/E{code}"}
    op = {"summary": summary, "parameters": list(params), "responses": responses}
    if body:
        op["requestBody"] = body
    return op


def many(name: str) -> dict:
    return {"type": "array", "items": ref(name)}


def incident_paths() -> dict:
    listing = [*LIST_PARAMS, param("q", "query", STRING, "Search names and update texts.")]
    one = [param("incident_id")]
    write = envelope("incident", "IncidentInput")
    paths = {"/incidents": {
        "get": operation("List incidents and maintenance, newest first", "200", many("Incident"),
                         params=listing),
        "post": operation("Create an incident, or a maintenance when scheduled_for/until are given", "201",
                          ref("Incident"), WRITE_ERRORS, body=write)}}
    for path, summary in (("unresolved", "Open incidents"), ("upcoming", "Maintenance not yet started"),
                          ("active_maintenance", "Maintenance in progress or verifying"),
                          ("scheduled", "Every scheduled maintenance")):
        paths[f"/incidents/{path}"] = {"get": operation(summary, "200", many("Incident"), params=listing)}
    edit = operation("Edit the incident and/or post its next update", "200", ref("Incident"), WRITE_ERRORS,
                     [*one, IF_MATCH], write)
    paths["/incidents/{incident_id}"] = {
        "get": operation("One incident", "200", ref("Incident"), params=one), "patch": edit, "put": edit,
        "delete": operation("Delete an incident (returns it)", "200", ref("Incident"), WRITE_ERRORS, one)}
    fix = operation("Correct an update's text, time or notification flag", "200", ref("IncidentUpdate"),
                    WRITE_ERRORS, [*one, param("update_id"), IF_MATCH],
                    envelope("incident_update", "IncidentUpdateInput"))
    paths["/incidents/{incident_id}/incident_updates/{update_id}"] = {"patch": fix, "put": fix}
    return paths


def component_paths() -> dict:
    one, group = [param("component_id")], [param("group_id")]
    edit = operation("Edit a component", "200", ref("Component"), WRITE_ERRORS, [*one, IF_MATCH],
                     envelope("component", "ComponentInput"))
    group_body = envelope("component_group", "ComponentGroupInput", {"description": nullable(STRING)})
    edit_group = operation("Edit a group and which components it holds", "200", ref("ComponentGroup"),
                           WRITE_ERRORS, [*group, IF_MATCH], group_body)
    return {
        "/components": {
            "get": operation("Groups (group: true) and components", "200", many("ComponentListItem"),
                             params=LIST_PARAMS),
            "post": operation("Create a component", "201", ref("Component"), WRITE_ERRORS,
                              body=envelope("component", "ComponentInput"))},
        "/components/{component_id}": {
            "get": operation("One component", "200", ref("Component"), params=one),
            "patch": edit, "put": edit,
            "delete": operation("Delete a component", "204", None, WRITE_ERRORS, one)},
        "/component-groups": {
            "get": operation("Component groups", "200", many("ComponentGroup"), params=LIST_PARAMS),
            "post": operation("Create a group", "201", ref("ComponentGroup"), WRITE_ERRORS, body=group_body)},
        "/component-groups/{group_id}": {
            "get": operation("One group", "200", ref("ComponentGroup"), params=group), "patch": edit_group,
            "put": edit_group,
            "delete": operation("Delete a group; its components stay (returns it)", "200",
                                ref("ComponentGroup"), WRITE_ERRORS, group)},
    }


SUBSCRIBER = {"id": STRING, "skip_confirmation_notification": BOOL,
              "mode": {"type": "string", "enum": ["email", "sms", "webhook", "chat"]},
              "email": nullable(STRING), "endpoint": nullable(STRING), "phone_number": nullable(STRING),
              "phone_country": nullable(STRING), "display_phone_number": nullable(STRING),
              "components": {"type": ["array", "null"], "items": STRING}, "created_at": TIME,
              "quarantined_at": nullable(TIME), "secret": STRING}
SUBSCRIBER_SCHEMAS = {
    "Subscriber": obj(SUBSCRIBER, ["id", "mode", "created_at"], strict=False),
    "SubscriberInput": obj({"email": STRING, "phone_number": STRING, "phone_country": STRING,
                            "endpoint": STRING, "component_ids": IDS, "skip_confirmation_notification": BOOL,
                            "audience": {"type": "string", "enum": ["public", "internal"]}}, strict=False),
}


def subscriber_paths() -> dict:
    """Documented here until statuspage/api/v1/subscribers.py exports its own OPENAPI_PATHS."""
    one = [param("subscriber_id")]
    listing = [*LIST_PARAMS, param("q", "query", STRING, "Address contains."),
               param("type", "query", {"type": "string", "enum": ["email", "sms", "webhook", "chat", "slack",
                                                                  "teams"]}),
               param("state", "query", {"type": "string", "enum": ["active", "unconfirmed", "quarantined",
                                                                   "disabled", "all"]})]
    create = operation("Subscribe an address (a known address answers 200 with its subscriber)", "201",
                       ref("Subscriber"), WRITE_ERRORS, body=envelope("subscriber", "SubscriberInput"))
    create["responses"]["200"] = {"description": "Already subscribed",
                                  "content": {"application/json": {"schema": ref("Subscriber")}}}
    return {
        "/subscribers": {"get": operation("Subscribers", "200", many("Subscriber"), params=listing),
                         "post": create},
        "/subscribers/{subscriber_id}": {
            "get": operation("One subscriber", "200", ref("Subscriber"), params=one),
            "delete": operation("Unsubscribe (returns the subscriber)", "200", ref("Subscriber"),
                                WRITE_ERRORS, one)},
        "/subscribers/{subscriber_id}/resend_confirmation": {
            "post": operation("Send the confirmation message again", "201", {"type": "object"}, WRITE_ERRORS,
                              one)},
    }


def document() -> dict:
    """The whole OpenAPI 3.1 document; each resource path appears with and without ``.json``."""
    from .v1 import subscribers  # late: a v1 module may import this module's builders

    resources = (incident_paths() | component_paths()
                 | (getattr(subscribers, "OPENAPI_PATHS", None) or subscriber_paths()))
    paths = {}
    for path, operations in resources.items():
        item = {"parameters": [param("page_id", description="This site's page id.")], **operations}
        paths["/v1/pages/{page_id}" + path] = item
        paths["/v1/pages/{page_id}" + path + ".json"] = item
    return {
        "openapi": "3.1.0",
        "info": {"title": "Status page management API", "version": "1.0.0",
                 "description": "Statuspage-compatible management API v1. Bodies are JSON wrapped in the "
                                "resource's name, or form-encoded as resource[field]=value."},
        "servers": [{"url": "/"}],
        "security": [{"OAuth": []}],
        "paths": paths,
        "components": {
            "schemas": SCHEMAS | SUBSCRIBER_SCHEMAS | getattr(subscribers, "OPENAPI_SCHEMAS", {}),
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

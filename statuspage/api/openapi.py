"""The OpenAPI 3.1 description of the management API v1, served at /api/v1/openapi.json.

Built in code so it stays next to what it describes; tests/test_openapi.py checks that every v1 route is
documented and that real responses match the documented schemas. Subscribers are described by
``subscriber_paths`` unless statuspage/api/v1/subscribers.py exports ``OPENAPI_PATHS`` (relative to
/v1/pages/{page_id}) and ``OPENAPI_SCHEMAS``, built with the builders of ``openapi_schema``.
"""
from flask import Blueprint, jsonify

from . import openapi_parity, openapi_practice
from .openapi_integrations import integration_paths
from .openapi_schema import (
    BOOL,
    DELETE_ERRORS,
    ERRORS,
    FLAG,
    IDS_IN,
    IF_MATCH,
    LIST_ERRORS,
    LIST_PARAMS,
    SCHEMAS,
    STRING,
    TIME,
    WRITE_ERRORS,
    envelope,
    many,
    nullable,
    obj,
    operation,
    optional,
    param,
    ref,
)

bp = Blueprint("openapi", __name__, url_prefix="/api/v1")

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

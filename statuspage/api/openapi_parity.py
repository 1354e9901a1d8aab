"""OpenAPI paths and schemas of the Statuspage-parity endpoints of the management API v1: postmortems,
component and group uptime, the subscriber count and incident templates (statuspage/api/v1/postmortem.py,
uptime.py, subscriber_count.py, templates.py). ``openapi.document`` adds them; paths are relative to
/v1/pages/{page_id}, as there.
"""
from .openapi_schema import (
    BOOL,
    IDS_IN,
    LIST_ERRORS,
    LIST_PARAMS,
    STATUS_MAP,
    STRING,
    TIME,
    WRITE_ERRORS,
    envelope,
    many,
    name,
    nullable,
    obj,
    operation,
    optional,
    param,
    ref,
)

DATE = {"type": "string", "format": "date"}
INT = {"type": "integer"}
POSTMORTEM = {"preview_key": nullable(STRING), "body": nullable(STRING), "body_updated_at": nullable(TIME),
              "body_draft": nullable(STRING), "body_draft_updated_at": nullable(TIME),
              "published_at": nullable(TIME), "notify_subscribers": BOOL, "notify_twitter": BOOL,
              "custom_tweet": nullable(STRING), "created_at": nullable(TIME), "updated_at": nullable(TIME)}
UPTIME = {"range_start": DATE, "range_end": DATE, "uptime_percentage": {"type": ["number", "null"]},
          "major_outage": INT, "partial_outage": INT, "warnings": {"type": "array", "items": STRING},
          "id": STRING, "name": STRING}
EVENT = obj({"id": STRING}, ["id"])
GROUP_EVENT = obj({"component_id": STRING, "incidents": {"type": "array", "items": EVENT}},
                  ["component_id", "incidents"])
COUNTS = {kind: INT for kind in ("email", "sms", "webhook", "integration_partner", "slack")}
TEMPLATE = {"id": STRING, "components": {"type": "array", "items": ref("Component")}, "name": STRING,
            "title": STRING, "body": STRING, "group_id": nullable(STRING),
            "update_status": {"type": "string", "enum": ["investigating", "identified", "monitoring"]},
            "should_tweet": BOOL, "should_send_notifications": BOOL,
            "impact": {"type": "string", "enum": ["none", "minor", "major", "critical"]},
            "component_statuses": {"type": "object", "additionalProperties": STRING}}
TEMPLATE_IN = {"name": name(120), "title": name(200), "body": optional({"type": "string", "maxLength": 20000}),
               "group_id": optional(STRING), "update_status": optional(TEMPLATE["update_status"]),
               "should_tweet": optional(BOOL), "should_send_notifications": optional(BOOL),
               "component_ids": IDS_IN, "components": STATUS_MAP, "impact": optional(TEMPLATE["impact"])}

SCHEMAS = {
    "Postmortem": obj(POSTMORTEM, POSTMORTEM),
    "PostmortemInput": obj({"body_draft": name(20000)}, ["body_draft"], strict=False),
    "PostmortemPublishInput": obj({"notify_subscribers": optional(BOOL), "notify_twitter": optional(BOOL),
                                   "custom_tweet": optional({"type": "string", "maxLength": 280})}, strict=False),
    "ComponentUptime": obj({**UPTIME, "related_events": {"type": "array", "items": EVENT}},
                           [*UPTIME, "related_events"]),
    "ComponentGroupUptime": obj({**UPTIME, "related_events": {"type": "array", "items": GROUP_EVENT}},
                                [*UPTIME, "related_events"]),
    "SubscriberCount": obj(COUNTS, COUNTS),
    "IncidentTemplate": obj(TEMPLATE, TEMPLATE),
    "IncidentTemplateCreate": obj(TEMPLATE_IN, ["name", "title"], strict=False),
}

PARTIAL_DATE = {"type": "string", "pattern": "^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$"}
RANGE = [param("start", "query", PARTIAL_DATE, "First day (YYYY, YYYY-MM or YYYY-MM-DD, the first day of a year "
                                               "or month); default 90 days ago or the component's start."),
         param("end", "query", PARTIAL_DATE, "Last day (a year or month means its last day); default today.")]
RANGE_RULES = ("a date of the calendar, on or after 1970-01-01; start not after end nor after today; at most six "
               "calendar months")
PUBLISH_RULES = "the incident is resolved, there is a draft, and a major incident's review is in review"
DRAFT_ERRORS = tuple(code for code in WRITE_ERRORS if code != "409")


def paths() -> dict:
    incident, component, group = [param("incident_id")], [param("component_id")], [param("group_id")]
    postmortem = ref("Postmortem")
    return {
        "/incidents/{incident_id}/postmortem": {
            "get": operation("The incident's postmortem: draft and published text", "200", postmortem,
                             params=incident),
            "put": operation("Write the postmortem's draft", "200", postmortem, DRAFT_ERRORS, incident,
                             envelope("postmortem", "PostmortemInput")),
            "delete": operation("Delete the postmortem: its draft, and its publication if published", "204", None,
                                ("401", "403", "404", "422", "429"), incident,
                                rules="the incident has a postmortem")},
        "/incidents/{incident_id}/postmortem/publish": {
            "put": operation("Publish the draft (notify_subscribers tells subscribers)", "200", postmortem,
                             DRAFT_ERRORS, incident, _optional_envelope("postmortem", "PostmortemPublishInput"),
                             PUBLISH_RULES)},
        "/incidents/{incident_id}/postmortem/revert": {
            "put": operation("Unpublish the postmortem: its text goes back to the draft", "200", postmortem,
                             ("401", "403", "404", "422", "429"), incident,
                             rules="the postmortem is published")},
        "/components/{component_id}/uptime": {
            "get": operation("Uptime of a component over a range of days", "200", ref("ComponentUptime"),
                             LIST_ERRORS, [*component, *RANGE], rules=RANGE_RULES)},
        "/component-groups/{group_id}/uptime": {
            "get": operation("Uptime of a group's components together over a range of days", "200",
                             ref("ComponentGroupUptime"), LIST_ERRORS, [*group, *RANGE], rules=RANGE_RULES)},
        "/subscribers/count": {
            "get": operation("How many subscribers, by type (chat subscribers under slack)", "200",
                             ref("SubscriberCount"), LIST_ERRORS, [
                                 param("type", "query", {"type": "string", "enum": [*COUNTS]}),
                                 param("state", "query", {"type": "string", "enum": [
                                     "active", "unconfirmed", "quarantined", "all"]}, "Default active.")])},
        "/incident_templates": {
            "get": operation("Incident templates, by name", "200", many("IncidentTemplate"), LIST_ERRORS,
                             LIST_PARAMS),
            "post": operation("Create an incident template", "201", ref("IncidentTemplate"), DRAFT_ERRORS,
                              body=envelope("template", "IncidentTemplateCreate"),
                              rules="component ids name components")},
    }


def _optional_envelope(name_: str, schema: str) -> dict:
    body = envelope(name_, schema)
    return {**body, "required": False}


"""The OpenAPI description of this site's extensions to the management API: the incident manager's practice.

Statuspage's own shapes stay as they are; every addition is marked ``x-statuspage-extension`` (a vendor
extension) so a client knows it is not part of Atlassian Statuspage's API: the ``x_practice`` object on each
incident, and the command, SLA, executive summary, review, action item and problem resources below.
``openapi.document`` merges ``practice_paths()`` and ``SCHEMAS`` in.
"""
from ..domain.leadership import SUMMARY_PARTS
from ..domain.problems import PROBLEM_STATES, TEXT_FIELDS
from ..domain.sla import BREACHED, MET, OK, WARNING
from ..models import REVIEW_SECTIONS, REVIEW_STATES
from .openapi_schema import (
    BOOL,
    DELETE_ERRORS,
    FLAG,
    INCIDENT,
    INT,
    LIST_ERRORS,
    LIST_PARAMS,
    READ_ERRORS,
    STRING,
    TIME,
    WHEN,
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

EXTENSION = "x-statuspage-extension"
NOTE = "Not part of Atlassian Statuspage's API: this site's incident-management practice (ITIL)."
ID = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
TEXT = optional({"type": "string", "maxLength": 20000})
USER = nullable({"type": "object", "properties": {"id": INT, "email": STRING, "name": STRING},
                 "required": ["id", "email", "name"], "additionalProperties": False})
DAY = {"type": "string", "format": "date"}


def shape(properties: dict) -> dict:
    return {**obj(properties, properties), EXTENSION: NOTE}


PRACTICE = {"priority": nullable(INT), "itil_impact": nullable(INT), "itil_urgency": nullable(INT), "major": BOOL,
            "visibility": STRING, "owner": USER, "acknowledged_at": nullable(TIME), "acknowledged_by": USER,
            "mitigated_at": nullable(TIME), "problem_id": nullable(STRING)}
TIMER = {"target_minutes": INT, "due_at": TIME, "elapsed_seconds": INT, "percent_used": INT,
         "state": {"type": "string", "enum": [OK, WARNING, BREACHED, MET]}, "breached": BOOL, "stopped": BOOL}
SLA = {"incident_id": STRING, "priority": nullable(INT), "acknowledge": {"anyOf": [ref("SlaTimer"),
                                                                                    {"type": "null"}]},
       "resolve": {"anyOf": [ref("SlaTimer"), {"type": "null"}]}, "breached": BOOL,
       "next_update_due": nullable(TIME), "next_summary_due": nullable(TIME)}
SUMMARY = {"id": STRING, "incident_id": STRING, "body": STRING, "created_at": TIME, "author": USER}
ACTION_ITEM = {"id": INT, "incident_id": STRING, "title": STRING, "owner": USER, "due_date": nullable(DAY),
               "link": nullable(STRING), "state": {"type": "string", "enum": ["open", "done"]},
               "done_at": nullable(TIME), "overdue": BOOL, "created_at": TIME}
REVIEW = {"incident_id": STRING, "state": {"type": "string", "enum": list(REVIEW_STATES)},
          **{section: STRING for section in REVIEW_SECTIONS}, "markdown": STRING, "author": USER,
          "published_at": nullable(TIME), "created_at": TIME, "updated_at": TIME}
PROBLEM = {"id": STRING, "title": STRING, "status": {"type": "string", "enum": list(PROBLEM_STATES)},
           "known_error": BOOL, **{f: STRING for f in TEXT_FIELDS}, "incident_ids": {"type": "array", "items": STRING},
           "component_ids": {"type": "array", "items": STRING}, "time_lost_seconds": INT, "created_at": TIME,
           "updated_at": TIME}
PROBLEM_IN = {"title": optional(name(200)), **{f: TEXT for f in TEXT_FIELDS}}

SCHEMAS = {
    # Statuspage's incident plus one extension object (replaces the plain one in openapi.SCHEMAS).
    "Incident": obj({**INCIDENT, "x_practice": ref("IncidentPractice")}, [*INCIDENT, "x_practice"]),
    "IncidentPractice": shape(PRACTICE),
    "SlaTimer": shape(TIMER),
    "IncidentSla": shape(SLA),
    "SlaTarget": shape({"priority": INT, "acknowledge_minutes": nullable(INT), "resolve_minutes": nullable(INT)}),
    "ExecutiveSummary": shape(SUMMARY),
    "ActionItem": shape(ACTION_ITEM),
    "Review": shape(REVIEW),
    "Problem": shape(PROBLEM),
    "AcknowledgeInput": obj({"acknowledged_at": WHEN}, strict=False),
    "MitigateInput": obj({"mitigated_at": WHEN}, strict=False),
    "OwnerInput": obj({"id": optional(ID), "email": optional({"type": "string", "maxLength": 254})}, strict=False),
    "TimesInput": obj({"acknowledged_at": WHEN, "mitigated_at": WHEN}, strict=False),
    "ExecutiveSummaryInput": obj({key: name(20000) if key == "current_status" else TEXT for key, _ in SUMMARY_PARTS},
                                 ["current_status"], strict=False),
    "ReviewInput": obj({**{s: TEXT for s in REVIEW_SECTIONS},
                        "state": optional({"type": "string", "enum": list(REVIEW_STATES)}), "notify": FLAG},
                       strict=False),
    "ActionItemCreate": obj({"title": name(200), "owner_id": optional(ID), "due_date": optional(DAY),
                             "link": optional({"type": "string", "maxLength": 500})}, ["title"], strict=False),
    "ActionItemInput": obj({"done": FLAG}, strict=False),
    "ProblemCreate": obj({**PROBLEM_IN, "title": name(200), "incident_id": optional(STRING)}, ["title"],
                         strict=False),
    "ProblemInput": obj({**PROBLEM_IN, "status": optional({"type": "string", "enum": list(PROBLEM_STATES)})},
                        strict=False),
}


def optional_envelope(wrapper: str, schema: str) -> dict:
    """A body that may be left out, or be {} (an action with no options)."""
    body = obj({wrapper: ref(schema)}, [], strict=False)
    return {"required": False, "content": {"application/json": {"schema": body}}}


def ext(op: dict) -> dict:
    return {**op, EXTENSION: NOTE}


COMMAND_RULES = ("the incident is closed, already acknowledged or mitigated, or the time is before its start or "
                 "in the future")
OWNER_RULES = "the owner is not an active manager or admin, or no user has that email; give id or email, not both"
ONE, PROBLEM_ID, ITEM = [param("incident_id")], [param("problem_id")], [param("item_id", schema=ID)]
CREATE_ERRORS = tuple(code for code in WRITE_ERRORS if code != "409")


def practice_paths() -> dict:
    incident, one = ref("Incident"), ONE
    base = "/incidents/{incident_id}"
    started = operation("Start the review: a draft, its timeline seeded", "201", ref("Review"), DELETE_ERRORS, one)
    started["responses"]["200"] = {"description": "Already started",
                                   "content": {"application/json": {"schema": ref("Review")}}}
    edit_problem = ext(operation("Edit a problem and/or move its state", "200", ref("Problem"), CREATE_ERRORS,
                                 PROBLEM_ID, envelope("problem", "ProblemInput"),
                                 "the title is blank once cleaned; a known error needs a root cause and a "
                                 "workaround; the state cannot follow the present one"))
    return {
        base + "/acknowledge": {"post": ext(operation(
            "Acknowledge the incident (now, or at acknowledged_at)", "200", incident, CREATE_ERRORS, one,
            optional_envelope("acknowledgement", "AcknowledgeInput"), COMMAND_RULES))},
        base + "/mitigate": {"post": ext(operation(
            "Mark the incident mitigated (now, or at mitigated_at)", "200", incident, CREATE_ERRORS, one,
            optional_envelope("mitigation", "MitigateInput"), COMMAND_RULES))},
        base + "/take_command": {"post": ext(operation(
            "The key's owner takes command (and acknowledges it if nobody has)", "200", incident,
            DELETE_ERRORS, one))},
        base + "/owner": {
            "put": ext(operation("Assign the owner (a manager or admin) by id or email", "200", incident,
                                 CREATE_ERRORS, one, envelope("owner", "OwnerInput"), OWNER_RULES)),
            "delete": ext(operation("Leave the incident without an owner", "200", incident, DELETE_ERRORS, one))},
        base + "/times": {"patch": ext(operation(
            "Correct when it was acknowledged or mitigated (null clears one)", "200", incident, CREATE_ERRORS,
            one, envelope("times", "TimesInput"),
            "no time is given, or one is before the start, in the future or after the resolution"))},
        base + "/sla": {"get": ext(operation("The incident's SLA timers and next updates due", "200",
                                             ref("IncidentSla"), params=one))},
        base + "/executive_summaries": {
            "get": ext(operation("Executive summaries, newest first", "200", many("ExecutiveSummary"),
                                 params=one)),
            "post": ext(operation("Write an executive summary and send it to the leadership audience", "201",
                                  ref("ExecutiveSummary"), CREATE_ERRORS, one,
                                  envelope("executive_summary", "ExecutiveSummaryInput"),
                                  "the current status is blank once cleaned"))},
        base + "/review": {
            "get": ext(operation("The post-incident review (404 until started)", "200", ref("Review"),
                                 params=one)),
            "post": ext(started),
            "patch": ext(operation("Save sections and/or move the state (draft, in_review, published)", "200",
                                   ref("Review"), CREATE_ERRORS, one, envelope("review", "ReviewInput"),
                                   "the state cannot follow the present one, or publishing needs a summary, "
                                   "a root cause and a resolved incident"))},
        base + "/action_items": {
            "get": ext(operation("The review's action items", "200", many("ActionItem"), params=one)),
            "post": ext(operation("Add an action item", "201", ref("ActionItem"), CREATE_ERRORS, one,
                                  envelope("action_item", "ActionItemCreate"),
                                  "the title is blank once cleaned, the link is not http(s), or the owner is "
                                  "not an active user"))},
        base + "/action_items/{item_id}": {"patch": ext(operation(
            "Mark an action item done (or open again)", "200", ref("ActionItem"), CREATE_ERRORS, [*one, *ITEM],
            envelope("action_item", "ActionItemInput")))},
        "/sla_targets": {"get": ext(operation("SLA targets per priority (minutes; null: none)", "200",
                                              many("SlaTarget"), READ_ERRORS))},
        "/problems": {
            "get": ext(operation("Problems: known errors, then open, then resolved", "200", many("Problem"),
                                 LIST_ERRORS, LIST_PARAMS)),
            "post": ext(operation("Record a problem (optionally linking an incident)", "201", ref("Problem"),
                                  CREATE_ERRORS, body=envelope("problem", "ProblemCreate"),
                                  rules="the title is blank once cleaned"))},
        "/problems/{problem_id}": {
            "get": ext(operation("One problem with its reach", "200", ref("Problem"), params=PROBLEM_ID)),
            "patch": edit_problem, "put": edit_problem,
            "delete": ext(operation("Delete a problem; its incidents stay, unlinked", "204", None,
                                    DELETE_ERRORS, PROBLEM_ID))},
        "/problems/{problem_id}/incidents/{incident_id}": {
            "put": ext(operation("Link the incident to the problem", "200", ref("Problem"), DELETE_ERRORS,
                                 [*PROBLEM_ID, *ONE])),
            "delete": ext(operation("Unlink the incident", "200", ref("Problem"), DELETE_ERRORS,
                                    [*PROBLEM_ID, *ONE]))},
    }

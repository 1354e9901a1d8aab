"""JSON shapes of the incident manager's practice in the management API (extensions to Statuspage's API).

``x_practice`` rides on every v1 incident (command: priority, owner, acknowledgement, mitigation, problem);
the SLA timers, executive summaries, post-incident reviews, action items and problems have their own
resources (``practice``, ``reviews``, ``problems``). Everything here is internal: the management API is.
"""
from datetime import date, datetime

from ...domain import leadership, sla
from ...domain.problems import ProblemReach
from ...extensions import db
from ...models import REVIEW_SECTIONS, ActionItem, Incident, IncidentReview, IncidentUpdate, Problem, User
from ...rendering import iso_utc


def user_json(user_id: int | None) -> dict | None:
    """Who: a user's id, email and name (None for nobody, or a deleted user)."""
    user = db.session.get(User, user_id) if user_id is not None else None
    return {"id": user.id, "email": user.email, "name": user.name or ""} if user else None


def practice_json(incident: Incident) -> dict:
    """The ``x_practice`` extension of a v1 incident: priority and command (no extra query per incident but
    for its owner's and acknowledger's user rows, which the session keeps once loaded)."""
    return {"priority": incident.priority, "itil_impact": incident.itil_impact,
            "itil_urgency": incident.itil_urgency,
            "major": not incident.is_maintenance and leadership.is_major(incident),
            "visibility": incident.visibility, "owner": user_json(incident.owner_id),
            "acknowledged_at": iso_utc(incident.acknowledged_at),
            "acknowledged_by": user_json(incident.acknowledged_by_id),
            "mitigated_at": iso_utc(incident.mitigated_at), "problem_id": incident.problem_id}


def timer_json(timer: sla.Timer | None, start: datetime) -> dict | None:
    if timer is None:
        return None
    return {"target_minutes": int(timer.target.total_seconds() // 60), "due_at": iso_utc(start + timer.target),
            "elapsed_seconds": int(timer.elapsed.total_seconds()), "percent_used": timer.percent_used,
            "state": timer.state, "breached": timer.breached, "stopped": timer.stopped}


def sla_json(incident: Incident, now: datetime) -> dict:
    """The incident's SLA timers and what it owes next (public update, executive summary)."""
    timers = sla.timers_for(incident, now)
    return {"incident_id": incident.id, "priority": incident.priority,
            "acknowledge": timer_json(timers and timers.acknowledge, incident.started_at),
            "resolve": timer_json(timers and timers.resolve, incident.started_at),
            "breached": bool(timers and timers.breached),
            "next_update_due": iso_utc(leadership.next_update_due(incident)),
            "next_summary_due": iso_utc(leadership.next_summary_due(incident))}


def summary_json(update: IncidentUpdate) -> dict:
    return {"id": update.id, "incident_id": update.incident_id, "body": update.body,
            "created_at": iso_utc(update.created_at), "author": user_json(update.author_id)}


def action_item_json(item: ActionItem, today: date) -> dict:
    return {"id": item.id, "incident_id": item.incident_id, "title": item.title,
            "owner": user_json(item.owner_id),
            "due_date": item.due_date.isoformat() if item.due_date else None, "link": item.link,
            "state": item.state, "done_at": iso_utc(item.done_at),
            "overdue": item.done_at is None and item.due_date is not None and item.due_date < today,
            "created_at": iso_utc(item.created_at)}


def review_json(review: IncidentReview, markdown: str) -> dict:
    return {"incident_id": review.incident_id, "state": review.state,
            **{name: getattr(review, name) for name in REVIEW_SECTIONS},
            "markdown": markdown, "author": user_json(review.author_id),
            "published_at": iso_utc(review.published_at), "created_at": iso_utc(review.created_at),
            "updated_at": iso_utc(review.updated_at)}


def problem_json(found: ProblemReach) -> dict:
    problem: Problem = found.problem
    return {"id": problem.id, "title": problem.title, "status": problem.status,
            "known_error": problem.known_error, "symptom": problem.symptom, "root_cause": problem.root_cause,
            "workaround": problem.workaround, "incident_ids": [i.id for i in found.incidents],
            "component_ids": [c.id for c in found.components],
            "time_lost_seconds": int(found.time_lost.total_seconds()),
            "created_at": iso_utc(problem.created_at), "updated_at": iso_utc(problem.updated_at)}

"""Problems and known errors in the management API (an extension): list, create, read, edit (title, texts,
state), delete, and link or unlink incidents (``PUT``/``DELETE /problems/<id>/incidents/<incident_id>``).
Each problem carries its reach: linked incidents, the components they hit and the time lost. Through
``domain.problems``; nothing here is public.
"""
from flask import jsonify

from ...domain import problems as domain
from ...domain.recording import NotFound, change
from ...extensions import db
from ...models import Incident
from . import bodies, route
from .auth import current_actor
from .practice_json import problem_json

BASE = "/pages/<page_id>/problems"


def _one(problem_id: str, code: int = 200):
    response = jsonify(problem_json(domain.reach([domain.get_problem(problem_id)])[0]))
    response.status_code = code
    return response


def _texts(fields: dict) -> dict:
    texts = {name: bodies.text(fields, name, 20000) for name in domain.TEXT_FIELDS}
    return {name: text for name, text in texts.items() if text is not None}


@route(BASE, methods=["GET"])
def list_problems(page_id):
    page, per_page = bodies.pagination()
    rows = domain.all_problems()[(page - 1) * per_page:page * per_page]
    return jsonify([problem_json(found) for found in domain.reach(rows)])


@route(BASE, methods=["POST"])
def create_problem(page_id):
    fields = bodies.envelope("problem")
    incident_id = bodies.text(fields, "incident_id", 64)
    problem = domain.create_problem(current_actor(), bodies.text(fields, "title", 200) or "",
                                    incident_id=incident_id or None, **_texts(fields))
    return _one(problem.id, 201)


@route(BASE + "/<problem_id>", methods=["GET"])
def get_problem(page_id, problem_id):
    return _one(problem_id)


@route(BASE + "/<problem_id>", methods=["PATCH", "PUT"])
def edit_problem(page_id, problem_id):
    fields = bodies.envelope("problem")
    title, texts = bodies.text(fields, "title", 200), _texts(fields)
    status = bodies.choice(fields, "status", domain.PROBLEM_STATES)
    problem = domain.get_problem(problem_id)
    actor = current_actor()
    with change():  # the texts and the state move, or neither
        if title is not None or texts:
            domain.edit_problem(actor, problem_id, title=title, **texts)
        if status is not None and status != problem.status:
            domain.move_problem(actor, problem_id, status)
    return _one(problem_id)


@route(BASE + "/<problem_id>", methods=["DELETE"])
def delete_problem(page_id, problem_id):
    domain.delete_problem(current_actor(), problem_id)
    return "", 204


@route(BASE + "/<problem_id>/incidents/<incident_id>", methods=["PUT"])
def link_incident(page_id, problem_id, incident_id):
    domain.link_incident(current_actor(), incident_id, domain.get_problem(problem_id).id)
    return _one(problem_id)


@route(BASE + "/<problem_id>/incidents/<incident_id>", methods=["DELETE"])
def unlink_incident(page_id, problem_id, incident_id):
    problem = domain.get_problem(problem_id)
    incident = db.session.get(Incident, incident_id)
    if incident is None or incident.problem_id != problem.id:
        raise NotFound(f"incident {incident_id!r} is not linked to this problem", field="incident_id")
    domain.link_incident(current_actor(), incident_id, None)
    return _one(problem_id)

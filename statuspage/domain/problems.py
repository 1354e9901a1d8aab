"""Problems and known errors: the cause behind one or more incidents.

A problem is ``open`` (cause unknown), a ``known_error`` (root cause and workaround documented, ITIL) or
``resolved`` (the cause is removed). It links many incidents through ``Incident.problem_id``. Its reach is
computed: the incidents linked, the components they hit, the time lost (the sum of their durations, an open
incident counting so far). A known error that is not resolved shows its workaround to staff on ``/internal``
while a component it hit has an open incident. None of this is public: every write bumps only the internal
version.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import OPEN_INCIDENT_STATUSES, Component, Incident, Problem
from ..models.columns import utcnow
from .incident_fields import check_body
from .recording import Actor, DomainError, NotFound, bump_site_version, change, record
from .text import clean_line, has_unsafe_characters

PROBLEM_STATES = ("open", "known_error", "resolved")
STATE_LABEL = {"open": "Open", "known_error": "Known error", "resolved": "Resolved"}
MOVES = {"open": ("known_error", "resolved"), "known_error": ("open", "resolved"), "resolved": ("open",)}
TEXT_FIELDS = ("symptom", "root_cause", "workaround")


@dataclass(frozen=True)
class ProblemReach:
    problem: Problem
    incidents: list[Incident]
    components: list[Component]
    time_lost: timedelta


def describe_problem(problem: Problem) -> dict:
    return {"title": problem.title, "status": problem.status, "known_error": problem.known_error,
            **{f: getattr(problem, f) for f in TEXT_FIELDS}}


def get_problem(problem_id: str) -> Problem:
    problem = db.session.get(Problem, problem_id)
    if problem is None:
        raise NotFound(f"no problem with id {problem_id!r}", field="problem_id")
    return problem


def _clean(title: str | None, texts: dict) -> tuple[str | None, dict]:
    if title is not None:
        title = clean_line(title).strip()
        if not title:
            raise DomainError("a problem needs a title", field="title")
        if len(title) > 200:
            raise DomainError("keep the title under 200 characters", field="title")
    cleaned = {}
    for name, text in texts.items():
        if name not in TEXT_FIELDS:
            raise DomainError(f"a problem has no field {name!r}", field=name)
        try:
            cleaned[name] = check_body(text or "")
        except DomainError as error:
            raise DomainError(error.message.replace("body", name.replace("_", " ")), field=name) from None
    return title, cleaned


def _link(problem: Problem, incident_id: str) -> Incident:
    incident = None if has_unsafe_characters(incident_id) else db.session.get(Incident, incident_id)
    if incident is None or incident.is_maintenance:
        raise NotFound(f"no incident with id {incident_id!r}", field="incident_id")
    incident.problem_id = problem.id
    return incident


def create_problem(actor: Actor, title: str, incident_id: str | None = None, **texts: str) -> Problem:
    """Open a problem (optionally from an incident, which it links)."""
    title, cleaned = _clean(title, texts)
    with change():
        problem = Problem(title=title, status="open", known_error=False,
                          **{f: cleaned.get(f, "") for f in TEXT_FIELDS})
        db.session.add(problem)
        db.session.flush()
        if incident_id:
            _link(problem, incident_id)
        record(actor, "problem.create", "problem", problem.id, title,
               after=describe_problem(problem) | {"incident_id": incident_id})
        bump_site_version(public=False)
    return problem


def edit_problem(actor: Actor, problem_id: str, title: str | None = None, **texts: str) -> Problem:
    """Change the title or the symptom, root cause and workaround texts."""
    title, cleaned = _clean(title, texts)
    with change():
        problem = get_problem(problem_id)
        before = describe_problem(problem)
        if title is not None:
            problem.title = title
        for name, text in cleaned.items():
            setattr(problem, name, text)
        if problem.status == "known_error" and not (problem.root_cause and problem.workaround):
            raise DomainError("a known error keeps its root cause and workaround", field="workaround")
        db.session.flush()
        record(actor, "problem.edit", "problem", problem.id, problem.title, before=before,
               after=describe_problem(problem))
        bump_site_version(public=False)
    return problem


def move_problem(actor: Actor, problem_id: str, state: str) -> Problem:
    """open → known error (needs a root cause and a workaround) → resolved; a resolved one may reopen."""
    with change():
        problem = get_problem(problem_id)
        if state not in MOVES.get(problem.status, ()):
            raise DomainError(f"a problem {STATE_LABEL.get(problem.status, problem.status).lower()} cannot "
                              f"become {STATE_LABEL.get(state, state).lower()}", field="status")
        if state == "known_error" and not (problem.root_cause.strip() and problem.workaround.strip()):
            raise DomainError("write the root cause and the workaround before calling it a known error",
                              field="workaround")
        before = describe_problem(problem)
        problem.status = state
        if state == "known_error":
            problem.known_error = True
        db.session.flush()
        record(actor, "problem.state", "problem", problem.id, problem.title, before=before,
               after=describe_problem(problem))
        bump_site_version(public=False)
    return problem


def link_incident(actor: Actor, incident_id: str, problem_id: str | None) -> Incident:
    """Link the incident to a problem (``None`` unlinks it); the incident's public fields stay as they are."""
    with change():
        incident = db.session.get(Incident, incident_id)
        if incident is None or incident.is_maintenance:
            raise NotFound(f"no incident with id {incident_id!r}", field="incident_id")
        before = {"problem_id": incident.problem_id}
        if problem_id:
            _link(get_problem(problem_id), incident_id)
        else:
            incident.problem_id = None
        db.session.flush()
        record(actor, "incident.problem", "incident", incident.id, incident.name, before=before,
               after={"problem_id": incident.problem_id})
        bump_site_version(public=False)
    return incident


def reach(problems: list[Problem], now: datetime | None = None) -> list[ProblemReach]:
    """Each problem with its linked incidents, the components they hit and the time lost, in one query."""
    now = now or utcnow()
    ids = [p.id for p in problems]
    incidents = db.session.scalars(select(Incident).where(Incident.problem_id.in_(ids))
                                   .options(selectinload(Incident.affected))
                                   .order_by(Incident.started_at.desc())).all() if ids else []
    out = []
    for problem in problems:
        linked = [i for i in incidents if i.problem_id == problem.id]
        components = {c.id: c for i in linked for c in i.components}
        lost = sum((i.duration_at(now) or timedelta() for i in linked), timedelta())
        out.append(ProblemReach(problem, linked, sorted(components.values(), key=lambda c: c.name), lost))
    return out


def all_problems() -> list[Problem]:
    """Unresolved problems first (known errors, then open), newest first within each."""
    rows = db.session.scalars(select(Problem).order_by(Problem.created_at.desc())).all()
    order = {"known_error": 0, "open": 1, "resolved": 2}
    return sorted(rows, key=lambda p: order.get(p.status, 3))


def known_errors_now(component_ids: set[str]) -> list[ProblemReach]:
    """Known errors (not resolved) one of whose incidents hit a component among ``component_ids`` (the
    components of open incidents), for the internal page."""
    if not component_ids:
        return []
    problems = db.session.scalars(select(Problem).where(Problem.known_error.is_(True),
                                                        Problem.status != "resolved")).all()
    return [r for r in reach(list(problems)) if {c.id for c in r.components} & component_ids]


def open_incident_components(incidents: list[Incident]) -> set[str]:
    return {c.id for i in incidents if i.status in OPEN_INCIDENT_STATUSES for c in i.components}


def delete_problem(actor: Actor, problem_id: str) -> None:
    """Delete a problem record; its incidents stay, unlinked."""
    with change():
        problem = get_problem(problem_id)
        before = describe_problem(problem)
        for incident in db.session.scalars(select(Incident).where(Incident.problem_id == problem.id)):
            incident.problem_id = None
        db.session.delete(problem)
        db.session.flush()
        record(actor, "problem.delete", "problem", problem_id, before["title"], before=before)
        bump_site_version(public=False)

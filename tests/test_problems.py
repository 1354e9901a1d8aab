"""Problems and known errors: states, linking incidents, the list's reach (counts, components hit, time lost,
worked out by hand), a known error's workaround on /internal and never on public surfaces, and who may do what."""
from datetime import timedelta

import pytest

from statuspage.domain import incidents as incident_rules
from statuspage.domain import problems
from statuspage.domain.recording import SYSTEM, DomainError
from statuspage.extensions import db
from statuspage.models import Incident, Problem, Site
from statuspage.models.columns import utcnow

WORKAROUND = "Route checkout through the EU region."


@pytest.fixture
def t0():
    return utcnow().replace(microsecond=0) - timedelta(days=2)


@pytest.fixture
def two_incidents(app, web, database, t0):
    """One of 45 minutes on Web, one of 2 h on Database: 2 h 45 min lost, both components hit."""
    first = incident_rules.open_incident(SYSTEM, name="Checkout slow", body="x", at=t0,
                                         components={web.id: "partial_outage"})
    incident_rules.resolve_incident(SYSTEM, first.id, at=t0 + timedelta(minutes=45))
    second = incident_rules.open_incident(SYSTEM, name="Orders lost", body="x", at=t0 + timedelta(hours=5),
                                          components={database.id: "major_outage"})
    incident_rules.resolve_incident(SYSTEM, second.id, at=t0 + timedelta(hours=7))
    return first, second


def test_a_problem_moves_open_known_error_resolved_and_may_reopen(app):
    problem = problems.create_problem(SYSTEM, "Pool exhaustion", symptom="Timeouts at peak")
    with pytest.raises(DomainError, match="write the root cause and the workaround"):
        problems.move_problem(SYSTEM, problem.id, "known_error")
    problems.edit_problem(SYSTEM, problem.id, root_cause="Pool of 10", workaround=WORKAROUND)
    problems.move_problem(SYSTEM, problem.id, "known_error")
    assert (problem.status, problem.known_error) == ("known_error", True)
    problems.move_problem(SYSTEM, problem.id, "resolved")
    with pytest.raises(DomainError, match="a problem resolved cannot become known error"):
        problems.move_problem(SYSTEM, problem.id, "known_error")
    problems.move_problem(SYSTEM, problem.id, "open")
    assert problem.status == "open" and problem.known_error  # it was a known error once


def test_a_known_error_keeps_its_workaround(app):
    problem = problems.create_problem(SYSTEM, "P", root_cause="c", workaround="w")
    problems.move_problem(SYSTEM, problem.id, "known_error")
    with pytest.raises(DomainError, match="keeps its root cause and workaround"):
        problems.edit_problem(SYSTEM, problem.id, workaround="")
    assert db.session.get(Problem, problem.id).workaround == "w"


def test_the_reach_counts_incidents_components_and_time_lost(two_incidents):
    first, second = two_incidents
    problem = problems.create_problem(SYSTEM, "Pool exhaustion", incident_id=first.id)
    problems.link_incident(SYSTEM, second.id, problem.id)
    (reach,) = problems.reach([problem])
    assert len(reach.incidents) == 2
    assert [c.name for c in reach.components] == ["Database", "Web"]
    assert reach.time_lost == timedelta(hours=2, minutes=45)


def test_the_list_shows_counts_components_and_time_lost(client, login, two_incidents):
    first, second = two_incidents
    problem = problems.create_problem(SYSTEM, "Pool exhaustion", incident_id=first.id)
    problems.link_incident(SYSTEM, second.id, problem.id)
    login("viewer")
    page = client.get("/admin/problems").get_data(as_text=True)
    row = page[page.index("Pool exhaustion"):].split("</tr>")[0]
    assert "<td>2</td>" in row and "Database, Web" in row and "2 hours 45 minutes" in row


def test_problem_writes_stay_internal(two_incidents):
    public_before = Site.get().public_version
    problem = problems.create_problem(SYSTEM, "P", incident_id=two_incidents[0].id)
    problems.link_incident(SYSTEM, two_incidents[1].id, problem.id)
    problems.link_incident(SYSTEM, two_incidents[1].id, None)
    assert Site.get().public_version == public_before
    assert db.session.get(Incident, two_incidents[1].id).problem_id is None


def test_a_known_errors_workaround_shows_on_internal_while_its_component_has_an_open_incident(
        client, login, two_incidents, web):
    problem = problems.create_problem(SYSTEM, "Pool exhaustion", incident_id=two_incidents[0].id,
                                      root_cause="Pool of 10", workaround=WORKAROUND)
    problems.move_problem(SYSTEM, problem.id, "known_error")
    login("viewer")
    assert WORKAROUND not in client.get("/internal").get_data(as_text=True)  # nothing open on Web yet
    incident_rules.open_incident(SYSTEM, name="Checkout slow again", body="x", components={web.id: "degraded_performance"})
    assert WORKAROUND in client.get("/internal").get_data(as_text=True)
    with client.session_transaction() as session:
        session.clear()
    assert WORKAROUND not in client.get("/").get_data(as_text=True)
    problems.move_problem(SYSTEM, problem.id, "resolved")
    login("viewer", "viewer2@example.com")
    assert WORKAROUND not in client.get("/internal").get_data(as_text=True)


def test_an_incident_is_linked_or_a_problem_opened_from_its_page(client, login, two_incidents):
    first, second = two_incidents
    login("manager")
    client.post(f"/admin/incidents/{first.id}/problem", data={"problem_id": "", "new_title": "Pool exhaustion"})
    problem = db.session.scalar(db.select(Problem))
    assert db.session.get(Incident, first.id).problem_id == problem.id
    client.post(f"/admin/incidents/{second.id}/problem", data={"problem_id": problem.id, "new_title": ""})
    db.session.expire_all()
    assert db.session.get(Incident, second.id).problem_id == problem.id
    page = client.get(f"/admin/incidents/{second.id}").get_data(as_text=True)
    assert "Pool exhaustion" in page
    bad = client.post(f"/admin/incidents/{second.id}/problem", data={"problem_id": "nonsense"})
    assert bad.status_code == 303  # a flash message, not a 500
    assert db.session.get(Incident, second.id).problem_id == problem.id


def test_the_console_moves_a_problem_and_refuses_with_the_reason(client, login, app):
    problem = problems.create_problem(SYSTEM, "P")
    login("manager")
    response = client.post(f"/admin/problems/{problem.id}/state", data={"status": "known_error"},
                           follow_redirects=True)
    assert "Write the root cause and the workaround" in response.get_data(as_text=True)
    assert client.post("/admin/problems", data={"title": ""}).status_code == 422


def test_a_viewer_reads_problems_and_cannot_change_them(client, login, app):
    problem = problems.create_problem(SYSTEM, "Pool exhaustion")
    login("viewer")
    assert client.get("/admin/problems").status_code == 200
    assert client.get(f"/admin/problems/{problem.id}").status_code == 200
    assert client.post("/admin/problems", data={"title": "x"}).status_code == 403
    assert client.post(f"/admin/problems/{problem.id}/state", data={"status": "resolved"}).status_code == 403


def test_anonymous_readers_are_sent_to_sign_in_from_problems(client, app):
    response = client.get("/admin/problems")
    assert response.status_code == 302 and "/login" in response.headers["Location"]

"""Issue 9's acceptance on the seeded demo: a viewer reads every page of the incident manager's practice (and
the API's extensions) without a control to change it; a viewer's writes are refused; anonymous readers are
sent to sign in."""
import re

from sqlalchemy import select

from statuspage import demo
from statuspage.extensions import db
from statuspage.models import Incident, IncidentReview, IncidentUpdate, Problem
from statuspage.models.columns import utcnow

# The forms that change the practice: command, summaries, reviews and action items, problems.
CONTROLS = re.compile(r'action="[^"]*/(acknowledge|take-command|assign|mitigated|times|summaries|review|review/start|'
                      r'review/state|review/action-items|done|problems|state|problem)"')


def open_incident() -> str:
    return db.session.scalars(select(Incident.id).where(Incident.kind == "incident",
                                                        Incident.resolved_at.is_(None))).first()


def practice_pages() -> list[str]:
    reviewed = db.session.scalars(select(IncidentReview.incident_id)).all()
    majors = db.session.scalars(select(Incident.id).where(Incident.kind == "incident",
                                                          Incident.priority == 1)).all()
    problems = db.session.scalars(select(Problem.id)).all()
    assert reviewed and majors and len(problems) == 2
    month = f"{utcnow():%Y-%m}"
    return (["/admin/", "/internal", "/internal/metrics", "/internal/metrics.csv", "/internal/reports",
             f"/internal/reports/{month}", "/admin/problems"]
            + [f"/admin/incidents/{i}" for i in majors + reviewed] + [f"/admin/incidents/{i}/review" for i in reviewed]
            + [f"/internal/incidents/{i}" for i in majors] + [f"/admin/incidents/{open_incident()}"]
            + [f"/admin/problems/{p}" for p in problems])


def test_a_viewer_reads_all_of_it_without_controls_and_anonymous_readers_sign_in(app, client, login):
    demo.seed()
    pages = practice_pages()
    for path in pages:
        answer = client.get(path)
        assert answer.status_code == 302 and "/login" in answer.headers["Location"], path
    login("viewer")
    for path in pages:
        answer = client.get(path, follow_redirects=True)  # /internal/reports opens the latest month
        assert answer.status_code == 200, path
        text = answer.get_data(as_text=True)
        assert not CONTROLS.search(text), (path, CONTROLS.search(text))
    login("manager")
    assert CONTROLS.search(client.get(pages[-1]).get_data(as_text=True))  # a manager's page has them
    assert CONTROLS.search(client.get(f"/admin/incidents/{open_incident()}").get_data(as_text=True))


def test_a_viewer_key_reads_the_api_extensions_and_a_manager_key_changes_them(app, v1, api_key):
    demo.seed()
    major = db.session.scalars(select(Incident).join(IncidentUpdate).where(IncidentUpdate.kind == "summary")).first()
    viewer, manager = v1(api_key("viewer")), v1(api_key("manager"))
    summaries = viewer("get", f"incidents/{major.id}/executive_summaries").get_json()
    assert summaries and "Current status" in summaries[0]["body"]
    assert len(viewer("get", "problems").get_json()) == 2
    body = {"executive_summary": {"current_status": "Still failing over."}}
    assert viewer("post", f"incidents/{major.id}/executive_summaries", json=body).status_code == 403
    assert manager("post", f"incidents/{major.id}/executive_summaries", json=body).status_code == 201

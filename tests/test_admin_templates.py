"""Incident templates: managers create, edit and delete them, with components and an audit trail."""
import pytest

from statuspage.domain.components import create_component, delete_component
from statuspage.domain.recording import SYSTEM, DomainError
from statuspage.domain.templates import create_template, template_components
from statuspage.extensions import db
from statuspage.models import AuditEntry, IncidentTemplate, Site

pytestmark = pytest.mark.usefixtures("fresh_user_per_request")

FORM = {"title": "Database failover", "name": "Elevated errors on the API", "status": "identified",
        "impact": "major", "body": "We are **failing over** the primary database."}


@pytest.fixture
def api(app):
    return create_component(SYSTEM, name="API")


def only_template() -> IncidentTemplate:
    return db.session.scalars(db.select(IncidentTemplate)).one()


def test_manager_creates_a_template_with_components(client, login, api, web):
    login("manager")
    version = Site.get().version
    response = client.post("/admin/templates/new", data=FORM | {f"component-{api.id}": "partial_outage",
                                                                f"component-{web.id}": ""})
    assert response.status_code == 302
    template = only_template()
    assert (template.title, template.status, template.impact) == ("Database failover", "identified", "major")
    assert template.components == {api.id: "partial_outage"}
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "template.create"))
    assert entry.actor_label == "manager@example.com" and entry.after["components"] == {api.id: "partial_outage"}
    assert Site.get().version == version  # templates are internal: the public page is not invalidated
    listing = client.get("/admin/templates").get_data(as_text=True)
    assert "Database failover" in listing and "API (partial outage)" in listing


def test_edit_form_shows_the_saved_values_and_saves_changes(client, login, api):
    login("manager")
    template = create_template(SYSTEM, **FORM, components={api.id: "major_outage"})
    page = client.get(f"/admin/templates/{template.id}").get_data(as_text=True)
    assert 'value="Database failover"' in page
    assert '<option value="major_outage" selected>' in page
    response = client.post(f"/admin/templates/{template.id}", data=FORM | {"title": "DB failover",
                                                                            "impact": "critical"})
    assert response.status_code == 302
    db.session.expire_all()
    template = only_template()
    assert template.title == "DB failover" and template.impact == "critical" and template.components == {}
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "template.update"))
    assert entry.before["title"] == "Database failover" and entry.after["title"] == "DB failover"


def test_bad_input_keeps_what_was_typed(client, login, api):
    login("manager")
    response = client.post("/admin/templates/new", data=FORM | {"title": "", "status": "resolved",
                                                                f"component-{api.id}": "major_outage"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Give the template a title" in page
    assert "Not a valid choice" in page
    assert 'value="Elevated errors on the API"' in page
    assert '<option value="major_outage" selected>' in page
    assert db.session.scalar(db.select(db.func.count(IncidentTemplate.id))) == 0


def test_unknown_component_is_refused(client, login):
    login("manager")
    response = client.post("/admin/templates/new", data=FORM | {"component-nosuchthing": "major_outage"})
    assert response.status_code == 422
    assert "no component with id nosuchthing" in response.get_data(as_text=True)


def test_domain_refuses_a_bad_component_status(app, api):
    with pytest.raises(DomainError) as caught:
        create_template(SYSTEM, **FORM, components={api.id: "on_fire"})
    assert caught.value.field == "components"


def test_a_deleted_component_drops_out_of_the_template(app, api, web):
    template = create_template(SYSTEM, **FORM, components={api.id: "major_outage", web.id: "degraded_performance"})
    delete_component(SYSTEM, web.id)
    assert template_components(template) == {api.id: "major_outage"}


def test_manager_deletes_a_template(client, login):
    login("manager")
    template = create_template(SYSTEM, **FORM)
    assert client.post(f"/admin/templates/{template.id}/delete").status_code == 302
    assert db.session.scalar(db.select(db.func.count(IncidentTemplate.id))) == 0
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "template.delete"))
    assert entry.before["title"] == "Database failover"


def test_unknown_template_is_404(client, login):
    login("manager")
    assert client.get("/admin/templates/nope").status_code == 404
    assert client.post("/admin/templates/nope/delete").status_code == 404


def test_viewer_gets_403_on_every_template_route(client, login):
    login("viewer")
    template = create_template(SYSTEM, **FORM)
    assert client.get("/admin/templates").status_code == 403
    assert client.get("/admin/templates/new").status_code == 403
    assert client.post("/admin/templates/new", data=FORM).status_code == 403
    assert client.post(f"/admin/templates/{template.id}", data=FORM | {"title": "x"}).status_code == 403
    assert client.post(f"/admin/templates/{template.id}/delete").status_code == 403
    db.session.expire_all()
    assert only_template().title == "Database failover"


def test_anonymous_is_sent_to_sign_in(client):
    assert client.get("/admin/templates").location == "/login?next=%2Fadmin%2Ftemplates"
    assert client.post("/admin/templates/new", data=FORM).status_code == 302
    assert db.session.scalar(db.select(db.func.count(IncidentTemplate.id))) == 0


def test_template_forms_refuse_posts_without_csrf_token(csrf_app, make_user):
    manager = make_user()
    client = csrf_app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(manager.id)
    template = create_template(SYSTEM, **FORM)
    assert client.post("/admin/templates/new", data=FORM).status_code == 400
    assert client.post(f"/admin/templates/{template.id}/delete").status_code == 400
    assert db.session.scalar(db.select(db.func.count(IncidentTemplate.id))) == 1

"""The console's components and groups pages: who may use them, what each form changes, bad input."""
import pytest
from sqlalchemy import select

from statuspage.domain import components as domain
from statuspage.domain.recording import SYSTEM
from statuspage.extensions import db
from statuspage.models import AuditEntry, Component, ComponentGroup, ComponentStatusChange, Site


@pytest.fixture
def core(app):
    group = domain.create_group(SYSTEM, name="Core")
    api = domain.create_component(SYSTEM, name="API", group_id=group.id)
    web = domain.create_component(SYSTEM, name="Web", group_id=group.id)
    return group, api, web


def routes(core):
    group, api, _ = core
    return {
        "get": ["/admin/components"],
        "manage_get": ["/admin/components/new", f"/admin/components/{api.id}", "/admin/groups/new",
                       f"/admin/groups/{group.id}", f"/admin/components/{api.id}/delete",
                       f"/admin/groups/{group.id}/delete"],
        "post": [(f"/admin/components/{api.id}/status", {"status": "major_outage"}),
                 (f"/admin/components/{api.id}/move", {"direction": "down"}),
                 (f"/admin/groups/{group.id}/move", {"direction": "down"}),
                 ("/admin/components/new", {"name": "X", "status": "operational", "visibility": "public"}),
                 (f"/admin/components/{api.id}/delete", {}), (f"/admin/groups/{group.id}/delete", {})],
    }


def test_anonymous_visitors_are_sent_to_sign_in(client, core):
    r = routes(core)
    for path in r["get"] + r["manage_get"]:
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.location, path
    for path, data in r["post"]:
        response = client.post(path, data=data)
        assert response.status_code == 302 and "/login" in response.location, path


def test_a_viewer_can_read_the_list_but_changes_nothing(client, login, core):
    login("viewer")
    r = routes(core)
    page = client.get("/admin/components")
    assert page.status_code == 200 and "API" in page.text
    assert "New component" not in page.text and 'name="status"' not in page.text
    for path in r["manage_get"]:
        assert client.get(path).status_code == 403, path
    for path, data in r["post"]:
        assert client.post(path, data=data).status_code == 403, path
    assert db.session.scalar(select(db.func.count(Component.id))) == 2
    assert core[1].status == "operational"


def test_the_list_shows_groups_their_components_status_and_visibility(client, login, core):
    login("manager")
    domain.create_component(SYSTEM, name="Billing backend", visibility="internal")
    domain.set_component_status(SYSTEM, core[1].id, "partial_outage")
    page = client.get("/admin/components").text
    assert page.index("Core") < page.index("API") < page.index("Web") < page.index("Billing backend")
    assert "status-partial_outage" in page and "Partial outage" in page
    assert "Internal" in page


def test_the_quick_status_select_changes_the_status_and_records_history(client, login, core):
    login("manager")
    version = Site.get().version
    response = client.post(f"/admin/components/{core[1].id}/status", data={"status": "major_outage"})
    assert response.status_code == 302
    db.session.expire_all()
    api = db.session.get(Component, core[1].id)
    assert api.status == "major_outage"
    change = db.session.scalars(select(ComponentStatusChange).where(
        ComponentStatusChange.component_id == api.id).order_by(ComponentStatusChange.id.desc())).first()
    assert (change.old_status, change.new_status, change.cause) == ("operational", "major_outage", "manual")
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "component.status")).one()
    assert entry.before["status"] == "operational" and entry.after["status"] == "major_outage"
    assert entry.actor_label == "manager@example.com" and entry.source == "web"
    assert Site.get().version > version


def test_an_unknown_status_is_refused_without_a_change(client, login, core):
    login("manager")
    response = client.post(f"/admin/components/{core[1].id}/status", data={"status": "on_fire"},
                           follow_redirects=True)
    assert response.status_code == 200 and "Choose one of the listed statuses" in response.text
    db.session.expire_all()
    assert db.session.get(Component, core[1].id).status == "operational"


def test_a_manager_creates_a_component_in_a_group_with_its_settings(client, login, core):
    login("manager")
    response = client.post("/admin/components/new", data={
        "name": "Search", "group_id": core[0].id, "status": "degraded_performance", "visibility": "internal",
        "only_show_if_degraded": "y", "start_date": "2025-03-01", "description": "Full-text search"})
    assert response.status_code == 302
    search = db.session.scalars(select(Component).where(Component.name == "Search")).one()
    assert (search.group_id, search.status, search.visibility) == (core[0].id, "degraded_performance", "internal")
    assert search.only_show_if_degraded is True and search.showcase is False
    assert str(search.start_date) == "2025-03-01"


def test_bad_component_input_shows_field_errors_and_keeps_what_was_typed(client, login, core):
    login("manager")
    response = client.post("/admin/components/new", data={
        "name": "", "description": "kept text", "status": "exploded", "visibility": "public"})
    assert response.status_code == 422
    assert "This field is required." in response.text and "Not a valid choice" in response.text
    assert "kept text" in response.text
    response = client.post("/admin/components/new", data={
        "name": "Ghost", "group_id": "nosuchgroup", "status": "operational", "visibility": "public"})
    assert response.status_code == 422 and 'value="Ghost"' in response.text
    assert db.session.scalar(select(db.func.count(Component.id))) == 2


def test_a_stale_revision_gives_409_and_overwrites_nothing(client, login, core):
    login("manager")
    api = core[1]
    stale = api.revision
    domain.update_component(SYSTEM, api.id, name="API v2")  # someone else, meanwhile
    response = client.post(f"/admin/components/{api.id}", data={
        "revision": stale, "name": "My API", "status": "operational", "visibility": "public"})
    assert response.status_code == 409
    assert "Someone else changed this" in response.text and "API v2" in response.text
    assert 'value="My API"' in response.text  # what was typed is kept
    db.session.expire_all()
    assert db.session.get(Component, api.id).name == "API v2"
    # Submitting again with the revision the page now carries saves.
    fresh = db.session.get(Component, api.id).revision
    assert f'value="{fresh}"' in response.text
    response = client.post(f"/admin/components/{api.id}", data={
        "revision": fresh, "name": "My API", "status": "operational", "visibility": "public"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Component, api.id).name == "My API"


def test_up_and_down_buttons_reorder_components_within_their_group(client, login, core):
    login("manager")
    _, api, web = core
    client.post(f"/admin/components/{web.id}/move", data={"direction": "up"})
    page = client.get("/admin/components").text
    assert page.index(">Web<") < page.index(">API<")
    client.post(f"/admin/components/{web.id}/move", data={"direction": "down"})
    page = client.get("/admin/components").text
    assert page.index(">API<") < page.index(">Web<")


def test_groups_are_created_edited_and_deleted_leaving_components(client, login, core):
    login("manager")
    group, api, web = core
    response = client.post("/admin/groups/new", data={"name": "Edge", "visibility": "public",
                                                      "component_ids": [web.id]})
    assert response.status_code == 302
    edge = db.session.scalars(select(ComponentGroup).where(ComponentGroup.name == "Edge")).one()
    assert [c.name for c in edge.components] == ["Web"]
    response = client.post("/admin/groups/new", data={"name": "Bad", "visibility": "public",
                                                      "component_ids": ["tampered"]})
    assert response.status_code == 422 and "not a valid choice" in response.text.lower()
    response = client.post(f"/admin/groups/{edge.id}", data={"revision": edge.revision, "name": "Edge network",
                                                             "visibility": "internal", "component_ids": []})
    assert response.status_code == 302
    db.session.expire_all()
    edge = db.session.get(ComponentGroup, edge.id)
    assert (edge.name, edge.visibility, edge.components) == ("Edge network", "internal", [])
    assert client.get(f"/admin/groups/{group.id}/delete").status_code == 200
    assert client.post(f"/admin/groups/{group.id}/delete").status_code == 302
    db.session.expire_all()
    assert db.session.get(ComponentGroup, group.id) is None
    assert db.session.get(Component, api.id).group_id is None


def test_deleting_a_component_asks_first_and_is_audited(client, login, core):
    login("manager")
    api = core[1]
    page = client.get(f"/admin/components/{api.id}/delete")
    assert "Delete the component “API”?" in page.text
    assert db.session.get(Component, api.id) is not None
    assert client.post(f"/admin/components/{api.id}/delete").status_code == 302
    db.session.expire_all()
    assert db.session.get(Component, api.id) is None
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "component.delete")).one()
    assert entry.before["name"] == "API" and entry.after is None


def test_forms_are_refused_without_a_csrf_token(csrf_app, make_user):
    client = csrf_app.test_client()
    user = make_user("m@example.com", "manager")
    api = domain.create_component(SYSTEM, name="API")
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)
    response = client.post(f"/admin/components/{api.id}/status", data={"status": "major_outage"})
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Component, api.id).status == "operational"
    assert 'name="csrf_token"' in client.get("/admin/components").text


def test_unknown_ids_are_404_not_500(client, login):
    login("manager")
    assert client.get("/admin/components/nope").status_code == 404
    assert client.post("/admin/groups/nope/move", data={"direction": "up"}).status_code == 404

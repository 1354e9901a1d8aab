"""Management API v1 components and component groups: list, create, edit, delete, errors."""
import pytest

from statuspage.domain.components import create_component, create_group
from statuspage.domain.recording import SYSTEM
from statuspage.extensions import db
from statuspage.models import AuditEntry, Component, ComponentGroup, ComponentStatusChange

SUFFIXES = ["", ".json"]


@pytest.fixture
def api(v1, api_key):
    """The management API with an admin's key, sent as a Bearer token."""
    return v1(api_key("admin", "ops@example.com", scheme="Bearer"))


def audit_sources(action):
    return [e.source for e in db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == action))]


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_it_lists_groups_with_their_components_then_ungrouped_ones(api, web, suffix):
    core = create_group(SYSTEM, name="Core")
    db_ = create_component(SYSTEM, name="Database", group_id=core.id, status="partial_outage")
    hidden = create_component(SYSTEM, name="Queue", visibility="internal")
    listed = api("get", f"components{suffix}").get_json()
    assert [(c["name"], c["group"]) for c in listed] == [("Core", True), ("Database", False), ("Web", False),
                                                        ("Queue", False)]
    assert listed[0]["components"] == [db_.id] and listed[0]["status"] == "partial_outage"
    assert hidden.id in [c["id"] for c in listed]  # the key holder sees internal components
    assert len(api("get", f"components{suffix}?per_page=2&page=2").get_json()) == 2


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_it_creates_a_component_from_a_json_envelope(api, suffix, fresh):
    response = api("post", f"components{suffix}", json={"component": {
        "name": "Payments", "description": "Card payments", "status": "degraded_performance",
        "showcase": False, "only_show_if_degraded": True, "start_date": "2024-03-01"}})
    assert response.status_code == 201
    body = response.get_json()
    assert {k: body[k] for k in ("name", "description", "status", "showcase", "only_show_if_degraded",
                                  "start_date", "group", "page_id")} == {
        "name": "Payments", "description": "Card payments", "status": "degraded_performance",
        "showcase": False, "only_show_if_degraded": True, "start_date": "2024-03-01", "group": False,
        "page_id": api.page_id}
    assert fresh(Component, body["id"]).status == "degraded_performance"
    assert audit_sources("component.create") == ["api"]


def test_it_creates_a_component_from_a_form_in_a_group(api, fresh):
    core = create_group(SYSTEM, name="Core")
    response = api("post", "components", data={"component[name]": "Search", "component[group_id]": core.id,
                                                 "component[showcase]": "false"})
    assert response.status_code == 201
    component = fresh(Component, response.get_json()["id"])
    assert (component.group_id, component.showcase) == (core.id, False)


@pytest.mark.parametrize("payload, field", [
    ({"name": "Web"}, "component"),
    ({"component": {"description": "no name"}}, "name"),
    ({"component": {"name": ["Web"]}}, "name"),
    ({"component": {"name": "Web", "status": "down"}}, "status"),
    ({"component": {"name": "Web", "showcase": "maybe"}}, "showcase"),
    ({"component": {"name": "Web", "start_date": "March"}}, "start_date"),
])
def test_bad_component_input_is_422_naming_the_field(api, payload, field):
    response = api("post", "components.json", json=payload)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["field"] == field
    assert db.session.scalar(db.select(db.func.count()).select_from(Component)) == 0


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_it_shows_one_component(api, web, suffix):
    response = api("get", f"components/{web.id}{suffix}")
    assert response.status_code == 200 and response.get_json()["name"] == "Web"
    assert api("get", f"components/nope{suffix}").status_code == 404


@pytest.mark.parametrize("method, suffix", [("patch", ""), ("patch", ".json"), ("put", ""), ("put", ".json")])
def test_a_status_change_lands_in_the_components_history(api, web, method, suffix):
    response = api(method, f"components/{web.id}{suffix}", json={"component": {"status": "major_outage"}})
    assert response.status_code == 200 and response.get_json()["status"] == "major_outage"
    history = db.session.scalars(db.select(ComponentStatusChange.new_status)
                                 .where(ComponentStatusChange.component_id == web.id)
                                 .order_by(ComponentStatusChange.id)).all()
    assert history == ["operational", "major_outage"]
    assert audit_sources("component.update") == ["api"]


def test_a_null_group_id_takes_the_component_out_of_its_group(api, fresh):
    core = create_group(SYSTEM, name="Core")
    component = create_component(SYSTEM, name="Search", group_id=core.id)
    response = api("patch", f"components/{component.id}", json={"component": {"group_id": None}})
    assert response.get_json()["group_id"] is None
    assert fresh(Component, component.id).group_id is None


def test_a_stale_if_match_on_a_component_is_409(api, web, fresh):
    etag = api("get", f"components/{web.id}").headers["ETag"]
    assert api("patch", f"components/{web.id}", json={"component": {"name": "Website"}},
               headers={"If-Match": etag}).status_code == 200
    stale = api("patch", f"components/{web.id}", json={"component": {"name": "Site"}}, headers={"If-Match": etag})
    assert stale.status_code == 409 and stale.get_json()["current"]["name"] == "Website"
    assert fresh(Component, web.id).name == "Website"


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_delete_removes_the_component(api, web, suffix, fresh):
    response = api("delete", f"components/{web.id}{suffix}")
    assert response.status_code == 204
    assert fresh(Component, web.id) is None
    assert audit_sources("component.delete") == ["api"]
    assert api("delete", f"components/{web.id}{suffix}").status_code == 404


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_it_creates_a_group_with_its_components(api, web, suffix, fresh):
    other = create_component(SYSTEM, name="API")
    response = api("post", f"component-groups{suffix}", json={
        "description": "Everything customers touch", "component_group": {"name": "Frontend",
                                                                         "components": [web.id, other.id]}})
    assert response.status_code == 201
    body = response.get_json()
    assert (body["name"], body["description"], body["page_id"]) == ("Frontend", "Everything customers touch",
                                                                    api.page_id)
    assert sorted(body["components"]) == sorted([web.id, other.id])
    assert fresh(Component, web.id).group_id == body["id"]
    assert audit_sources("group.create") == ["api"]


def test_it_creates_a_group_from_a_form(api, web):
    response = api("post", "component-groups", data={"component_group[name]": "Frontend",
                                                      "component_group[components][]": [web.id]})
    assert response.status_code == 201 and response.get_json()["components"] == [web.id]


@pytest.mark.parametrize("payload, field", [
    ({"name": "Frontend"}, "component_group"),
    ({"component_group": {"components": []}}, "name"),
    ({"component_group": {"name": "Frontend", "components": "all"}}, "components"),
    ({"description": 7, "component_group": {"name": "Frontend"}}, "description"),
])
def test_bad_group_input_is_422_naming_the_field(api, web, payload, field):
    response = api("post", "component-groups", json=payload)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["field"] == field
    assert db.session.scalar(db.select(db.func.count()).select_from(ComponentGroup)) == 0


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_it_lists_and_shows_groups(api, web, suffix):
    core = create_group(SYSTEM, name="Core", component_ids=[web.id])
    create_group(SYSTEM, name="Edge")
    assert [g["name"] for g in api("get", f"component-groups{suffix}").get_json()] == ["Core", "Edge"]
    shown = api("get", f"component-groups/{core.id}{suffix}").get_json()
    assert (shown["name"], shown["components"]) == ("Core", [web.id])
    assert api("get", f"component-groups/nope{suffix}").status_code == 404


@pytest.mark.parametrize("method, suffix", [("patch", ""), ("put", ".json")])
def test_a_group_can_be_renamed_and_given_other_components(api, web, method, suffix, fresh):
    other = create_component(SYSTEM, name="API")
    core = create_group(SYSTEM, name="Core", component_ids=[web.id])
    response = api(method, f"component-groups/{core.id}{suffix}", json={
        "component_group": {"name": "Platform", "components": [other.id]}})
    assert response.status_code == 200
    assert (response.get_json()["name"], response.get_json()["components"]) == ("Platform", [other.id])
    assert fresh(Component, web.id).group_id is None and fresh(Component, other.id).group_id == core.id
    assert audit_sources("group.update") == ["api"]


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_deleting_a_group_keeps_its_components(api, web, suffix, fresh):
    core = create_group(SYSTEM, name="Core", component_ids=[web.id])
    response = api("delete", f"component-groups/{core.id}{suffix}")
    assert response.status_code == 200 and response.get_json()["components"] == [web.id]
    assert fresh(ComponentGroup, core.id) is None
    assert fresh(Component, web.id).group_id is None
    assert audit_sources("group.delete") == ["api"]

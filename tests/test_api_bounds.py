"""The management API's edges, each found by fuzzing it from its OpenAPI document: bounded numbers, strict
JSON types, unambiguous routes, 405 with Allow, 415 for other media types, and a document that says so."""
import pytest

from statuspage.domain.components import create_component
from statuspage.domain.recording import SYSTEM


@pytest.fixture
def api(v1, api_key):
    return v1(api_key("manager"))


@pytest.fixture
def spec(client, page_id):
    return client.get("/api/v1/openapi.json").get_json()


@pytest.mark.parametrize("query", ["page=288230376151711743", "page=9223372036854775807", "page=100001",
                                   "per_page=101", "limit=101", "page=0", "page=-1", "page=1_0", "page=",
                                   "per_page=1.5", "page=%D9%A3"])
@pytest.mark.parametrize("path", ["incidents", "incidents/unresolved", "components", "component-groups",
                                  "subscribers"])
def test_out_of_bounds_paging_is_a_json_422_never_a_500(api, path, query):
    response = api("get", f"{path}?{query}")
    assert response.status_code == 422, (path, query, response.status_code)
    assert response.get_json()["field"] in ("page", "per_page", "limit")


def test_the_largest_documented_page_is_answered(api, spec):
    maximum = spec["paths"]["/v1/pages/{page_id}/incidents"]["get"]["parameters"][0]["schema"]["maximum"]
    assert api("get", f"incidents?page={maximum}&per_page=100").get_json() == []


@pytest.mark.parametrize("method", ["patch", "put", "delete"])
@pytest.mark.parametrize("path", ["incidents/unresolved", "incidents/upcoming.json", "incidents/scheduled",
                                  "incidents/active_maintenance"])
def test_a_list_beside_incident_ids_is_never_taken_for_an_incident(api, path, method):
    response = api(method, path, json={"incident": {"name": "x"}})
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"
    options = api("options", path)
    assert set(options.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


def test_every_405_says_what_is_allowed(api, client, page_id, api_key):
    response = client.open(f"/v1/pages/{page_id}/incidents", method="TRACE", headers=api_key("manager", "t@x.io"))
    assert response.status_code == 405 and response.is_json
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS, POST"
    assert client.delete("/history").headers["Allow"] == "GET, HEAD, OPTIONS"


@pytest.mark.parametrize("body", [
    {"component": {"name": "Web", "showcase": "true"}},  # a JSON boolean is a boolean, not a word
    {"component": {"name": "Web", "start_date": "20240101"}},  # ISO basic format: not an RFC 3339 date
    {"component": {"name": " \x01\t "}},  # blank once cleaned
    {"component": {"name": "W" * 121}},
])
def test_json_bodies_are_held_to_the_types_the_document_states(api, body):
    assert api("post", "components", json=body).status_code == 422


@pytest.mark.parametrize("field, value", [("scheduled_for", "2031-01-01T10:00:00"), ("scheduled_for", "2031-01-01"),
                                          ("deliver_notifications", "yes"), ("component_ids", "abc")])
def test_json_incident_fields_are_strict(api, field, value):
    body = {"name": "Upgrade", "scheduled_for": "2031-01-01T10:00:00Z", "scheduled_until": "2031-01-01T11:00:00Z"}
    response = api("post", "incidents", json={"incident": body | {field: value}})
    assert response.status_code == 422 and response.get_json()["field"] == field


def test_forms_keep_their_lenient_words(api):
    response = api("post", "components", data={"component[name]": "Web", "component[showcase]": "true"})
    assert response.status_code == 201 and response.get_json()["showcase"] is True


def test_a_body_of_another_media_type_is_415(api):
    response = api("post", "components", data="name=Web", content_type="text/plain")
    assert response.status_code == 415 and response.is_json


@pytest.mark.parametrize("value", ["abc", '"1', "1.5", "-3", "1" * 19])
def test_a_malformed_if_match_is_422(api, app, value):
    component = create_component(SYSTEM, name="Web")
    response = api("patch", f"components/{component.id}", json={"component": {"description": "x"}},
                   headers={"If-Match": value})
    if value == '"1':  # an unbalanced quote is still a revision number
        assert response.status_code == 200
    else:
        assert response.status_code == 422 and response.get_json()["field"] == "If-Match"


@pytest.mark.parametrize("payload, path, field", [
    ({"incident": {"name": "Down", "components": {"nope": "major_outage"}}}, "incidents", "components"),
    ({"incident": {"name": "Down", "component_ids": ["nope"]}}, "incidents", "component_ids"),
    ({"component": {"name": "Web", "group_id": "nope"}}, "components", "group_id"),
    ({"component_group": {"name": "Edge", "components": ["nope"]}}, "component-groups", "components"),
    ({"component_group": {"name": "Edge", "components": ["no\x00pe"]}}, "component-groups", "components"),
])
def test_an_id_in_the_body_that_names_nothing_is_404_naming_the_field(api, payload, path, field):
    response = api("post", path, json=payload)
    assert response.status_code == 404 and response.get_json()["field"] == field


@pytest.mark.parametrize("path", ["incidents/ab%00cd", "components/%00", "component-groups/x%1b"])
def test_a_control_character_in_a_path_id_is_404(api, path):
    response = api("get", path)
    assert response.status_code == 404 and response.is_json


def test_a_search_with_a_nul_is_answered(api):
    assert api("get", "incidents?q=a%00b").status_code == 200
    assert api("get", "subscribers?q=a%00b").status_code == 200


def test_the_document_states_bounds_lengths_and_every_status(spec, page_id):
    paths = spec["paths"]
    listing = {p["name"]: p["schema"] for p in paths["/v1/pages/{page_id}/incidents"]["get"]["parameters"]}
    assert listing["per_page"]["maximum"] == 100 and listing["page"]["maximum"] == 100_000
    assert paths["/v1/pages/{page_id}/incidents"]["parameters"][0]["schema"]["enum"] == [page_id]
    create = spec["components"]["schemas"]["ComponentCreate"]["properties"]["name"]
    assert (create["minLength"], create["maxLength"]) == (1, 120) and "pattern" in create
    patch = paths["/v1/pages/{page_id}/incidents/{incident_id}"]["patch"]["responses"]
    assert {"200", "400", "401", "403", "404", "409", "415", "422", "429"} <= set(patch)
    for item in paths.values():
        for method, operation in item.items():
            if method != "parameters":
                assert "application/x-www-form-urlencoded" not in operation.get("requestBody", {}).get("content", {})

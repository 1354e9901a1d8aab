"""Management API v1: who may call it (keys, roles, page id), errors as JSON, rate limiting."""
import pytest
from conftest import make_app

from statuspage.domain import tokens
from statuspage.domain.components import create_component
from statuspage.domain.recording import SYSTEM
from statuspage.extensions import db
from statuspage.models import AuditEntry, Component, Site, User


@pytest.fixture
def page_id(app):
    site = Site.get()
    db.session.commit()
    return site.page_id


@pytest.fixture
def key_for(make_user):
    def issue(role="manager", email=None):
        user = make_user(email or f"{role}@example.com", role)
        return tokens.issue_token(SYSTEM, user, "script")[1]

    return issue


@pytest.fixture
def component(app):
    return create_component(SYSTEM, name="API")


def auth(key, scheme="OAuth"):
    return {"Authorization": f"{scheme} {key}"}


@pytest.mark.parametrize("suffix", ["", ".json"])
def test_it_answers_401_json_without_a_key(client, page_id, suffix):
    response = client.get(f"/v1/pages/{page_id}/components{suffix}")
    assert response.status_code == 401
    assert response.is_json and "API key" in response.get_json()["error"]


@pytest.mark.parametrize("header", ["OAuth sp_not-a-real-key", "Bearer ", "Basic dXNlcjpwYXNz", "sp_bare"])
def test_it_answers_401_for_a_bad_key_or_scheme(client, page_id, header):
    response = client.get(f"/v1/pages/{page_id}/incidents", headers={"Authorization": header})
    assert response.status_code == 401
    assert "error" in response.get_json()


@pytest.mark.parametrize("scheme", ["OAuth", "Bearer", "oauth", "bearer"])
def test_it_accepts_the_key_with_oauth_or_bearer(client, page_id, key_for, component, scheme):
    response = client.get(f"/v1/pages/{page_id}/components.json", headers=auth(key_for(), scheme))
    assert response.status_code == 200
    assert [c["name"] for c in response.get_json()] == ["API"]


def test_a_revoked_key_is_refused(client, page_id, make_user):
    user = make_user("ops@example.com", "manager")
    row, key = tokens.issue_token(SYSTEM, user, "old laptop")
    assert client.get(f"/v1/pages/{page_id}/incidents", headers=auth(key)).status_code == 200
    tokens.revoke_token(SYSTEM, row.id)
    assert client.get(f"/v1/pages/{page_id}/incidents", headers=auth(key)).status_code == 401


def test_a_deactivated_users_key_is_refused(client, page_id, key_for):
    key = key_for("manager", "leaver@example.com")
    user = db.session.scalar(db.select(User).where(User.email == "leaver@example.com"))
    user.active = False
    db.session.commit()
    assert client.get(f"/v1/pages/{page_id}/incidents", headers=auth(key)).status_code == 401


def test_a_viewers_key_may_read(client, page_id, key_for, component):
    response = client.get(f"/v1/pages/{page_id}/components/{component.id}", headers=auth(key_for("viewer")))
    assert response.status_code == 200
    assert response.get_json()["id"] == component.id


@pytest.mark.parametrize("method, path, body", [
    ("post", "incidents", {"incident": {"name": "Outage"}}),
    ("post", "components.json", {"component": {"name": "Web"}}),
    ("patch", "components/{cid}", {"component": {"status": "major_outage"}}),
    ("put", "components/{cid}.json", {"component": {"status": "major_outage"}}),
    ("delete", "components/{cid}", None),
    ("post", "component-groups", {"component_group": {"name": "Core"}}),
])
def test_a_viewers_key_may_not_write(client, page_id, key_for, component, method, path, body):
    url = f"/v1/pages/{page_id}/" + path.format(cid=component.id)
    response = getattr(client, method)(url, json=body, headers=auth(key_for("viewer")))
    assert response.status_code == 403
    assert "viewer" in response.get_json()["error"]
    db.session.expire_all()
    assert db.session.get(Component, component.id).status == "operational"
    assert db.session.scalar(db.select(db.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.source == "api")) == 0


@pytest.mark.parametrize("suffix", ["", ".json"])
def test_another_pages_id_is_404(client, page_id, key_for, suffix):
    response = client.get(f"/v1/pages/not{page_id}/incidents{suffix}", headers=auth(key_for()))
    assert response.status_code == 404
    assert response.get_json() == {"error": f"no page with id 'not{page_id}'", "field": "page_id"}


def test_a_wrong_method_is_405_json(client, page_id, key_for):
    response = client.delete(f"/v1/pages/{page_id}/incidents.json", headers=auth(key_for()))
    assert response.status_code == 405
    assert "not allowed" in response.get_json()["error"]


def test_an_unknown_path_is_404_json(client, page_id, key_for):
    response = client.get(f"/v1/pages/{page_id}/nothing-here", headers=auth(key_for()))
    assert response.status_code == 404
    assert "error" in response.get_json()


def test_api_writes_are_audited_as_the_keys_owner_from_the_api(client, page_id, key_for):
    key = key_for("manager", "ops@example.com")
    response = client.post(f"/v1/pages/{page_id}/components", json={"component": {"name": "Web"}},
                           headers=auth(key))
    assert response.status_code == 201
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "component.create"))
    assert (entry.source, entry.actor_label, entry.object_id) == ("api", "ops@example.com",
                                                                   response.get_json()["id"])


def test_requests_beyond_the_rate_limit_get_429_json(tmp_path):
    app = make_app(tmp_path, RATELIMIT_ENABLED=True, API_V1_RATE_LIMIT="2 per minute")
    with app.app_context():
        page_id = Site.get().page_id
        db.session.commit()
        user = User(email="busy@example.com", role="manager")
        db.session.add(user)
        db.session.commit()
        _, key = tokens.issue_token(SYSTEM, user, "loop")
        _, other_key = tokens.issue_token(SYSTEM, user, "other script")
        client = app.test_client()
        url = f"/v1/pages/{page_id}/incidents"
        codes = [client.get(url, headers=auth(key)).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        limited = client.get(url, headers=auth(key))
        assert limited.is_json and "error" in limited.get_json()
        assert client.get(url, headers=auth(other_key)).status_code == 200  # per key, not per address
        db.session.remove()

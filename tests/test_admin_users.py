"""The users page: admins manage people and API keys; nobody else can."""
import re

import pytest

from statuspage.domain import tokens
from statuspage.domain.recording import SYSTEM
from statuspage.domain.users import create_user, sign_in
from statuspage.extensions import db
from statuspage.models import ApiToken, AuditEntry, User

pytestmark = pytest.mark.usefixtures("fresh_user_per_request")

PASSWORD = "correct horse battery staple"


@pytest.fixture
def other(app):
    return create_user(SYSTEM, "someone@example.com", "viewer", PASSWORD)


def test_admin_sees_everyone(client, login, other):
    login("admin")
    page = client.get("/admin/users").get_data(as_text=True)
    assert "admin@example.com" in page and "someone@example.com" in page


def test_admin_adds_a_user_who_can_then_sign_in(client, login):
    login("admin")
    response = client.post("/admin/users", data={
        "email": "new@example.com", "name": "New Person", "role": "manager", "password": PASSWORD})
    assert response.status_code == 302
    user = sign_in("new@example.com", PASSWORD)
    assert user.role == "manager" and user.name == "New Person"
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "user.create"))
    assert entry.actor_label == "admin@example.com" and entry.source == "web"
    assert PASSWORD not in str(entry.after)


def test_bad_new_user_keeps_what_was_typed_and_says_why(client, login, other):
    login("admin")
    response = client.post("/admin/users", data={
        "email": "someone@example.com", "name": "Twin", "role": "manager", "password": PASSWORD})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "already exists" in page
    assert 'value="Twin"' in page
    response = client.post("/admin/users", data={
        "email": "nope", "name": "", "role": "manager", "password": "short"})
    page = response.get_data(as_text=True)
    assert "not valid" in page and "12 characters" in page
    assert db.session.scalar(db.select(db.func.count(User.id))) == 2


def test_admin_changes_a_role_and_it_is_audited(client, login, other):
    login("admin")
    response = client.post(f"/admin/users/{other.id}/role", data={"role": "manager"})
    assert response.status_code == 302
    db.session.refresh(other)
    assert other.role == "manager"
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "user.role"))
    assert entry.before["role"] == "viewer" and entry.after["role"] == "manager"


def test_the_last_admin_cannot_be_demoted_or_deactivated(client, login):
    admin = login("admin")
    response = client.post(f"/admin/users/{admin.id}/role", data={"role": "viewer"})
    assert response.status_code == 422
    assert "last active admin" in response.get_data(as_text=True)
    client.post(f"/admin/users/{admin.id}/deactivate")
    db.session.refresh(admin)
    assert admin.role == "admin" and admin.active


def test_deactivated_user_loses_sign_in_and_api_keys(client, login, other):
    login("admin")
    _, key = tokens.issue_token(SYSTEM, other, "script")
    assert client.post(f"/admin/users/{other.id}/deactivate").status_code == 302
    db.session.expire_all()
    assert sign_in("someone@example.com", PASSWORD) is None
    assert tokens.authenticate(key) is None
    client.post(f"/admin/users/{other.id}/activate")
    db.session.expire_all()
    assert sign_in("someone@example.com", PASSWORD) is not None


def test_admin_resets_a_password(client, login, other):
    login("admin")
    response = client.post(f"/admin/users/{other.id}/password", data={"password": "short"})
    assert response.status_code == 422
    client.post(f"/admin/users/{other.id}/password", data={"password": "another fine passphrase"})
    assert sign_in("someone@example.com", PASSWORD) is None
    assert sign_in("someone@example.com", "another fine passphrase") is not None


def test_new_api_key_is_shown_once_and_works(client, login, other):
    login("admin")
    response = client.post(f"/admin/users/{other.id}/tokens", data={"name": "grafana"})
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    key = re.search(r'id="new-key-value"[^>]*value="(sp_[^"]+)"', response.get_data(as_text=True)).group(1)
    assert tokens.authenticate(key).email == "someone@example.com"
    again = client.get(f"/admin/users/{other.id}").get_data(as_text=True)
    assert key not in again
    assert key[:10] in again and "grafana" in again  # listed by prefix only
    assert db.session.scalar(db.select(ApiToken.token_hash)) == tokens.hash_key(key)


def test_key_without_name_is_refused_on_the_field(client, login, other):
    login("admin")
    response = client.post(f"/admin/users/{other.id}/tokens", data={"name": "  "})
    assert response.status_code == 422
    assert "Say what the key is for" in response.get_data(as_text=True) or "give the key a name" in \
        response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(ApiToken.id))) == 0


def test_revoking_a_key_stops_it(client, login, other):
    login("admin")
    token, key = tokens.issue_token(SYSTEM, other, "script")
    response = client.post(f"/admin/users/{other.id}/tokens/{token.id}/revoke")
    assert response.status_code == 302
    db.session.expire_all()
    assert tokens.authenticate(key) is None
    assert "Revoked" in client.get(f"/admin/users/{other.id}").get_data(as_text=True)


def test_revoking_through_another_users_page_is_refused(client, login, other):
    admin = login("admin")
    token, key = tokens.issue_token(SYSTEM, other, "script")
    assert client.post(f"/admin/users/{admin.id}/tokens/{token.id}/revoke").status_code == 404
    assert tokens.authenticate(key) is not None


def test_unknown_user_is_404(client, login):
    login("admin")
    assert client.get("/admin/users/9999").status_code == 404
    assert client.post("/admin/users/9999/deactivate").status_code == 404


@pytest.mark.parametrize("role", ["viewer", "manager"])
def test_only_admins_reach_any_users_route(client, login, other, role):
    login(role)
    token, key = tokens.issue_token(SYSTEM, other, "script")
    assert client.get("/admin/users").status_code == 403
    assert client.get(f"/admin/users/{other.id}").status_code == 403
    posts = {
        "/admin/users": {"email": "x@example.com", "role": "admin", "password": PASSWORD},
        f"/admin/users/{other.id}/role": {"role": "admin"},
        f"/admin/users/{other.id}/password": {"password": "another fine passphrase"},
        f"/admin/users/{other.id}/deactivate": {},
        f"/admin/users/{other.id}/activate": {},
        f"/admin/users/{other.id}/tokens": {"name": "sneaky"},
        f"/admin/users/{other.id}/tokens/{token.id}/revoke": {},
    }
    for url, data in posts.items():
        assert client.post(url, data=data).status_code == 403, url
    db.session.expire_all()
    assert db.session.get(User, other.id).role == "viewer"
    assert tokens.authenticate(key) is not None
    assert db.session.scalar(db.select(db.func.count(ApiToken.id))) == 1


def test_anonymous_is_sent_to_sign_in(client, other):
    for url in ["/admin/users", f"/admin/users/{other.id}"]:
        assert client.get(url).location.startswith("/login?next=")
    assert client.post(f"/admin/users/{other.id}/role", data={"role": "admin"}).status_code == 302
    db.session.refresh(other)
    assert other.role == "viewer"


def test_user_forms_refuse_posts_without_csrf_token(csrf_app, make_user):
    admin = make_user("boss@example.com", "admin")
    client = csrf_app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(admin.id)
    assert client.post("/admin/users", data={"email": "x@example.com", "role": "admin",
                                             "password": PASSWORD}).status_code == 400
    assert client.post(f"/admin/users/{admin.id}/tokens", data={"name": "x"}).status_code == 400
    assert db.session.scalar(db.select(db.func.count(User.id))) == 1

"""Signing in and out of the console: credentials, lockout, throttling, redirects, CSRF."""
import re

import pytest
from conftest import make_app

from statuspage.domain.users import MAX_FAILED_SIGN_INS
from statuspage.extensions import db
from statuspage.models import User

pytestmark = pytest.mark.usefixtures("fresh_user_per_request")

PASSWORD = "correct horse battery staple"


def sign_in(client, email="manager@example.com", password=PASSWORD, next_=None):
    data = {"email": email, "password": password}
    if next_ is not None:
        data["next"] = next_
    return client.post("/login", data=data)


def test_anonymous_visitor_is_sent_to_the_sign_in_page_with_next(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response.location == "/login?next=%2Fadmin%2F"
    page = client.get(response.location).get_data(as_text=True)
    assert "Please sign in" in page
    assert 'value="/admin/"' in page


def test_good_credentials_open_the_dashboard_and_record_the_sign_in(client, make_user):
    user = make_user()
    assert user.last_login_at is None
    response = sign_in(client)
    assert response.status_code == 302
    assert response.location == "/admin/"
    assert client.get("/admin/").status_code == 200
    db.session.refresh(user)
    assert user.last_login_at is not None


def test_email_is_matched_whatever_its_case(client, make_user):
    make_user()
    assert sign_in(client, email="  Manager@Example.COM ").status_code == 302


@pytest.mark.parametrize("email,password", [
    ("manager@example.com", "wrong password here"),
    ("nobody@example.com", PASSWORD),
])
def test_wrong_password_and_unknown_email_get_the_same_message(client, make_user, email, password):
    make_user()
    response = sign_in(client, email, password)
    assert response.status_code == 401
    page = response.get_data(as_text=True)
    assert "Email or password is wrong" in page
    assert 'value="' + email + '"' in page  # what was typed is kept
    assert client.get("/admin/").status_code == 302


def test_deactivated_user_cannot_sign_in(client, make_user):
    user = make_user()
    user.active = False
    db.session.commit()
    response = sign_in(client)
    assert response.status_code == 401
    assert "Email or password is wrong" in response.get_data(as_text=True)


def test_account_locks_after_repeated_wrong_passwords_even_for_the_right_one(client, make_user):
    user = make_user()
    for _ in range(MAX_FAILED_SIGN_INS):
        assert sign_in(client, password="not the password").status_code == 401
    db.session.refresh(user)
    assert user.locked_until is not None
    response = sign_in(client)
    assert response.status_code == 401
    assert "Email or password is wrong" in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


def test_a_good_sign_in_resets_the_failure_count(client, make_user):
    user = make_user()
    for _ in range(MAX_FAILED_SIGN_INS - 1):
        sign_in(client, password="not the password")
    assert sign_in(client).status_code == 302
    db.session.refresh(user)
    assert user.failed_logins == 0 and user.locked_until is None


def test_sign_in_attempts_are_throttled_per_client(tmp_path):
    app = make_app(tmp_path, RATELIMIT_ENABLED=True)
    client = app.test_client()
    codes = [sign_in(client, "nobody@example.com", "whatever password").status_code for _ in range(11)]
    assert codes[:10] == [401] * 10
    assert codes[10] == 429
    assert client.get("/login").status_code == 200  # showing the form is never throttled
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize("target", [
    "https://evil.example/phish", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", "http:/x",
])
def test_next_pointing_off_site_is_ignored(client, make_user, target):
    make_user()
    response = sign_in(client, next_=target)
    assert response.status_code == 302
    assert response.location == "/admin/"


def test_next_pointing_inside_the_site_is_followed(client, make_user):
    make_user()
    response = sign_in(client, next_="/admin/audit?action=user.create")
    assert response.location == "/admin/audit?action=user.create"


def test_signed_in_user_visiting_login_goes_straight_to_the_console(client, login):
    login("viewer")
    response = client.get("/login")
    assert response.status_code == 302
    assert response.location == "/admin/"


def test_logout_is_refused_on_get(client, login):
    login("viewer")
    assert client.get("/logout").status_code == 405
    assert client.get("/admin/").status_code == 200


def test_logout_signs_out(client, login):
    login("viewer")
    response = client.post("/logout")
    assert response.status_code == 302
    assert response.location == "/login"
    assert client.get("/admin/").status_code == 302


def _csrf_token(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"',
                     page).group(0).rsplit('value="', 1)[1].rstrip('"')


def test_logout_and_login_refuse_a_post_without_csrf_token(csrf_app, make_user):
    make_user()
    client = csrf_app.test_client()
    assert sign_in(client).status_code == 400
    page = client.get("/login").get_data(as_text=True)
    response = client.post("/login", data={"email": "manager@example.com", "password": PASSWORD,
                                           "csrf_token": _csrf_token(page)})
    assert response.status_code == 302
    assert client.post("/logout").status_code == 400
    assert client.get("/admin/").status_code == 200  # still signed in
    dashboard = client.get("/admin/").get_data(as_text=True)
    assert client.post("/logout", data={"csrf_token": _csrf_token(dashboard)}).status_code == 302
    assert client.get("/admin/").status_code == 302


def test_password_is_stored_as_a_scrypt_hash(app):
    from statuspage.domain.recording import SYSTEM
    from statuspage.domain.users import create_user

    user = create_user(SYSTEM, "new@example.com", "viewer", PASSWORD)
    stored = db.session.get(User, user.id).password_hash
    assert stored.startswith("scrypt:")
    assert PASSWORD not in stored


def test_user_changes_own_password(client, make_user):
    make_user()
    sign_in(client)
    response = client.post("/account/password", data={
        "current": "not it at all", "password": "a brand new passphrase", "confirm": "a brand new passphrase"})
    assert response.status_code == 422
    assert "not your current password" in response.get_data(as_text=True)
    response = client.post("/account/password", data={
        "current": PASSWORD, "password": "short", "confirm": "short"})
    assert "at least 12 characters" in response.get_data(as_text=True)
    response = client.post("/account/password", data={
        "current": PASSWORD, "password": "a brand new passphrase", "confirm": "a brand new passphrase"})
    assert response.status_code == 302
    client.post("/logout")
    assert sign_in(client).status_code == 401
    assert sign_in(client, password="a brand new passphrase").status_code == 302

"""Accounts: a password or role change ends the user's other sessions, every sign-in is audited with the
client's address, and a password someone else chose opens nothing but the page that replaces it."""
import pytest
from flask_login.utils import encode_cookie

from statuspage.domain import users
from statuspage.domain.recording import SYSTEM, Actor
from statuspage.extensions import db
from statuspage.models import AuditEntry, User

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a brand new passphrase here"


def sign_in(client, email="manager@example.com", password=PASSWORD, address="192.0.2.10"):
    return client.post("/login", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def signed_in(client) -> bool:
    return client.get("/admin/").status_code == 200


def audit(action: str) -> list[AuditEntry]:
    db.session.expire_all()
    return db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == action)
                              .order_by(AuditEntry.id)).all()


@pytest.fixture
def two_browsers(app, make_user):
    """The manager signed in on two browsers (real sign-ins through /login)."""
    user = make_user()
    first, second = app.test_client(), app.test_client()
    for browser in (first, second):
        assert sign_in(browser).status_code == 302
        assert signed_in(browser)
    return user, first, second


# Ending sessions

def test_changing_ones_password_signs_out_the_other_sessions_but_keeps_this_one(two_browsers):
    user, first, second = two_browsers
    response = first.post("/account/password", data={"current": PASSWORD, "password": NEW_PASSWORD,
                                                     "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert signed_in(first)
    assert not signed_in(second)
    assert second.get("/admin/").location.startswith("/login")


def test_an_admin_changing_someones_role_ends_their_sessions(two_browsers, app):
    user, first, second = two_browsers
    users.set_role(SYSTEM, user.id, "viewer")
    assert not signed_in(first) and not signed_in(second)
    assert sign_in(first).status_code == 302
    assert first.get("/admin/users").status_code == 403 and signed_in(first)  # a new session, the new role


def test_an_admin_reset_and_a_deactivation_end_the_users_sessions(two_browsers, login, client):
    user, first, second = two_browsers
    login("admin")
    assert client.post(f"/admin/users/{user.id}/password", data={"password": NEW_PASSWORD}).status_code == 302
    assert not signed_in(first)
    assert sign_in(second, password=NEW_PASSWORD).status_code == 302
    users.set_active(SYSTEM, user.id, False)
    assert second.get("/account/password").location.startswith("/login")


def test_a_remember_me_cookie_ends_with_the_sessions(app, make_user):
    user = make_user()
    browser = app.test_client()
    browser.set_cookie("remember_token", encode_cookie(user.get_id()))
    assert signed_in(browser)
    users.set_password(SYSTEM, user.id, NEW_PASSWORD)
    browser.delete_cookie("session")  # only the remember-me cookie is left to sign in with
    assert not signed_in(browser)


def test_a_session_from_before_generations_existed_lasts_until_the_first_change(app, make_user):
    user = make_user()
    browser = app.test_client()
    with browser.session_transaction() as session:
        session["_user_id"] = str(user.id)  # what a session signed in before the upgrade holds
    assert signed_in(browser)
    users.set_role(SYSTEM, user.id, "viewer")
    assert not signed_in(browser)


# Auditing sign-ins

def test_a_good_sign_in_is_audited_with_the_client_address(client, make_user):
    user = make_user()
    assert sign_in(client, address="198.51.100.23").status_code == 302
    [entry] = audit("user.sign_in")
    assert (entry.actor_id, entry.object_id, entry.source) == (user.id, str(user.id), "web")
    assert entry.after == {"address": "198.51.100.23"}


def test_failed_sign_ins_are_audited_alike_whether_or_not_the_email_exists(client, make_user):
    make_user()
    assert sign_in(client, password="not the password", address="198.51.100.1").status_code == 401
    assert sign_in(client, email="nobody@example.com", address="198.51.100.2").status_code == 401
    known, unknown = audit("user.sign_in_failed")
    shape = lambda e: (e.actor_id, e.object_type, e.object_id, sorted(e.after))  # noqa: E731
    assert shape(known) == shape(unknown) == (None, "sign_in", "-", ["address"])
    assert (known.object_label, known.after["address"]) == ("manager@example.com", "198.51.100.1")
    assert (unknown.object_label, unknown.after["address"]) == ("nobody@example.com", "198.51.100.2")
    assert not audit("user.sign_in")


def test_sign_ins_refused_for_a_deactivated_or_locked_account_are_audited(client, make_user):
    user = make_user()
    user.active = False
    db.session.commit()
    assert sign_in(client).status_code == 401
    assert len(audit("user.sign_in_failed")) == 1


# Temporary passwords

@pytest.fixture
def first_admin(app):
    """The first admin as `statuspage setup` creates it: (email, printed password)."""
    return users.ensure_first_admin()


def test_the_printed_first_admin_password_only_opens_the_page_that_replaces_it(client, first_admin):
    email, printed = first_admin
    response = sign_in(client, email, printed)
    assert response.status_code == 302
    assert response.location == "/account/password?next=/admin/"
    for path in ("/admin/", "/admin/incidents", "/admin/users", "/internal", "/login", "/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.location.startswith("/account/password"), path
    assert client.post("/admin/components/new", data={"name": "Sneaky"}).location.startswith("/account/password")
    page = client.get("/account/password?next=/admin/")
    assert page.status_code == 200 and "Choose your password" in page.get_data(as_text=True)


def test_choosing_a_new_password_opens_the_console_and_the_printed_one_stops_working(client, first_admin):
    email, printed = first_admin
    sign_in(client, email, printed)
    same = client.post("/account/password", data={"password": printed, "confirm": printed, "next": "/admin/"})
    assert same.status_code == 422
    assert "different from the current one" in same.get_data(as_text=True)
    done = client.post("/account/password", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
                                                   "next": "/admin/incidents"})
    assert done.status_code == 302 and done.location == "/admin/incidents"
    assert signed_in(client)
    client.post("/logout")
    assert sign_in(client, email, printed).status_code == 401
    assert sign_in(client, email, NEW_PASSWORD).location == "/admin/"


def test_api_keys_of_a_user_with_a_temporary_password_keep_working(client, first_admin, api_key, v1):
    email, printed = first_admin
    admin = users.find_user(email)
    headers = api_key(user=admin)
    sign_in(client, email, printed)  # the same client holds the temporary session cookie
    assert v1(headers)("get", "components").status_code == 200


def test_an_admin_reset_password_must_be_replaced_at_the_next_sign_in(client, login, make_user, app):
    other = make_user("someone@example.com", "viewer")
    login("admin")
    client.post(f"/admin/users/{other.id}/password", data={"password": NEW_PASSWORD})
    browser = app.test_client()
    assert sign_in(browser, "someone@example.com", NEW_PASSWORD).location.startswith("/account/password")
    assert browser.get("/admin/").location.startswith("/account/password")
    browser.post("/account/password", data={"password": PASSWORD, "confirm": PASSWORD})
    assert signed_in(browser)


def test_cli_create_user_can_hand_over_a_temporary_password(app, client):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-user", "new@example.com", "--role", "manager", "--temporary",
                                 "--password-stdin"], input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert sign_in(client, "new@example.com").location.startswith("/account/password")


def test_ones_own_password_change_does_not_make_it_temporary(two_browsers):
    user, first, _ = two_browsers
    first.post("/account/password", data={"current": PASSWORD, "password": NEW_PASSWORD,
                                          "confirm": NEW_PASSWORD})
    db.session.expire_all()
    assert db.session.get(User, user.id).must_change_password is False


def test_the_choose_password_page_is_labelled_for_assistive_technology(client, first_admin):
    email, printed = first_admin
    sign_in(client, email, printed)
    page = client.get("/account/password").get_data(as_text=True)
    assert page.count("<h1") == 1
    for field in ("password", "confirm"):
        assert f'<label for="{field}">' in page and f'id="{field}"' in page
    assert 'autocomplete="new-password"' in page
    assert 'name="current"' not in page  # the temporary password was just typed; it is not asked again


def test_a_password_change_by_someone_else_is_not_taken_for_ones_own(app, make_user):
    user = make_user()
    users.set_password(Actor(label="cli", source="cli"), user.id, NEW_PASSWORD)
    db.session.expire_all()
    assert db.session.get(User, user.id).must_change_password is True

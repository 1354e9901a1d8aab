"""In a real browser: signing in through the form (also by keyboard alone), the console pages pass axe."""
import pytest

from statuspage.domain.recording import SYSTEM, Actor, record
from statuspage.domain.templates import create_template
from statuspage.domain.tokens import issue_token
from statuspage.extensions import db

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery staple"


@pytest.fixture
def admin(make_user):
    user = make_user("boss@example.com", "admin", PASSWORD)
    issue_token(SYSTEM, user, "monitoring")
    record(Actor(label="boss@example.com", source="web", user_id=user.id), "component.update", "component",
           "c1", "API", before={"status": "operational"}, after={"status": "major_outage"})
    db.session.commit()
    create_template(SYSTEM, title="Database failover", name="Elevated errors", body="We are on it.")
    return user


def sign_in_with_the_form(page, base_url):
    page.goto(base_url + "/admin/settings")
    assert "/login" in page.url
    page.get_by_label("Email").fill("boss@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base_url + "/admin/settings")  # exact: /login?next=/admin/settings matches a glob


def test_sign_in_then_console_pages_have_no_accessibility_violations(page, live_server, admin, axe):
    page.goto(live_server.url + "/login")
    axe(page)
    page.get_by_label("Email").fill("boss@example.com")
    page.get_by_label("Password").fill("wrong password entirely")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_text("Email or password is wrong").is_visible()
    axe(page)  # the error state too
    sign_in_with_the_form(page, live_server.url)
    for path, heading in [("/admin/", "Dashboard"), ("/admin/audit", "Audit log"), ("/admin/users", "Users"),
                          ("/admin/settings", "Site settings"), ("/admin/templates", "Incident templates"),
                          ("/admin/templates/new", "New incident template"),
                          (f"/admin/users/{admin.id}", "boss@example.com")]:
        page.goto(live_server.url + path)
        assert page.get_by_role("heading", level=1).inner_text() == heading
        axe(page)
    page.goto(live_server.url + "/admin/audit")
    page.locator("summary").first.click()
    assert page.locator("tr.changed").first.is_visible()
    axe(page)


def test_sign_in_works_with_the_keyboard_alone(page, live_server, admin):
    page.goto(live_server.url + "/login?next=/admin/audit")
    focused = page.evaluate("document.activeElement.id")  # the email field has autofocus
    for _ in range(6):
        if focused == "email":
            break
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.id")
    assert focused == "email"
    page.keyboard.type("boss@example.com")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "password"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(live_server.url + "/admin/audit")
    assert page.get_by_role("heading", level=1).inner_text() == "Audit log"


def test_sign_out_button_ends_the_session(page, live_server, admin):
    sign_in_with_the_form(page, live_server.url)
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")
    assert page.get_by_text("You are signed out").is_visible()
    page.goto(live_server.url + "/admin/")
    assert "/login" in page.url


def test_console_fits_a_phone_screen(phone_page, live_server, admin):
    sign_in_with_the_form(phone_page, live_server.url)
    for path in ["/admin/", "/admin/audit", "/admin/users", "/admin/settings"]:
        phone_page.goto(live_server.url + path)
        overflow = phone_page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 375px"

"""In a real browser: the first sign-in with the printed password leads to a choose-your-password page that
passes axe, works by its labels, and then opens the page that was asked for."""
import pytest

from statuspage.domain.users import ensure_first_admin

pytestmark = pytest.mark.browser
NEW_PASSWORD = "a brand new passphrase here"


def test_the_printed_password_leads_to_an_accessible_choose_your_password_page(page, live_server, app, axe):
    email, printed = ensure_first_admin()
    page.goto(live_server.url + "/admin/settings")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(printed)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server.url + "/account/password?next=/admin/settings")
    assert page.get_by_role("heading", level=1).inner_text() == "Choose your password"
    axe(page)
    page.get_by_label("New password", exact=True).fill("short")
    page.get_by_label("New password again").fill("short")
    page.get_by_role("button", name="Save and continue").click()
    assert page.get_by_text("Use at least 12 characters.").is_visible()
    axe(page)  # the error state too
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url(live_server.url + "/admin/settings")

"""Every internal route, found in the URL map, refuses anonymous visitors and viewers' writes, so a route
added later without @require fails here."""
import re

import pytest

INTERNAL_PREFIXES = ("/admin", "/internal", "/account")
# Writes a viewer may make: their own password and their own internal subscription.
VIEWER_MAY_POST = {"/account/password", "/admin/subscribers/me", "/admin/subscribers/me/leadership"}


def internal_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(INTERNAL_PREFIXES):
            yield rule


def concrete(rule) -> str:
    """The rule with every <argument> filled by a made-up id (the check happens before any lookup)."""
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: "1" if "int" in m.group(0) else "doesnotexist", rule.rule)


def test_the_url_map_has_internal_routes_to_check(app):
    assert len(list(internal_rules(app))) > 30


def test_anonymous_visitors_are_sent_to_sign_in_on_every_internal_route(app, client):
    for rule in internal_rules(app):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(concrete(rule), method=method)
            assert response.status_code in (302, 401), f"{method} {rule.rule} answered {response.status_code}"
            if response.status_code == 302:
                assert "/login" in response.headers["Location"], f"{method} {rule.rule}"


@pytest.mark.parametrize("role", ["viewer"])
def test_a_viewer_cannot_write_through_any_console_route(app, client, login, role):
    login(role)
    for rule in internal_rules(app):
        if "POST" not in rule.methods or rule.rule in VIEWER_MAY_POST:
            continue
        response = client.post(concrete(rule), data={"name": "x", "body": "x", "status": "operational"})
        assert response.status_code == 403, f"POST {rule.rule} answered {response.status_code} to a viewer"

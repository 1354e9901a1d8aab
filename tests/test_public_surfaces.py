"""Nothing internal leaks onto any public surface, and every public GET route is walked by this test.

Internal components, an internal group (and its child), internal incidents and maintenance, internal notes
and an internal incident's postmortem each carry a unique marker; every public page, API answer and feed
is fetched anonymously and must contain none of them (nor the internal rows' ids).
"""
from datetime import timedelta

import pytest

from statuspage import snapshot
from statuspage.domain import components as component_rules
from statuspage.domain import incidents as incident_rules
from statuspage.domain import leadership
from statuspage.domain import maintenance as maintenance_rules
from statuspage.domain.recording import SYSTEM
from statuspage.models.columns import utcnow

# Public GET routes with URL arguments and how this test walks them (endpoint -> description).
WALKED_WITH_ARGUMENTS = {
    "public.incident": "every public incident and maintenance, plus the internal ones (must be 404)",
    **dict.fromkeys(("feeds.component_history_rss", "feeds.component_history_atom",
                     "feeds.component_maintenance_calendar", "badges.component_svg", "badges.component_json"),
                    "every public component, plus the internal ones (must be 404)"),
}
# Prefixes that are not public surfaces: each is behind sign-in or an API key, is the sign-in itself,
# or serves static files. Subscription management links carry a secret token (see is_token_route).
NOT_PUBLIC_PREFIXES = (
    "/admin",  # the console: require("manage"/"admin")
    "/internal",  # the internal status page: require("read")
    "/login", "/logout",  # sign-in forms, show nothing of the page
    "/account",  # the signed-in user's own settings
    "/v1/",  # management API: API key required
    "/static/",  # CSS, JS, images
    "/metrics",  # the service's own metrics: a bearer token, or this machine's loopback only
)
# Parameterless routes that must exist and be walked (guards against a route silently disappearing).
REQUIRED_PATHS = {
    "/", "/history", "/history.rss", "/history.atom", "/maintenance.ics",
    "/api/v2/summary.json", "/api/v2/status.json", "/api/v2/components.json", "/api/v2/incidents.json",
    "/api/v2/incidents/unresolved.json", "/api/v2/scheduled-maintenances.json",
    "/api/v2/scheduled-maintenances/upcoming.json", "/api/v2/scheduled-maintenances/active.json",
    "/badge.svg", "/badge.json", "/embed/script.js", "/embed/frame",
}
COMPONENT_SURFACES = ("history.rss", "history.atom", "maintenance.ics", "badge.svg", "badge.json")

MARKERS = {
    "internal component": "Qzx1 Ledger",
    "internal component description": "Qzx2 keeps the money",
    "internal group": "Qzx3 Back office",
    "child of an internal group": "Qzx4 Payroll",
    "internal incident": "Qzx5 Ledger drift",
    "internal incident body": "Qzx6 reconcile by hand",
    "internal note": "Qzx7 blame the deploy",
    "internal note on a resolved incident": "Qzx8 customer X complained",
    "internal maintenance": "Qzx9 Vault rotation",
    "internal maintenance body": "Qzx10 rotate the keys",
    "internal postmortem": "Qzx11 root cause was Bob",
    "executive summary": "Qzx12 tell the board",
}


@pytest.fixture(autouse=True)
def fresh_snapshots():
    """Snapshots are keyed by id(app) and site version; a later test's app can reuse both, so start empty."""
    snapshot.clear()


def is_token_route(rule) -> bool:
    """Subscription manage/unsubscribe links: only the holder of the secret token can read them."""
    return any("token" in argument for argument in rule.arguments)


def public_get_rules(app):
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith(NOT_PUBLIC_PREFIXES) or is_token_route(rule):
            continue
        yield rule


@pytest.fixture
def seeded(app):
    now = utcnow()
    core = component_rules.create_group(SYSTEM, name="Core")
    api = component_rules.create_component(SYSTEM, name="API", group_id=core.id)
    ledger = component_rules.create_component(SYSTEM, name=MARKERS["internal component"], group_id=core.id,
                                              description=MARKERS["internal component description"],
                                              visibility="internal")
    back_office = component_rules.create_group(SYSTEM, name=MARKERS["internal group"], visibility="internal")
    payroll = component_rules.create_component(SYSTEM, name=MARKERS["child of an internal group"],
                                               group_id=back_office.id)
    outage = incident_rules.open_incident(
        SYSTEM, name="API errors", body="We are looking into it",
        components={api.id: "major_outage", ledger.id: "major_outage", payroll.id: "partial_outage"})
    incident_rules.post_update(SYSTEM, outage.id, visibility="internal", body=MARKERS["internal note"])
    leadership.post_summary(SYSTEM, outage.id, current_status=MARKERS["executive summary"])
    hidden = incident_rules.open_incident(
        SYSTEM, name=MARKERS["internal incident"], body=MARKERS["internal incident body"], visibility="internal",
        components={api.id: "degraded_performance", ledger.id: "major_outage"}, itil_impact=1, itil_urgency=1)
    old_hidden = incident_rules.open_incident(SYSTEM, name=MARKERS["internal incident"] + " (old)",
                                              body="x", visibility="internal", at=now - timedelta(days=40))
    incident_rules.resolve_incident(SYSTEM, old_hidden.id)
    incident_rules.publish_postmortem(SYSTEM, old_hidden.id, MARKERS["internal postmortem"], notify=False)
    public_ids = [outage.id]
    for n in range(25):  # enough for a second page of history
        old = incident_rules.open_incident(SYSTEM, name=f"Old incident {n}", body="Down",
                                           components={api.id: "partial_outage", ledger.id: "major_outage"},
                                           at=now - timedelta(days=2 + n), deliver_notifications=False)
        incident_rules.post_update(SYSTEM, old.id, visibility="internal",
                                   body=MARKERS["internal note on a resolved incident"])
        incident_rules.resolve_incident(SYSTEM, old.id, body="Fixed", deliver_notifications=False)
        public_ids.append(old.id)
    window = maintenance_rules.schedule_maintenance(
        SYSTEM, name="Database upgrade", scheduled_for=now + timedelta(days=1),
        scheduled_until=now + timedelta(days=1, hours=2), component_ids=[api.id, ledger.id])
    public_ids.append(window.id)
    secret_window = maintenance_rules.schedule_maintenance(
        SYSTEM, name=MARKERS["internal maintenance"], body=MARKERS["internal maintenance body"],
        scheduled_for=now + timedelta(hours=3), scheduled_until=now + timedelta(hours=5),
        component_ids=[ledger.id], visibility="internal")
    return {"public_ids": public_ids, "public_component_ids": [api.id],
            "internal_component_ids": [ledger.id, payroll.id],
            "internal_incident_ids": [hidden.id, old_hidden.id, secret_window.id],
            "internal_ids": [ledger.id, back_office.id, payroll.id, hidden.id, old_hidden.id, secret_window.id]}


def assert_no_leak(path, response, seeded):
    text = response.get_data(as_text=True)
    leaked = [what for what, marker in MARKERS.items() if marker in text]
    leaked += [f"id {i}" for i in seeded["internal_ids"] if i in text]
    assert not leaked, f"{path} shows {', '.join(leaked)}"


def test_no_public_route_shows_anything_internal(app, client, seeded):
    walked = set()
    for rule in public_get_rules(app):
        if rule.arguments:
            continue
        response = client.get(rule.rule)
        assert response.status_code == 200, f"{rule.rule} answered {response.status_code}"
        assert_no_leak(rule.rule, response, seeded)
        walked.add(rule.rule)
    assert REQUIRED_PATHS <= walked, f"not walked: {sorted(REQUIRED_PATHS - walked)}"

    for path in ("/history?page=2", "/history?page=3"):
        response = client.get(path)
        assert response.status_code in (200, 404), path
        assert_no_leak(path, response, seeded)
    assert "Old incident 24" in client.get("/history?page=2").get_data(as_text=True)

    for incident_id in seeded["public_ids"]:
        response = client.get(f"/incidents/{incident_id}")
        assert response.status_code == 200
        assert_no_leak(f"/incidents/{incident_id}", response, seeded)
    for incident_id in seeded["internal_incident_ids"]:
        response = client.get(f"/incidents/{incident_id}")
        assert response.status_code == 404, "an internal incident's public URL must not exist"
        assert_no_leak(f"/incidents/{incident_id}", response, seeded)

    for surface in COMPONENT_SURFACES:
        for component_id in seeded["public_component_ids"]:
            path = f"/components/{component_id}/{surface}"
            response = client.get(path)
            assert response.status_code == 200, path
            assert_no_leak(path, response, seeded)
        for component_id in seeded["internal_component_ids"] + ["unknown1234"]:
            path = f"/components/{component_id}/{surface}"
            response = client.get(path)
            assert response.status_code == 404, f"{path}: an internal component's surfaces must not exist"
            assert_no_leak(path, response, seeded)


def test_the_markers_really_are_on_the_internal_side(app, client, seeded, login):
    """Guards the test above: the seeded internal things exist and a staff view shows them."""
    login("viewer")
    text = client.get("/internal").get_data(as_text=True)
    assert MARKERS["internal component"] in text and MARKERS["internal incident"] in text
    detail = client.get(f"/internal/incidents/{seeded['public_ids'][0]}").get_data(as_text=True)
    assert MARKERS["internal note"] in detail


def test_every_public_get_route_is_covered_by_this_test(app):
    """A new public GET route with URL arguments must be added to WALKED_WITH_ARGUMENTS (and walked above),
    or to NOT_PUBLIC_PREFIXES with the reason it is not public."""
    uncovered = sorted(f"{rule.rule} ({rule.endpoint})" for rule in public_get_rules(app)
                       if rule.arguments and rule.endpoint not in WALKED_WITH_ARGUMENTS)
    assert not uncovered, f"public routes this test does not walk: {uncovered}"

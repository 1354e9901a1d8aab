"""Site settings: admins edit them, values are validated, a stale form answers 409 with what changed."""
import re

import pytest

from statuspage.domain.recording import SYSTEM, Conflict, bump_site_version
from statuspage.domain.site_settings import update_site
from statuspage.extensions import db
from statuspage.models import AuditEntry, Site

pytestmark = pytest.mark.usefixtures("fresh_user_per_request")

GOOD = {"name": "Acme Status", "url": "https://status.acme.test", "time_zone": "Europe/Paris",
        "logo_url": "https://acme.test/logo.svg", "accent_color": "#AA3300", "support_url": "mailto:help@acme.test"}


def form_revision(client) -> str:
    page = client.get("/admin/settings").get_data(as_text=True)
    return re.search(r'name="revision" type="hidden" value="(\d+)"', page).group(1)


def test_admin_saves_settings_and_the_public_version_moves(client, login):
    login("admin")
    version = Site.get().version
    revision = form_revision(client)
    response = client.post("/admin/settings", data=GOOD | {"revision": revision})
    assert response.status_code == 302
    db.session.expire_all()
    site = Site.get()
    assert (site.name, site.time_zone, site.accent_color) == ("Acme Status", "Europe/Paris", "#aa3300")
    assert site.version > version
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "site.update"))
    assert entry.before["name"] == "Status" and entry.after["name"] == "Acme Status"
    assert entry.actor_label == "admin@example.com"


def test_saving_unchanged_settings_writes_nothing(client, login):
    login("admin")
    site = Site.get()
    db.session.commit()
    data = {f: getattr(site, f) or "" for f in GOOD} | {"revision": str(site.revision)}
    assert client.post("/admin/settings", data=data).status_code == 302
    assert db.session.scalar(db.select(db.func.count(AuditEntry.id))) == 0


@pytest.mark.parametrize("field,value,reason", [
    ("name", "", "Give the site a name"),
    ("time_zone", "Mars/Olympus_Mons", "pick a time zone"),
    ("accent_color", "blue", "colour like #1f6feb"),
    ("accent_color", "#12345", "colour like #1f6feb"),
    ("url", "status.acme.test", "full address starting with"),
    ("logo_url", "javascript:alert(1)", "full address starting with"),
])
def test_bad_values_are_refused_on_their_field_keeping_the_rest(client, login, field, value, reason):
    login("admin")
    response = client.post("/admin/settings", data=GOOD | {field: value, "revision": form_revision(client)})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    error = re.search(rf'id="{field}-error">([^<]+)<', page).group(1)
    assert reason.lower() in error.lower()
    assert 'value="https://status.acme.test"' in page or field == "url"
    db.session.expire_all()
    assert Site.get().name == "Status"


def test_other_public_writes_meanwhile_are_not_a_conflict(client, login):
    login("admin")
    revision = form_revision(client)
    bump_site_version()  # e.g. an incident was posted while the form was open
    db.session.commit()
    assert client.post("/admin/settings", data=GOOD | {"revision": revision}).status_code == 302
    db.session.expire_all()
    assert Site.get().name == "Acme Status"


def test_settings_saved_by_someone_else_meanwhile_answer_409_telling_what_changed(client, login):
    login("admin")
    revision = form_revision(client)
    update_site(SYSTEM, None, name="Renamed Elsewhere")
    response = client.post("/admin/settings", data=GOOD | {"revision": revision})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Someone else changed these settings" in page
    assert "Renamed Elsewhere" in page
    assert 'value="Acme Status"' in page  # what the user typed is kept
    db.session.expire_all()
    assert Site.get().name == "Renamed Elsewhere"
    new_revision = re.search(r'name="revision" type="hidden" value="(\d+)"', page).group(1)
    assert client.post("/admin/settings", data=GOOD | {"revision": new_revision}).status_code == 302
    db.session.expire_all()
    assert Site.get().name == "Acme Status"


def test_update_site_reports_the_conflict_to_any_caller(app):
    site = Site.get()
    db.session.commit()
    opened_at = site.revision
    update_site(SYSTEM, opened_at, accent_color="#000000")
    with pytest.raises(Conflict) as caught:
        update_site(SYSTEM, opened_at, name="Too Late")
    assert caught.value.current == {"accent_color": "#000000"}


@pytest.mark.parametrize("role", ["viewer", "manager"])
def test_only_admins_reach_settings(client, login, role):
    login(role)
    assert client.get("/admin/settings").status_code == 403
    assert client.post("/admin/settings", data=GOOD).status_code == 403
    db.session.expire_all()
    assert Site.get().name == "Status"


def test_anonymous_is_sent_to_sign_in(client):
    assert client.get("/admin/settings").location == "/login?next=%2Fadmin%2Fsettings"
    assert client.post("/admin/settings", data=GOOD).status_code == 302


def test_settings_form_refuses_a_post_without_csrf_token(csrf_app, make_user):
    admin = make_user("boss@example.com", "admin")
    client = csrf_app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(admin.id)
    assert client.post("/admin/settings", data=GOOD).status_code == 400
    db.session.expire_all()
    assert Site.get().name == "Status"

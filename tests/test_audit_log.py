"""The audit log page: newest first, filters, pagination, readable diffs, read-only for every role."""
import re
from datetime import UTC, datetime, timedelta

import pytest

from statuspage.domain.recording import Actor, record
from statuspage.extensions import db
from statuspage.models import AuditEntry, Site

pytestmark = pytest.mark.usefixtures("fresh_user_per_request")


def add(action="component.update", obj_type="component", obj_id="c1", label="API", actor="ann@example.com",
        source="web", at=None, before=None, after=None):
    entry = record(Actor(label=actor, source=source), action, obj_type, obj_id, label, before=before, after=after)
    if at is not None:
        entry.at = at
    db.session.commit()
    return entry


def labels(page: str) -> list[str]:
    return re.findall(r'<em>([^<]+)</em></span>\s*</summary>', page)


def test_entries_are_listed_newest_first(client, login):
    login("viewer")
    now = datetime.now(UTC)
    add(label="oldest", at=now - timedelta(hours=2))
    add(label="newest", at=now)
    add(label="middle", at=now - timedelta(hours=1))
    page = client.get("/admin/audit").get_data(as_text=True)
    assert labels(page)[:3] == ["newest", "middle", "oldest"]  # the sign-in fixture adds nothing


def test_filters_by_object_actor_and_action(client, login):
    login("viewer")
    add(label="api up", obj_id="c1", actor="ann@example.com")
    add(label="db down", obj_id="c2", actor="bob@example.com")
    add(label="opened", action="incident.create", obj_type="incident", obj_id="i1", actor="cli", source="cli")
    assert labels(client.get("/admin/audit?object_type=incident").get_data(as_text=True)) == ["opened"]
    assert labels(client.get("/admin/audit?object_type=component&object_id=c2").get_data(as_text=True)) \
        == ["db down"]
    assert labels(client.get("/admin/audit?actor=ANN").get_data(as_text=True)) == ["api up"]
    assert labels(client.get("/admin/audit?action=component.update").get_data(as_text=True)) \
        == ["db down", "api up"]


def test_actor_filter_treats_wildcards_literally(client, login):
    login("viewer")
    add(label="someone", actor="ann@example.com")
    assert labels(client.get("/admin/audit?actor=%25").get_data(as_text=True)) == []


def test_period_filter_uses_whole_days_in_the_site_zone(client, login):
    login("viewer")
    Site.get().time_zone = "America/New_York"
    db.session.commit()
    # 2024-03-10 23:30 in New York is 2024-03-11 03:30 UTC (after the DST switch it is UTC-4).
    add(label="late on the 10th", at=datetime(2024, 3, 11, 3, 30, tzinfo=UTC))
    add(label="on the 12th", at=datetime(2024, 3, 12, 15, 0, tzinfo=UTC))
    add(label="on the 9th", at=datetime(2024, 3, 9, 15, 0, tzinfo=UTC))
    page = client.get("/admin/audit?date_from=2024-03-10&date_to=2024-03-10").get_data(as_text=True)
    assert labels(page) == ["late on the 10th"]
    page = client.get("/admin/audit?date_from=2024-03-10").get_data(as_text=True)
    assert labels(page) == ["on the 12th", "late on the 10th"]


def test_a_bad_date_is_explained_and_ignored(client, login):
    login("viewer")
    add(label="kept")
    response = client.get("/admin/audit?date_from=31/02/2024")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Use a date like" in page
    assert labels(page) == ["kept"]


def test_pages_hold_fifty_entries_and_keep_the_filters(client, login):
    login("viewer")
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for n in range(120):
        add(label=f"entry {n}", at=start + timedelta(minutes=n))
    add(label="other", action="incident.create", obj_type="incident")
    first = client.get("/admin/audit?action=component.update").get_data(as_text=True)
    assert labels(first)[0] == "entry 119" and len(labels(first)) == 50
    assert "page 1 of 3" in first
    assert 'href="/admin/audit?page=2&amp;action=component.update"' in first
    third = client.get("/admin/audit?action=component.update&page=3").get_data(as_text=True)
    assert labels(third) == [f"entry {n}" for n in range(19, -1, -1)]
    beyond = client.get("/admin/audit?action=component.update&page=99").get_data(as_text=True)
    assert labels(beyond) == labels(third)
    assert client.get("/admin/audit?page=abc").status_code == 200


def test_an_entry_shows_before_and_after_with_changed_keys_marked(client, login):
    login("viewer")
    add(before={"name": "API", "status": "operational"}, after={"name": "API", "status": "major_outage"})
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "<details>" in page and "<time datetime=" in page
    status_row = re.search(r'<tr class="changed">\s*<th scope="row">status.*?</tr>', page, re.S).group(0)
    assert "<del>operational</del>" in status_row and "<ins>major_outage</ins>" in status_row
    name_row = re.search(r'<tr>\s*<th scope="row">name</th>.*?</tr>', page, re.S).group(0)
    assert "<del>" not in name_row


def test_entry_text_is_escaped(client, login):
    login("viewer")
    add(label="<script>alert(1)</script>", after={"body": "<img src=x onerror=alert(1)>"})
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "<img src=x" not in page


def test_anonymous_is_sent_to_sign_in(client):
    assert client.get("/admin/audit").location == "/login?next=%2Fadmin%2Faudit"


def test_audit_log_has_no_write_route(client, login):
    login("admin")
    add()
    assert client.post("/admin/audit").status_code == 405
    assert db.session.scalar(db.select(db.func.count(AuditEntry.id))) == 1

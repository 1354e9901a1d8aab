"""SLA targets per priority and the timers they give: arithmetic by hand, a daylight-saving change, the admin
page, and timers on staff pages only."""
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from statuspage.domain import cadence, sla
from statuspage.domain import incidents as incident_rules
from statuspage.domain.recording import SYSTEM, DomainError
from statuspage.extensions import db
from statuspage.models import AuditEntry, Site
from statuspage.models.columns import utcnow

LONDON = ZoneInfo("Europe/London")
T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)  # any aware moment; never a fixed date


def last_sunday(month: int) -> date:
    """The last Sunday of ``month`` this year: when the United Kingdom changes its clocks (March, October)."""
    day = date(T0.year, month + 1, 1) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() + 1) % 7)


def test_the_defaults_are_the_itil_ones(app):
    assert sla.targets() == {1: (15, 240), 2: (30, 480), 3: (240, 1440), 4: (480, 4320), 5: (None, None)}


def test_a_running_timer_counts_down_and_warns_at_three_quarters():
    # P1 acknowledge target 15 min; 10 min in: 5 left, 66% used, ok. 12 min in: 80% used, warning.
    timer = sla.measure(T0, None, 15, T0 + timedelta(minutes=10))
    assert (timer.remaining, timer.percent_used, timer.state) == (timedelta(minutes=5), 66, "ok")
    timer = sla.measure(T0, None, 15, T0 + timedelta(minutes=12))
    assert (timer.percent_used, timer.state) == (80, "warning")
    assert sla.measure(T0, None, 100, T0 + timedelta(minutes=75)).state == "warning"  # exactly 75%
    assert sla.measure(T0, None, 100, T0 + timedelta(minutes=74, seconds=59)).state == "ok"


def test_a_late_timer_is_breached_and_a_stopped_one_is_met_or_breached():
    late = sla.measure(T0, None, 15, T0 + timedelta(minutes=20))
    assert (late.breached, late.remaining, late.percent_used, late.state) == (True, timedelta(minutes=-5), 133,
                                                                             "breached")
    met = sla.measure(T0, T0 + timedelta(minutes=14), 15, T0 + timedelta(days=3))
    assert (met.state, met.elapsed) == ("met", timedelta(minutes=14))
    assert sla.measure(T0, T0 + timedelta(minutes=16), 15, T0 + timedelta(days=3)).state == "breached"
    assert sla.measure(T0, None, None, T0) is None


def test_the_arithmetic_is_right_across_the_spring_daylight_saving_change():
    # The last Sunday of March, London: clocks jump from 01:00 GMT to 02:00 BST. 00:30 GMT to 02:30 BST is
    # 1 hour, though the wall clocks differ by 2 hours (naive subtraction of same-zone datetimes gives 2 h).
    day = last_sunday(3)
    start = datetime(day.year, day.month, day.day, 0, 30, tzinfo=LONDON)
    now = datetime(day.year, day.month, day.day, 2, 30, tzinfo=LONDON)
    assert (start.utcoffset(), now.utcoffset()) == (timedelta(0), timedelta(hours=1))  # a change between
    assert now - start == timedelta(hours=2)  # Python's wall-clock answer: the trap this module avoids
    assert sla.elapsed(start, now) == timedelta(hours=1)
    timer = sla.measure(start, None, 90, now)
    assert (timer.remaining, timer.percent_used, timer.state) == (timedelta(minutes=30), 66, "ok")


def test_the_arithmetic_is_right_across_the_autumn_change():
    # The last Sunday of October, London: 01:30 BST, then 01:30 GMT an hour later (fold=1). Real time: 1 hour.
    day = last_sunday(10)
    first = datetime(day.year, day.month, day.day, 1, 30, tzinfo=LONDON)
    second = datetime(day.year, day.month, day.day, 1, 30, fold=1, tzinfo=LONDON)
    assert (first.utcoffset(), second.utcoffset()) == (timedelta(hours=1), timedelta(0))
    assert sla.elapsed(first, second) == timedelta(hours=1)
    assert sla.measure(first, None, 60, second).percent_used == 100


def test_naive_times_are_refused():
    with pytest.raises(ValueError):
        sla.elapsed(T0.replace(tzinfo=None), T0)


def test_an_incident_gets_timers_from_its_priority(app):
    opened = incident_rules.open_incident(SYSTEM, name="Slow", itil_impact=2, itil_urgency=1,  # P2
                                          at=utcnow() - timedelta(minutes=24))
    timers = sla.timers_for(opened, utcnow())
    assert timers.acknowledge.target == timedelta(minutes=30) and timers.acknowledge.state == "warning"
    assert timers.resolve.target == timedelta(hours=8) and timers.resolve.state == "ok"
    assert timers.needs_attention and not timers.breached
    low = incident_rules.open_incident(SYSTEM, name="Cosmetic", itil_impact=3, itil_urgency=3)  # P5
    assert sla.timers_for(low, utcnow()) is None
    unset = incident_rules.open_incident(SYSTEM, name="Unsorted")
    assert sla.timers_for(unset, utcnow()) is None


def test_an_admin_changes_targets_with_an_audit_entry_and_no_public_version(app):
    public_before = Site.get().public_version
    sla.set_targets(SYSTEM, {1: ("10", "120"), 5: ("", "4320")})
    assert sla.targets()[1] == (10, 120) and sla.targets()[5] == (None, 4320)
    assert Site.get().public_version == public_before
    entry = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "sla.targets")).one()
    assert entry.before["P1"] == [15, 240] and entry.after["P1"] == [10, 120]


@pytest.mark.parametrize("values, message", [
    ({1: ("abc", "60")}, "whole number"),
    ({1: ("0", "60")}, "between"),
    ({1: ("60", "30")}, "cannot be shorter"),
])
def test_bad_targets_are_refused_with_the_reason(app, values, message):
    with pytest.raises(DomainError, match=message):
        sla.set_targets(SYSTEM, values)


def test_the_targets_page_is_for_admins_and_shows_errors_on_the_field(client, login):
    login("manager")
    assert client.get("/admin/settings/targets").status_code == 403
    login("admin")
    page = client.get("/admin/settings/targets").get_data(as_text=True)
    assert "Time to acknowledge" in page and 'value="15"' in page and "Public update every" in page
    form = {f"p{p}_acknowledge": a or "" for p, (a, _) in sla.DEFAULT_TARGETS.items()}
    form |= {f"p{p}_resolve": r or "" for p, (_, r) in sla.DEFAULT_TARGETS.items()}
    bad = client.post("/admin/settings/targets", data=form | {"p2_resolve": "10"})
    assert bad.status_code == 422 and "cannot be shorter" in bad.get_data(as_text=True)
    good = client.post("/admin/settings/targets", data=form | {"p1_acknowledge": "5"})
    assert good.status_code == 302
    assert sla.targets()[1] == (5, 240)
    assert cadence.cadences()[1] == (20, 30)  # boxes left out of the post keep their values


def test_both_tables_save_in_one_transaction_and_the_old_pages_lead_to_the_one_page(client, login):
    login("admin")
    refused = client.post("/admin/settings/targets", data={"p1_acknowledge": "5", "p1_update": "two"})
    assert refused.status_code == 422 and "whole number of minutes" in refused.get_data(as_text=True)
    assert sla.targets()[1] == (15, 240)  # the good box was not saved without the other table
    for old in ("/admin/settings/sla", "/admin/settings/cadence"):
        moved = client.get(old)
        assert moved.status_code == 301 and moved.headers["Location"].endswith("/admin/settings/targets")
        assert client.post(old, data={"p1_update": "15"}).status_code == 308


def test_timers_show_on_internal_and_the_console_but_never_publicly(client, login, web):
    opened = incident_rules.open_incident(SYSTEM, name="Checkout fails", itil_impact=1, itil_urgency=1,
                                          components={web.id: "major_outage"},
                                          at=utcnow() - timedelta(minutes=20))
    public = client.get("/").get_data(as_text=True) + client.get(f"/incidents/{opened.id}").get_data(as_text=True)
    assert "Checkout fails" in public and "Breached" not in public and "sla-" not in public
    login("viewer")
    for path in ("/internal", "/admin/", f"/admin/incidents/{opened.id}"):
        page = client.get(path).get_data(as_text=True)
        assert "Breached" in page and "Acknowledge within 15 minutes" in page, path

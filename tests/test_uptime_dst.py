"""Uptime on daylight-saving days: a local day lasts 23 or 25 hours there, and the arithmetic must say so."""
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from statuspage.domain import components
from statuspage.domain.recording import SYSTEM
from statuspage.domain.uptime import load_uptime
from statuspage.models import Site

# (zone, day the clocks change, that day's length in hours)
TRANSITIONS = [
    ("America/New_York", date(2026, 3, 8), 23),
    ("America/New_York", date(2026, 11, 1), 25),
    ("Europe/London", date(2026, 3, 29), 23),
    ("Europe/London", date(2026, 10, 25), 25),
    ("Australia/Sydney", date(2026, 4, 5), 25),
    ("Australia/Sydney", date(2026, 10, 4), 23),
]


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)


def down_for_the_whole_local_day(zone_name: str, day: date, begin: date):
    """A component created at ``begin`` (local midnight), in major outage exactly during ``day``."""
    tz = ZoneInfo(zone_name)
    Site.get().time_zone = zone_name
    api = components.create_component(SYSTEM, name="API", at=local_midnight(begin, tz))
    components.apply_status(api, "major_outage", "manual", at=local_midnight(day, tz))
    components.apply_status(api, "operational", "manual", at=local_midnight(day + timedelta(days=1), tz))
    return api, tz


@pytest.mark.parametrize(("zone_name", "day", "hours"), TRANSITIONS)
def test_a_full_day_outage_on_a_daylight_saving_day_reads_zero_percent(app, zone_name, day, hours):
    tz = ZoneInfo(zone_name)
    assert (local_midnight(day + timedelta(days=1), tz) - local_midnight(day, tz)) == timedelta(hours=hours)
    api, tz = down_for_the_whole_local_day(zone_name, day, day - timedelta(days=10))
    now = local_midnight(day + timedelta(days=3), tz) + timedelta(hours=12)
    uptime = load_uptime([api], now, tz, days=5)[api.id]
    by_day = {d.day: d for d in uptime.days}
    assert by_day[day].percent == 0.0
    assert by_day[day].down_seconds == hours * 3600
    assert by_day[day - timedelta(days=1)].percent == 100.0
    assert by_day[day + timedelta(days=1)].percent == 100.0


@pytest.mark.parametrize(("zone_name", "day", "hours"), TRANSITIONS)
def test_the_ninety_day_total_counts_the_real_length_of_every_day(app, zone_name, day, hours):
    tz = ZoneInfo(zone_name)
    api, tz = down_for_the_whole_local_day(zone_name, day, day - timedelta(days=200))
    now = local_midnight(day + timedelta(days=30), tz) + timedelta(hours=6)
    uptime = load_uptime([api], now, tz, days=90)[api.id]
    window_start = local_midnight(day + timedelta(days=30 - 89), tz)
    observed = (now - window_start).total_seconds()  # real elapsed seconds, whatever the clocks did
    assert uptime.observed_seconds == observed
    assert uptime.down_seconds == hours * 3600
    assert uptime.percent == round(100 * (1 - hours * 3600 / observed), 2)
    assert sum(d.down_seconds for d in uptime.days) == hours * 3600

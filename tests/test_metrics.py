"""Every metric on a small history whose answers are worked out by hand below; the page and the CSV agree.

The history (site zone UTC) lies in the last two whole months before now that together have 61 days (a month
of 31 days and one of 30, say October and November: M1 and M2); "now" is 00:00 on the 1st of the month after
M2 (M3), and the month before M1 is M0. Dates are derived from today so the history never ages; the answers
below hold for any such pair.
- I1 P1 on API (major outage), M1 10th 10:00: acknowledged +10 min, mitigated +30 min, resolved +2 h.
- I2 P2 on API (partial outage), M2 5th 08:00: acknowledged +40 min (target 30: breached), mitigated +1 h,
  resolved +6 h, reopened +6 h 30, resolved again +7 h.
- I3 P3 on DB (degraded), M2 20th 12:00: never acknowledged, still open (acknowledge target 4 h: breached).
- I4 no priority on DB (major outage), M2 25th 00:00: acknowledged +5 min, resolved +1 h.
- I0 P1, M0 15th: before the period, counted nowhere.
"""
import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest

from statuspage.domain import components as component_rules
from statuspage.domain import incidents as incident_rules
from statuspage.domain import metrics
from statuspage.domain.recording import SYSTEM
from statuspage.extensions import db
from statuspage.models import ActionItem, Component, Incident


def _months() -> list[date]:
    """The 1st of M0, M1, M2 and M3 (see above), M1 and M2 the latest two whole months of 61 days together."""
    def before(first: date) -> date:
        return (first - timedelta(days=1)).replace(day=1)

    m3 = datetime.now(UTC).date().replace(day=1)
    while (m3 - before(before(m3))).days != 61:
        m3 = before(m3)
    m2 = before(m3)
    return [before(before(m2)), before(m2), m2, m3]


MONTHS = _months()
NOW = datetime(MONTHS[3].year, MONTHS[3].month, 1, tzinfo=UTC)
PERIOD = metrics.Filters(MONTHS[1], MONTHS[3] - timedelta(days=1), "UTC")
M1, M2 = f"{MONTHS[1]:%Y-%m}", f"{MONTHS[2]:%Y-%m}"
QUERY = f"start={PERIOD.start}&end={PERIOD.end}"
MIN = timedelta(minutes=1)
HOUR = timedelta(hours=1)


def at(month, day, hour=0):
    """``month`` 0..3 is M0..M3."""
    first = MONTHS[month]
    return datetime(first.year, first.month, day, hour, tzinfo=UTC)


def set_times(incident, **times):
    for field, value in times.items():
        setattr(db.session.get(Incident, incident.id), field, value)
    db.session.commit()


@pytest.fixture
def history(app):
    api = component_rules.create_component(SYSTEM, name="API")
    dbase = component_rules.create_component(SYSTEM, name="DB")
    for component in (api, dbase):
        db.session.get(Component, component.id).created_at = at(0, 1)
    db.session.commit()

    i0 = incident_rules.open_incident(SYSTEM, name="I0", itil_impact=1, itil_urgency=1, at=at(0, 15, 9))
    incident_rules.resolve_incident(SYSTEM, i0.id, at=at(0, 15, 10))

    start = at(1, 10, 10)
    i1 = incident_rules.open_incident(SYSTEM, name="I1", itil_impact=1, itil_urgency=1,
                                      components={api.id: "major_outage"}, at=start)
    incident_rules.resolve_incident(SYSTEM, i1.id, at=start + 2 * HOUR)
    set_times(i1, acknowledged_at=start + 10 * MIN, mitigated_at=start + 30 * MIN)

    start = at(2, 5, 8)
    i2 = incident_rules.open_incident(SYSTEM, name="I2", itil_impact=1, itil_urgency=2,
                                      components={api.id: "partial_outage"}, at=start)
    incident_rules.resolve_incident(SYSTEM, i2.id, at=start + 6 * HOUR)
    incident_rules.post_update(SYSTEM, i2.id, status="investigating", body="It is back.", at=start + 6.5 * HOUR)
    incident_rules.resolve_incident(SYSTEM, i2.id, at=start + 7 * HOUR)
    set_times(i2, acknowledged_at=start + 40 * MIN, mitigated_at=start + HOUR)

    i3 = incident_rules.open_incident(SYSTEM, name="I3", itil_impact=2, itil_urgency=2,
                                      components={dbase.id: "degraded_performance"}, at=at(2, 20, 12))
    set_times(i3, acknowledged_at=None)

    start = at(2, 25)
    i4 = incident_rules.open_incident(SYSTEM, name="I4", components={dbase.id: "major_outage"}, at=start)
    incident_rules.resolve_incident(SYSTEM, i4.id, at=start + HOUR)
    set_times(i4, acknowledged_at=start + 5 * MIN)

    db.session.add_all([
        ActionItem(incident_id=i1.id, title="Alert on certificate expiry", due_date=at(2, 20).date()),  # overdue
        ActionItem(incident_id=i1.id, title="Runbook", due_date=at(3, 15).date()),  # not yet due
        ActionItem(incident_id=i2.id, title="Add a node", due_date=at(2, 1).date(), done_at=at(2, 2)),  # done
    ])
    db.session.commit()
    return {"api": api.id, "db": dbase.id, "i1": i1.id, "i2": i2.id, "i3": i3.id, "i4": i4.id}


def test_every_metric_matches_the_hand_computed_answer(history):
    m = metrics.compute(PERIOD, NOW)
    assert m.incidents == 4
    assert (m.mtta.minutes, m.mtta.count) == (18.3, 3)  # (10 + 40 + 5) / 3
    assert (m.mttr.minutes, m.mttr.count) == (200.0, 3)  # (120 + 420 + 60) / 3
    assert (m.mttm.minutes, m.mttm.count) == (45.0, 2)  # (30 + 60) / 2
    assert m.per_month == {M1: {1: 1, 2: 0, 3: 0, 4: 0, 5: 0, 0: 0},
                           M2: {1: 0, 2: 1, 3: 1, 4: 0, 5: 0, 0: 1}}
    assert (m.with_target, m.breached, m.breach_rate) == (3, 2, 66.7)  # I2 late to acknowledge, I3 never
    assert m.reopened == 1
    assert m.overdue_action_items == 1


def test_mtbf_is_time_up_between_outages_from_the_status_history(history):
    by_name = {r.name: r for r in metrics.compute(PERIOD, NOW).reliability}
    # 61 days = 1464 h observed. API: down 2 h (I1) + 6 h + 30 min (I2 before and after reopening), three
    # outages. DB: degraded is up; down 1 h (I4), then back to degraded under I3; one outage.
    api, dbase = by_name["API"], by_name["DB"]
    assert (api.failures, api.down, api.up) == (3, 8.5 * HOUR, 1455.5 * HOUR)
    assert api.mtbf_hours == 485.2
    assert (dbase.failures, dbase.down, dbase.mtbf_hours) == (1, HOUR, 1463.0)


def test_filters_by_component_and_priority(history):
    on_db = metrics.compute(metrics.Filters(PERIOD.start, PERIOD.end, "UTC", component_id=history["db"]), NOW)
    assert on_db.incidents == 2 and [r.name for r in on_db.reliability] == ["DB"]
    assert (on_db.mttr.minutes, on_db.with_target, on_db.breached) == (60.0, 1, 1)
    p2 = metrics.compute(metrics.Filters(PERIOD.start, PERIOD.end, "UTC", priority=2), NOW)
    assert (p2.incidents, p2.mtta.minutes, p2.reopened, p2.overdue_action_items) == (1, 40.0, 1, 0)
    m2 = metrics.compute(metrics.Filters(MONTHS[2], PERIOD.end, "UTC"), NOW)
    assert m2.incidents == 3 and list(m2.per_month) == [M2]


def test_the_cost_is_a_fixed_number_of_queries(history, count_queries):
    with count_queries() as few:
        metrics.compute(PERIOD, NOW)
    for n in range(20):
        incident_rules.open_incident(SYSTEM, name=f"More {n}", itil_impact=2, itil_urgency=1, at=at(2, 10))
    with count_queries() as many:
        metrics.compute(PERIOD, NOW)
    assert many.count == few.count <= 6


@pytest.mark.parametrize("args, field", [
    ({"start": "yesterday"}, "start"), ({"start": f"{at(2, 2):%Y-%m-%d}", "end": f"{at(2, 1):%Y-%m-%d}"}, "end"),
    ({"priority": "9"}, "priority"), ({"start": f"{at(2, 1).year - 4}-01-01", "end": f"{at(2, 1):%Y-%m-%d}"},
                                      "start"),
])
def test_bad_filters_fall_back_with_a_reason(args, field):
    filters, errors = metrics.parse_filters(args, "UTC", datetime.now(UTC).date())
    assert field in errors
    assert (filters.end - filters.start).days <= metrics.MAX_PERIOD_DAYS


def read_csv(client, query: str) -> dict[tuple[str, str], str]:
    response = client.get("/internal/metrics.csv?" + query)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["metric", "scope", "value", "unit"]
    return {(metric, scope): value for metric, scope, value, _ in rows[1:]}


def test_the_csv_parses_to_the_numbers_on_the_page(client, login, history):
    login("viewer")
    query = QUERY
    numbers = read_csv(client, query)
    assert numbers[("incidents", "all")] == "4"
    assert numbers[("mean_time_to_acknowledge", "all")] == "18.3"
    assert numbers[("mean_time_to_resolve", "all")] == "200.0"
    assert numbers[("sla_breach_rate", "all")] == "66.7"
    assert numbers[("incidents", f"{M2} P2 High")] == "1"
    assert numbers[("mean_time_between_failures", "API")] == "485.2"
    page = client.get("/internal/metrics?" + query).get_data(as_text=True)
    for key in ("incidents", "mean_time_to_acknowledge", "mean_time_to_mitigate", "mean_time_to_resolve",
                "sla_breach_rate", "reopened_incidents", "overdue_action_items"):
        row = page.split(f'data-metric="{key}"')[1].split("</tr>")[0]
        assert f'<td class="num">{numbers[(key, "all")]}</td>' in row, key
    assert "On average we acknowledged incidents in 18 minutes" in page
    assert "On average we resolved incidents in 3 hours 20 minutes" in page
    assert "We missed a service-level target on 2 of the 3 incidents" in page
    assert '<svg viewBox' in page and "<caption>Incidents per month and priority</caption>" in page


def test_the_csv_neutralizes_formulas_in_names(client, login, history):
    component_rules.update_component(SYSTEM, history["api"], name="=HYPERLINK(\"http://x\")")
    login("viewer")
    numbers = read_csv(client, QUERY)
    scopes = {scope for _, scope in numbers}
    assert "'=HYPERLINK(\"http://x\")" in scopes and not any(s.startswith("=") for s in scopes)


def test_bad_filters_answer_400_with_the_reason_not_an_error(client, login):
    login("viewer")
    page = client.get("/internal/metrics?start=nope&priority=x&component=ghost")
    assert page.status_code == 400
    text = page.get_data(as_text=True)
    assert "Give a date as YYYY-MM-DD." in text and "Choose a component from the list." in text
    assert client.get("/internal/metrics.csv?end=nope").status_code == 400


def test_anonymous_readers_are_sent_to_sign_in(client):
    for path in ("/internal/metrics", "/internal/metrics.csv"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]

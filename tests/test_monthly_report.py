"""The monthly report for leaders, on the hand-worked history of test_metrics: November 2026 against October."""
from datetime import date

import pytest
from test_metrics import NOW, history  # noqa: F401  (the shared fixture)

from statuspage.domain import reports
from statuspage.domain.recording import NotFound


def test_the_report_compares_the_month_with_the_one_before(history):  # noqa: F811
    r = reports.monthly_report(date(2026, 11, 1), "UTC", NOW)
    # November: I2, I3, I4. Acknowledged (40 + 5) / 2 = 22.5 min; resolved (420 + 60) / 2 = 240 min;
    # both incidents with a target breached. October: I1 only, 10 min, 120 min, no breach.
    assert [(t.label, t.now, t.before, t.better) for t in r.trends] == [
        ("Incidents", 3, 1, False), ("Mean time to acknowledge", 22.5, 10.0, False),
        ("Mean time to resolve", 240.0, 120.0, False), ("SLA breach rate", 100.0, 0.0, False)]
    assert [(b.incident.name, b.targets) for b in r.breaches] == [("I2", ["acknowledge"]),
                                                                  ("I3", ["acknowledge", "resolve"])]
    assert [(a.item.title, a.overdue) for a in r.actions] == [("Alert on certificate expiry", True),
                                                             ("Runbook", False)]


@pytest.mark.parametrize("text", ["2026-13", "abc", "2026-1", "2999-01", "26-11"])
def test_a_month_that_is_not_one_or_has_not_begun_is_not_found(text):
    with pytest.raises(NotFound):
        reports.parse_month(text, date(2026, 12, 2))


def test_the_report_page_speaks_plainly(client, login, history):  # noqa: F811
    login("viewer")
    page = client.get("/internal/reports/2026-11").get_data(as_text=True)
    assert "Incidents in November 2026" in page
    assert "We had 3 incidents (1 the month before)." in page
    assert "We acknowledged them in 22 minutes on average and resolved them in 4 hours." in page
    assert "We missed a service-level target on 2 of 2 (100.0%)." in page
    assert "<strong>Overdue:</strong> Alert on certificate expiry" in page
    assert client.get("/internal/reports/2026-13").status_code == 404
    assert client.get("/internal/reports").status_code == 302


def test_anonymous_readers_are_sent_to_sign_in(client):
    response = client.get("/internal/reports/2026-11")
    assert response.status_code == 302 and "/login" in response.headers["Location"]

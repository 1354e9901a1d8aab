"""Monitoring in, under stress: two deliveries of one group at the same moment (Alertmanager in an HA pair), and
the retention that keeps the table of received alerts from growing forever."""
import threading
from datetime import timedelta

from alert_payloads import ago, alertmanager, am_alert
from conftest import only_on_postgresql
from test_integrations_alerts import statuses

from statuspage.domain import alerts, retention
from statuspage.domain.alert_payloads import read_group
from statuspage.extensions import db
from statuspage.models import ReceivedAlert
from statuspage.models.columns import utcnow


@only_on_postgresql
def test_two_deliveries_of_the_same_new_alert_at_once_make_one_change(app, web, make_user):
    """Alertmanager in an HA pair may deliver the same group twice at the same moment."""
    user = make_user("bot@example.com", "manager")
    group = read_group("alertmanager", alertmanager(am_alert({"component": "Web", "severity": "critical"}, ago(1))))
    actor, start, errors = alerts.integration_actor("alertmanager", user), threading.Barrier(2), []

    def deliver():
        with app.app_context():
            try:
                start.wait()
                alerts.receive(actor, "alertmanager", group)
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert statuses(web) == ["operational/manual", "major_outage/monitor"]
    assert db.session.scalar(db.select(ReceivedAlert.times_received)) == 2


def test_alerts_received_long_ago_are_purged_with_the_outbox(web, make_user):
    actor = alerts.integration_actor("grafana", make_user("bot@example.com", "manager"))
    alerts.receive(actor, "alertmanager", read_group("alertmanager", alertmanager(am_alert({"component": "Web"},
                                                                                           ago(5)))))
    assert retention.purge(now=utcnow() + timedelta(days=89))["received_alerts"] == 0
    assert retention.purge(now=utcnow() + timedelta(days=91))["received_alerts"] == 1
    assert db.session.scalar(db.select(ReceivedAlert)) is None

"""The worker's clock: maintenance windows start and complete on time, reminders go out once."""
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from statuspage.domain import clock
from statuspage.domain.components import create_component
from statuspage.domain.incidents import post_update
from statuspage.domain.maintenance import reschedule_maintenance, schedule_maintenance
from statuspage.domain.recording import SYSTEM
from statuspage.extensions import db
from statuspage.models import Component, Incident, NotificationEvent
from statuspage.models.columns import utcnow


@pytest.fixture
def window(app):
    """A one-hour window starting in two hours on the API, with a 30-minute reminder."""
    api = create_component(SYSTEM, name="API")
    start = utcnow().replace(microsecond=0) + timedelta(hours=2)
    return schedule_maintenance(SYSTEM, name="Database upgrade", scheduled_for=start,
                                scheduled_until=start + timedelta(hours=1), component_ids=[api.id],
                                remind_minutes_before=30)


def events(kind):
    return db.session.scalars(select(NotificationEvent).where(NotificationEvent.kind == kind)).all()


def fresh(incident):
    db.session.expire_all()
    return db.session.get(Incident, incident.id)


def test_nothing_happens_before_the_window(window):
    assert clock.tick(window.scheduled_for - timedelta(minutes=31)) == {"started": 0, "completed": 0,
                                                                        "reminded": 0, "overdue": 0, "purged": 0,
                                                                        "leadership": 0}
    assert fresh(window).status == "scheduled"


def test_a_reminder_goes_out_once_before_the_start(window):
    assert clock.tick(window.scheduled_for - timedelta(minutes=29))["reminded"] == 1
    assert clock.tick(window.scheduled_for - timedelta(minutes=20))["reminded"] == 0
    reminders = events("maintenance.reminder")
    assert [e.incident_id for e in reminders] == [window.id]
    assert fresh(window).reminded_at is not None


def test_a_rescheduled_window_is_reminded_again(window):
    clock.tick(window.scheduled_for - timedelta(minutes=10))
    later = window.scheduled_for + timedelta(days=1)
    reschedule_maintenance(SYSTEM, window.id, later, later + timedelta(hours=1))
    assert clock.tick(later - timedelta(minutes=10))["reminded"] == 1
    assert len(events("maintenance.reminder")) == 2


def test_no_reminder_when_reminders_are_off(app):
    start = utcnow() + timedelta(minutes=10)
    schedule_maintenance(SYSTEM, name="Quiet", scheduled_for=start, scheduled_until=start + timedelta(hours=1),
                         remind_prior=False, auto_in_progress=False)
    assert clock.tick()["reminded"] == 0


def test_the_window_starts_and_puts_its_components_under_maintenance(window):
    result = clock.tick(window.scheduled_for + timedelta(seconds=1))
    assert result["started"] == 1
    incident = fresh(window)
    assert incident.status == "in_progress"
    assert incident.updates[0].body == clock.STARTED_BODY
    assert db.session.scalars(select(Component.status)).one() == "under_maintenance"
    assert len(events("maintenance.started")) == 1
    assert clock.tick(window.scheduled_for + timedelta(minutes=5))["started"] == 0  # only once


def test_the_window_completes_and_components_return_to_operational(window):
    clock.tick(window.scheduled_for)
    result = clock.tick(window.scheduled_until)
    assert result["completed"] == 1
    incident = fresh(window)
    assert incident.status == "completed" and incident.resolved_at is not None
    assert db.session.scalars(select(Component.status)).one() == "operational"
    assert len(events("maintenance.completed")) == 1
    assert clock.tick(window.scheduled_until + timedelta(hours=1))["completed"] == 0


def test_a_window_left_running_by_hand_is_not_touched(app):
    start = utcnow() - timedelta(hours=2)
    incident = schedule_maintenance(SYSTEM, name="Manual", scheduled_for=start,
                                    scheduled_until=start + timedelta(hours=1), auto_in_progress=False,
                                    auto_completed=False, remind_prior=False)
    assert clock.tick() == {"started": 0, "completed": 0, "reminded": 0, "overdue": 0, "purged": 0,
                            "leadership": 0}
    post_update(SYSTEM, incident.id, status="in_progress", body="Started by hand")
    assert clock.tick()["completed"] == 0
    assert fresh(incident).status == "in_progress"


def test_verifying_windows_complete_too(window):
    clock.tick(window.scheduled_for)
    post_update(SYSTEM, window.id, status="verifying", body="Checking")
    assert clock.tick(window.scheduled_until)["completed"] == 1


def test_two_clocks_racing_start_a_window_once(app, window):
    """Two workers tick at the same moment: one transition, one event."""
    results, errors = [], []
    barrier = threading.Barrier(2)
    moment = window.scheduled_for + timedelta(seconds=1)

    def tick():
        with app.app_context():
            try:
                barrier.wait(5)
                results.append(clock.tick(moment))
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=tick) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert sum(r["started"] for r in results) == 1
    assert len(events("maintenance.started")) == 1
    assert fresh(window).status == "in_progress"

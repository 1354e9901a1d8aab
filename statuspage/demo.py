"""A realistic demo page: three groups of components, 90 days of history, live incident, maintenance.

Everything is written through the domain functions, so the demo has the same history, audit trail and
outbox rows a real page would have.
"""
import random
from datetime import date, timedelta

from .domain import command, leadership, problems, reviews, templates
from .domain import components as comp
from .domain import incidents as inc
from .domain import maintenance as maint
from .domain.recording import Actor, change
from .models import Site
from .models.columns import utcnow

DEMO = Actor(label="demo", source="system")

GROUPS = {
    "Core platform": [("Website", "Marketing site and documentation"), ("Dashboard", "The web app customers use"),
                      ("REST API", "api.acme.test, v1 and v2"), ("Authentication", "Sign-in, SSO and 2FA")],
    "Data": [("Primary database", None), ("Search", "Full-text search across projects"),
             ("File storage", "Uploads and attachments"), ("Backups", None)],
    "Delivery": [("Email notifications", None), ("Webhooks", "Outgoing event webhooks"),
                 ("Mobile push", "iOS and Android notifications"), ("CDN", "Static assets at the edge")],
}

PAST_INCIDENTS = [
    # (days ago, hours long, impact, component statuses, name, updates)
    (3, 1.5, "minor", {"Search": "degraded_performance"}, "Slow search results",
     ["Search queries are taking longer than usual. We are investigating.",
      "A re-indexing job was saturating the cluster; it has been throttled.",
      "Search latency is back to normal."]),
    (9, 0.7, "major", {"REST API": "partial_outage", "Webhooks": "degraded_performance"},
     "Elevated API error rates",
     ["Some API requests are failing with 502 errors.",
      "A faulty load balancer node was removed from rotation.",
      "Error rates have returned to normal."]),
    (17, 2.5, "critical", {"Dashboard": "major_outage", "Authentication": "major_outage"},
     "Dashboard and sign-in unavailable",
     ["Customers cannot sign in to the dashboard. We are investigating with the highest priority.",
      "The cause is an expired certificate on the identity provider. A new certificate is being deployed.",
      "The new certificate is live and sign-ins are working. We are monitoring.",
      "This incident is resolved. A postmortem will follow."]),
    (26, 4, "minor", {"Email notifications": "degraded_performance"}, "Delayed email notifications",
     ["Notification emails are delayed by up to 20 minutes.",
      "Our email provider has confirmed a queue backlog on their side.",
      "The backlog has cleared and emails are delivered on time."]),
    (34, 1, "major", {"File storage": "partial_outage"}, "Uploads failing for some customers",
     ["Some file uploads fail with a timeout.",
      "One storage node ran out of disk space; data is being rebalanced.",
      "Uploads are working again for everyone."]),
    (47, 0.5, "minor", {"CDN": "degraded_performance"}, "Slow asset loading in Asia-Pacific",
     ["Static assets load slowly for customers in Asia-Pacific.",
      "Traffic was rerouted to a healthy edge location."]),
    (58, 3, "critical", {"Primary database": "major_outage", "REST API": "major_outage",
                         "Dashboard": "major_outage"},
     "Full outage caused by database failover",
     ["All services are unavailable. We are investigating.",
      "The primary database failed over and the replica did not promote automatically.",
      "The replica has been promoted manually and services are recovering.",
      "All services are operating normally."]),
    (66, 1.2, "major", {"Mobile push": "partial_outage"}, "Push notifications not delivered on iOS",
     ["iOS push notifications are not being delivered.",
      "An expired APNs key was rotated.",
      "iOS notifications are delivered again."]),
    (79, 0.8, "minor", {"Search": "degraded_performance"}, "Search index lagging behind",
     ["New items take up to 15 minutes to appear in search.",
      "The indexer has caught up."]),
    (86, 2, "major", {"Webhooks": "partial_outage"}, "Webhook deliveries delayed",
     ["Outgoing webhooks are delayed.",
      "A worker pool was scaled up and the queue is draining.",
      "All queued webhooks have been delivered."]),
]


def _statuses(updates: int) -> list[str]:
    return {2: ["investigating", "resolved"], 3: ["investigating", "identified", "resolved"],
            4: ["investigating", "identified", "monitoring", "resolved"]}[updates]


def _published_review(incident_id: str, now) -> None:
    """A published post-incident review with three action items: one done, one overdue, one due later."""
    reviews.start_review(DEMO, incident_id)
    reviews.save_review(
        DEMO, incident_id,
        summary="Sign-in and the dashboard failed for everyone for two and a half hours: the TLS certificate of "
                "our identity provider expired at 09:12 UTC.",
        contributing_factors="- The identity provider was added by hand, outside the automated renewal.\n"
                             "- No alert watched certificate expiry dates.",
        root_cause="Renewal was automated for every host but this one.",
        went_well="- The cause was found within 20 minutes.\n- Status updates went out every 30 minutes.",
        went_badly="- Nobody was paged until customers wrote in.\n- Renewing by hand took an hour.")
    for title, due, done in (("Alert 21 days before any certificate expires", now.date() - timedelta(days=5), False),
                             ("Move the identity provider behind the automated renewal",
                              now.date() + timedelta(days=14), False),
                             ("Renew the certificate for two years", now.date() - timedelta(days=16), True)):
        item = reviews.add_action_item(DEMO, incident_id, title, due_date=due)
        if done:
            reviews.set_action_item_done(DEMO, item.id, True)
    reviews.move_review(DEMO, incident_id, "in_review")
    reviews.move_review(DEMO, incident_id, "published", notify=False)


def _problems(outage_id: str, live_id: str) -> None:
    """Two problems: a known error whose workaround shows on /internal (the live incident hits its component),
    and an open one behind the full outage."""
    pool = problems.create_problem(
        DEMO, "Connection pool too small after deploys", incident_id=live_id,
        symptom="REST API requests time out for some minutes after a deploy.",
        root_cause="Deploys reset the pool to its default of 10 connections.",
        workaround="Restart the API pods with `kubectl rollout restart deploy/api`; the pool size is read again.")
    problems.move_problem(DEMO, pool.id, "known_error")
    problems.create_problem(DEMO, "Primary database fails over slowly", incident_id=outage_id,
                            symptom="Writes fail for minutes when the primary database node is lost.")


TEMPLATES = [
    # (title, incident name, impact, {component: status}, first update)
    ("API errors", "Elevated error rates on the REST API", "major", {"REST API": "partial_outage"},
     "Some API requests are failing. We are investigating and will update within 30 minutes."),
    ("Sign-in problems", "Customers cannot sign in", "critical",
     {"Authentication": "major_outage", "Dashboard": "degraded_performance"},
     "Customers cannot sign in to the dashboard. We are investigating with the highest priority."),
    ("Delayed notifications", "Delayed email and push notifications", "minor",
     {"Email notifications": "degraded_performance", "Mobile push": "degraded_performance"},
     "Notifications are arriving late. Nothing is lost: every message will be delivered."),
]


def _templates(ids: dict) -> None:
    for title, name, impact, affected, body in TEMPLATES:
        templates.create_template(DEMO, title=title, name=name, impact=impact, body=body,
                                  components={ids[c]: s for c, s in affected.items()})


def seed(now=None) -> str:
    """Create the demo page; returns a one-line summary."""
    now = now or utcnow()
    rng = random.Random(42)
    ack_rng = random.Random(7)  # apart from ``rng``, so the incidents' times stay what they were
    with change():
        site = Site.get()
        # No Public URL: links then point at the address the demo is served on (domain.public_address).
        site.name, site.time_zone = "Acme Cloud Status", "Europe/London"
    born = now - timedelta(days=120)
    ids = {}
    for group_name, members in GROUPS.items():
        group = comp.create_group(DEMO, name=group_name)
        for name, description in members:
            start = date(2025, 1, 1) if name != "Mobile push" else (now - timedelta(days=40)).date()
            ids[name] = comp.create_component(DEMO, at=born, name=name, description=description,
                                              group_id=group.id, start_date=start).id
    ids["Billing batch jobs"] = comp.create_component(
        DEMO, at=born, name="Billing batch jobs", description="Nightly invoicing (staff only)",
        visibility="internal", start_date=date(2025, 1, 1)).id

    for days_ago, hours, impact, affected, name, texts in PAST_INCIDENTS:
        start = now - timedelta(days=days_ago, hours=rng.randint(0, 10), minutes=rng.randint(0, 59))
        if name == "Push notifications not delivered on iOS" and days_ago > 40:
            start = now - timedelta(days=38, hours=3)
        statuses = _statuses(len(texts))
        incident = inc.open_incident(DEMO, name=name, status=statuses[0], impact=impact, body=texts[0],
                                     components={ids[c]: s for c, s in affected.items()}, at=start,
                                     deliver_notifications=False, itil_impact=1 if impact == "critical" else 2,
                                     itil_urgency=1 if impact != "minor" else 2, major=impact == "critical")
        step = timedelta(hours=hours) / (len(texts) - 1)
        for n, (status, text) in enumerate(zip(statuses[1:], texts[1:], strict=True), start=1):
            inc.post_update(DEMO, incident.id, status=status, body=text, at=start + step * n,
                            deliver_notifications=False)
        # Acknowledged within minutes (the full outage 58 days ago late: the demo's SLA breach), mitigated
        # at the update before the last.
        ack = timedelta(minutes=27 if days_ago == 58 else ack_rng.randint(3, 12))
        command.correct_times(DEMO, incident.id, acknowledged_at=start + ack,
                              mitigated_at=start + step * (len(texts) - 2) if len(texts) > 2 else None)
        if impact == "critical" and days_ago == 17:
            _published_review(incident.id, now)
        if impact == "critical" and days_ago == 58:
            ids["_outage58"] = incident.id

    # The live incident: three public updates and one internal note.
    live_start = now - timedelta(minutes=52)
    live = inc.open_incident(DEMO, name="Increased latency on the REST API", status="investigating",
                             body="We are seeing increased response times on the REST API and are investigating.",
                             components={ids["REST API"]: "degraded_performance"}, at=live_start,
                             deliver_notifications=False, itil_impact=2, itil_urgency=1, major=True)
    inc.post_update(DEMO, live.id, status="investigating", at=live_start + timedelta(minutes=5),
                    visibility="internal", deliver_notifications=False,
                    body="Internal: on-call suspects the new connection-pool settings from deploy #4812.")
    inc.post_update(DEMO, live.id, status="identified", at=live_start + timedelta(minutes=21),
                    components={ids["REST API"]: "partial_outage"}, deliver_notifications=False,
                    body="We identified a misconfigured connection pool after this morning's deploy. "
                         "Some requests **time out**. A fix is being rolled out.")
    inc.post_update(DEMO, live.id, status="monitoring", at=live_start + timedelta(minutes=44),
                    components={ids["REST API"]: "degraded_performance"}, deliver_notifications=False,
                    body="The fix is deployed to all regions. Response times are improving; we are monitoring.")
    leadership.post_summary(DEMO, live.id,
                            current_status="API slower than usual, a few requests time out; the fix is deployed "
                                           "and response times are improving.",
                            overview="A connection-pool setting in this morning's deploy left the API short of "
                                     "database connections. Customers saw slow pages, some errors.",
                            next_steps="Watch latency for 30 minutes, then resolve. Review the deploy checklist "
                                       "in the post-incident review.")

    # A staff-only incident nobody has acknowledged yet, its acknowledge timer past the 75% warning.
    inc.open_incident(DEMO, name="Nightly invoicing run stalled", visibility="internal",
                      body="The invoicing job has not progressed for 20 minutes.",
                      components={ids["Billing batch jobs"]: "partial_outage"},
                      at=now - timedelta(minutes=25), deliver_notifications=False, itil_impact=2, itil_urgency=1)

    # Maintenance: one completed three weeks ago, one upcoming in three days.
    past_start = (now - timedelta(days=21)).replace(hour=2, minute=0, second=0, microsecond=0)
    done = maint.schedule_maintenance(DEMO, name="Database engine upgrade", scheduled_for=past_start,
                                      scheduled_until=past_start + timedelta(hours=2),
                                      component_ids=[ids["Primary database"], ids["Backups"]],
                                      body="We will upgrade the database engine. Brief read-only periods are "
                                           "expected.", at=past_start - timedelta(days=7),
                                      deliver_notifications=False)
    inc.post_update(DEMO, done.id, status="in_progress", at=past_start, deliver_notifications=False,
                    components={ids["Primary database"]: "under_maintenance", ids["Backups"]: "under_maintenance"},
                    body="The maintenance has started.")
    inc.post_update(DEMO, done.id, status="completed", at=past_start + timedelta(minutes=95),
                    deliver_notifications=False, body="The upgrade is complete. Thank you for your patience.")
    soon = (now + timedelta(days=3)).replace(hour=1, minute=0, second=0, microsecond=0)
    maint.schedule_maintenance(DEMO, name="Search cluster migration", scheduled_for=soon,
                               scheduled_until=soon + timedelta(hours=3), component_ids=[ids["Search"]],
                               body="We are moving search to a new cluster. Search results may be incomplete "
                                    "for up to 30 minutes during the window.", deliver_notifications=False)
    _problems(ids.pop("_outage58"), live.id)
    _templates(ids)
    return (f"{len(ids)} components in {len(GROUPS)} groups, {len(PAST_INCIDENTS) + 1} incidents, "
            f"2 maintenance windows, {len(TEMPLATES)} incident templates")

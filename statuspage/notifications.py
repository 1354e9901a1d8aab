"""The context a notification template receives, built for one subscriber and already trimmed to what the
subscriber's audience may see (``domain.visibility``). ``notifiers`` render it; they never query.

``EventContexts`` caches the audience-level part per (event, audience), so a batch of a thousand deliveries
of one event costs one incident serialization per audience, not one per subscriber.
"""
import time
from datetime import datetime
from urllib.parse import urlsplit

from .domain import visibility
from .domain.overview import page_status
from .domain.priority import PRIORITY_LABEL
from .domain.public_address import public_url
from .domain.status import (
    COMPONENT_STATUS_LABEL,
    IMPACT_LABEL,
    INCIDENT_STATUS_LABEL,
)
from .domain.subscription_tokens import links_base
from .domain.subscriptions import confirmation_code, subscription_links
from .extensions import db
from .markdown_text import markdown_text
from .models import (
    Incident,
    IncidentUpdate,
    NotificationEvent,
    Site,
    Subscriber,
    User,
)
from .rendering import render_markdown, zone
from .serialize import incident_json

LOCAL_FORMAT = "%d %b %Y, %H:%M %Z"


def incident_url(incident_id: str, audience: str) -> str:
    """The incident's page for ``audience``: staff are sent to the internal page, with owner, timers and notes."""
    prefix = "/internal" if audience == visibility.INTERNAL else ""
    return public_url(f"{prefix}/incidents/{incident_id}")


def local(value: datetime | None, tz_name: str) -> str | None:
    return value.astimezone(zone(tz_name)).strftime(LOCAL_FORMAT) if value else None


def window_local(incident: Incident, tz_name: str) -> str | None:
    """'02 Mar 2025, 22:00 – 23:30 CET' (or both dates when the window spans days)."""
    if not incident.scheduled_for or not incident.scheduled_until:
        return None
    start = incident.scheduled_for.astimezone(zone(tz_name))
    end = incident.scheduled_until.astimezone(zone(tz_name))
    end_text = end.strftime("%H:%M %Z") if end.date() == start.date() else end.strftime(LOCAL_FORMAT)
    return f"{start.strftime('%d %b %Y, %H:%M')} – {end_text}"


def site_context(site: Site, audience: str) -> dict:
    status = page_status(audience)
    return {"name": site.name, "url": public_url(), "time_zone": site.time_zone,
            "page_id": site.page_id, "status_indicator": status.indicator,
            "status_description": status.description}


def incident_context(incident: Incident, audience: str, site: Site) -> dict:
    internal = audience == visibility.INTERNAL
    components = visibility.visible_components_of(incident, audience)
    status_by_id = {link.component_id: link.status for link in incident.affected}
    owner = db.session.get(User, incident.owner_id) if internal and incident.owner_id else None
    visible_ids = None if internal else {c.id for c in components}
    return {
        "id": incident.id, "name": incident.name, "kind": incident.kind, "status": incident.status,
        "status_label": INCIDENT_STATUS_LABEL.get(incident.status, incident.status),
        "impact": incident.impact, "impact_label": IMPACT_LABEL.get(incident.impact, incident.impact),
        "url": incident_url(incident.id, audience),
        "started_at": incident.started_at, "resolved_at": incident.resolved_at,
        "scheduled_for": incident.scheduled_for, "scheduled_until": incident.scheduled_until,
        "window_local": window_local(incident, site.time_zone),
        "components": [{"id": c.id, "name": c.name, "status": status_by_id.get(c.id, c.status),
                        "status_label": COMPONENT_STATUS_LABEL.get(status_by_id.get(c.id, c.status), "")}
                       for c in components],
        "priority_label": PRIORITY_LABEL.get(incident.priority) if internal and incident.priority else None,
        "owner": owner.display_name if owner else None,
        "statuspage": incident_json(incident, audience, site.page_id, visible_ids),
    }


def update_context(update: IncidentUpdate, site: Site) -> dict:
    return {
        "id": update.id, "status": update.status,
        "status_label": INCIDENT_STATUS_LABEL.get(update.status, update.status),
        "body": update.body, "body_html": str(render_markdown(update.body)),
        "body_text": markdown_text(update.body),
        "display_at": update.display_at, "display_at_local": local(update.display_at, site.time_zone),
        "internal": update.visibility == "internal", "summary": update.kind == "summary",
    }


THREAD_OPENERS = ("incident.opened", "maintenance.scheduled")


def thread_ids(incident_id: str, event: NotificationEvent, audience: str, site_url: str) -> dict:
    """Message-IDs that thread an incident's emails: the incident's first message (deterministic, from the
    incident id and the site's domain) and this update's own id; a retry sends the same id again."""
    domain = (urlsplit(site_url).hostname or "").strip(".") or "statuspage.invalid"
    root = f"<incident.{incident_id}@{domain}>"
    if event.kind in THREAD_OPENERS:
        return {"message_id": root, "root_id": root}
    return {"message_id": f"<incident.{incident_id}.{event.id}.{audience}@{domain}>", "root_id": root}


def subscriber_context(subscriber: Subscriber, event: NotificationEvent, links_base: str | None = None) -> dict:
    """Links signed for this subscriber (domain.subscriptions), and the SMS confirmation code if any: derived
    now from the subscriber's row, as the outbox holds no secret."""
    confirming = event.kind == "subscription.confirm"
    links = subscription_links(subscriber, confirm=confirming, base=links_base)
    code = confirmation_code(subscriber) if confirming else None
    return {"id": subscriber.public_id, "channel": subscriber.channel, "audience": subscriber.audience,
            **links, "confirm_code": code}


class EventContexts:
    """Builds per-subscriber contexts, caching the audience-level part of each event for ``max_age`` seconds
    (a worker keeps one across batches, so a fan-out of 100,000 costs one serialization per audience every few
    seconds rather than one per batch, and the page status it reports stays that fresh)."""

    def __init__(self, max_age: float | None = None):
        self.max_age = max_age
        self._cache: dict[tuple[int, str], dict] = {}
        self._links_base: str | None = None  # where subscription links start, as fresh as the cache
        self._since = time.monotonic()

    def base(self, event: NotificationEvent, audience: str) -> dict:
        if self.max_age is not None and time.monotonic() - self._since > self.max_age:
            self._cache.clear()
            self._links_base = None
            self._since = time.monotonic()
        key = (event.id, audience)
        if key not in self._cache:
            site = Site.get()
            incident = db.session.get(Incident, event.incident_id) if event.incident_id else None
            update = db.session.get(IncidentUpdate, event.update_id) if event.update_id else None
            if incident is not None and not visibility.can_see_incident(incident, audience):
                incident = None
            if update is not None and audience == visibility.PUBLIC and not update.is_public:
                update = None
            self._cache[key] = {
                "event": event.kind, "audience": audience, "site": site_context(site, audience),
                "incident": incident_context(incident, audience, site) if incident else None,
                "update": update_context(update, site) if update else None,
                "short_url": incident_url(incident.id, audience) if incident else public_url(),
                "payload": dict(event.payload or {}),
            }
            if incident is not None:
                self._cache[key]["thread"] = thread_ids(incident.id, event, audience,
                                                        self._cache[key]["site"]["url"])
        return self._cache[key]

    def for_subscriber(self, event: NotificationEvent, subscriber: Subscriber) -> dict:
        audience = visibility.INTERNAL if subscriber.audience == "internal" else visibility.PUBLIC
        base = self.base(event, audience)
        if self._links_base is None:
            self._links_base = links_base()
        return base | {"subscriber": subscriber_context(subscriber, event, self._links_base)}


def build_context(event: NotificationEvent, subscriber: Subscriber) -> dict:
    """The template context of ``event`` for ``subscriber`` (one-off; the worker uses EventContexts)."""
    return EventContexts().for_subscriber(event, subscriber)

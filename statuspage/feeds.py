"""Public feeds: incident history as RSS and Atom (feedgen) and maintenance windows as iCalendar.

Everything here is for the public audience only (``domain.visibility``) and is rendered once per site
version through ``snapshot.serve``. Each feed entry links to the incident's public page and carries its
latest public update as sanitized HTML; each calendar event is one maintenance window in UTC.

Each public component has the same three at ``/components/<id>/``: its incidents only, and each entry carries
the whole public timeline (every public update newest first, human-readable times) under the published
postmortem. An internal or unknown component is 404, whichever surface is asked for.

Every text that comes from a record passes ``xml_safe`` (``clean_line``/``clean_text`` in the calendar)
here, although writes clean it already (``domain.text``): one record written before cleaning, or by hand,
must never take a feed down for everyone.
"""
from datetime import timedelta

from feedgen.feed import FeedGenerator
from flask import Blueprint, abort, request
from icalendar import Calendar, Event
from markupsafe import escape
from sqlalchemy import select

from . import snapshot
from .domain import visibility
from .domain.overview import incident_loader
from .domain.public_address import public_url
from .domain.status import INCIDENT_STATUS_LABEL
from .domain.text import clean_line, clean_text, xml_safe
from .domain.visibility import PUBLIC
from .extensions import db
from .models import Component, Incident, IncidentComponent, Site
from .models.columns import utcnow
from .rendering import human_time, iso_utc, render_markdown

bp = Blueprint("feeds", __name__)

FEED_LIMIT = 50
CALENDAR_PAST_DAYS = 30
CALENDAR_LIMIT = 200


def incident_url(incident: Incident) -> str:
    return public_url(f"/incidents/{incident.id}")


def _latest_public_update(incident: Incident):
    updates = visibility.visible_updates(incident, PUBLIC)
    return updates[0] if updates else None


def entry_html(incident: Incident) -> str:
    """The latest public update: its status and time, then its body as sanitized Markdown."""
    update = _latest_public_update(incident)
    if update is None:
        return ""
    label = INCIDENT_STATUS_LABEL.get(update.status, update.status)
    heading = f"<p><strong>{escape(label)}</strong> ({escape(iso_utc(update.display_at))})</p>"
    return xml_safe(heading + str(render_markdown(update.body)))


def timeline_html(incident: Incident, tz_name: str) -> str:
    """The published postmortem, then every public update newest first, each with its status and a time for
    people in the site's zone, as sanitized HTML."""
    parts = []
    if incident.postmortem_body and incident.postmortem_published_at:
        published = escape(human_time(incident.postmortem_published_at, tz_name))
        parts.append(f"<h3>Postmortem</h3><p><small>Published {published}</small></p>"
                     f"{render_markdown(incident.postmortem_body)}")
    for update in visibility.visible_updates(incident, PUBLIC):
        label = INCIDENT_STATUS_LABEL.get(update.status, update.status)
        parts.append(f"<p><small>{escape(human_time(update.display_at, tz_name))}</small><br>"
                     f"<strong>{escape(label)}</strong></p>{render_markdown(update.body)}")
    return xml_safe("".join(parts))


def public_component(component_id: str) -> Component:
    """The public component ``component_id``; 404 for an internal or unknown one alike (an id tells nothing)."""
    component = db.session.get(Component, component_id) if len(component_id) <= 16 else None
    if component is None or not visibility.can_see_component(component, PUBLIC):
        abort(404)
    return component


def serve_component(component_id: str, render, mimetype: str, cors: bool = False):
    """``snapshot.serve`` for one of a component's surfaces: ``render(component, now)`` runs on a miss only."""
    if snapshot.public_key(request.path, "") is None:
        abort(404)
    return snapshot.serve(lambda now: render(public_component(component_id), now), mimetype, cors=cors)


def _affects(component: Component | None):
    """A WHERE clause: incidents that affect ``component`` (None: every incident)."""
    if component is None:
        return visibility.incident_filter(PUBLIC)
    return visibility.incident_filter(PUBLIC) & Incident.id.in_(
        select(IncidentComponent.incident_id).where(IncidentComponent.component_id == component.id))


def _history_rows(component: Component | None = None) -> list[Incident]:
    query = (select(Incident).options(*incident_loader()).where(_affects(component))
             .order_by(Incident.updated_at.desc(), Incident.id).limit(FEED_LIMIT))
    return list(db.session.scalars(query))


def build_history_feed(self_path: str, now=None, component: Component | None = None) -> FeedGenerator:
    """A feed of the 50 most recently updated public incidents and maintenances, newest first; ``now`` (the
    public version's time in a snapshot) is its build date, so every process renders the same bytes. With
    ``component``, only the incidents that affect it, each entry with its whole public timeline."""
    site = Site.get()
    rows = _history_rows(component)
    fg = FeedGenerator()
    if component is None:
        fg.id(public_url("/history"))
        fg.title(xml_safe(f"{site.name}: incident history"))
        fg.description(xml_safe(f"Incidents and maintenance for {site.name}"))
    else:
        fg.id(public_url(f"/components/{component.id}"))
        fg.title(xml_safe(f"{site.name}: {component.name} incident history"))
        fg.description(xml_safe(f"Incidents and maintenance affecting {component.name} on {site.name}"))
    fg.link(href=public_url(self_path), rel="self")
    fg.link(href=public_url("/history") if component is None else public_url("/"), rel="alternate")
    fg.language("en")
    fg.updated(max((i.updated_at for i in rows), default=site.public_changed_at or site.updated_at))
    fg.lastBuildDate(now or site.public_changed_at or site.updated_at)
    for incident in rows:
        entry = fg.add_entry(order="append")
        entry.id(incident_url(incident))
        entry.guid(incident_url(incident), permalink=True)
        prefix = "Maintenance: " if incident.is_maintenance else ""
        entry.title(xml_safe(f"{prefix}{incident.name}"))
        entry.link(href=incident_url(incident))
        entry.published(incident.created_at)
        entry.updated(incident.updated_at)
        html = entry_html(incident) if component is None else timeline_html(incident, site.time_zone)
        entry.description(html)
        entry.content(html, type="html")
    return fg


@bp.get("/history.rss")
def history_rss():
    return snapshot.serve(lambda now: build_history_feed("/history.rss", now).rss_str(pretty=True),
                          "application/rss+xml")


@bp.get("/history.atom")
def history_atom():
    return snapshot.serve(lambda now: build_history_feed("/history.atom", now).atom_str(pretty=True),
                          "application/atom+xml")


def build_maintenance_calendar(component: Component | None = None) -> Calendar:
    """Public maintenance windows that end in the future or ended in the last 30 days, one VEVENT each
    (with ``component``, the windows that affect it)."""
    site = Site.get()
    since = utcnow() - timedelta(days=CALENDAR_PAST_DAYS)
    query = (select(Incident).options(*incident_loader())
             .where(Incident.kind == "maintenance", _affects(component),
                    Incident.scheduled_for.is_not(None), Incident.scheduled_until >= since)
             .order_by(Incident.scheduled_for, Incident.id).limit(CALENDAR_LIMIT))
    cal = Calendar()
    cal.add("prodid", "-//statuspage//maintenance calendar//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", clean_line(f"{site.name} maintenance" + (f": {component.name}" if component else "")))
    host = public_url().split("//", 1)[-1] or "statuspage"
    for incident in db.session.scalars(query):
        update = _latest_public_update(incident)
        event = Event()
        event.add("uid", f"{incident.id}@{host}")
        event.add("dtstamp", incident.updated_at)
        event.add("last-modified", incident.updated_at)
        event.add("dtstart", incident.scheduled_for)
        event.add("dtend", incident.scheduled_until)
        event.add("summary", clean_line(incident.name))
        status = INCIDENT_STATUS_LABEL.get(incident.status, incident.status)
        event.add("description", clean_text(f"{status}. {update.body}" if update else status))
        event.add("url", incident_url(incident))
        event.add("status", "CANCELLED" if _was_cancelled(incident) else "CONFIRMED")
        cal.add_component(event)
    return cal


def _was_cancelled(incident: Incident) -> bool:
    """Completed before its window opened: ``cancel_maintenance`` closed it."""
    return (incident.status == "completed" and incident.resolved_at is not None
            and incident.resolved_at < incident.scheduled_for)


@bp.get("/maintenance.ics")
def maintenance_calendar():
    return snapshot.serve(lambda now: build_maintenance_calendar().to_ical(), "text/calendar")


@bp.get("/components/<component_id>/history.rss")
def component_history_rss(component_id: str):
    """One public component's incidents as RSS."""
    return serve_component(component_id, lambda c, now: build_history_feed(
        f"/components/{c.id}/history.rss", now, c).rss_str(pretty=True), "application/rss+xml")


@bp.get("/components/<component_id>/history.atom")
def component_history_atom(component_id: str):
    """One public component's incidents as Atom."""
    return serve_component(component_id, lambda c, now: build_history_feed(
        f"/components/{c.id}/history.atom", now, c).atom_str(pretty=True), "application/atom+xml")


@bp.get("/components/<component_id>/maintenance.ics")
def component_maintenance_calendar(component_id: str):
    """One public component's maintenance windows as iCalendar."""
    return serve_component(component_id, lambda c, now: build_maintenance_calendar(c).to_ical(), "text/calendar")

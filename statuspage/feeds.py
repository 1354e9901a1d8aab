"""Public feeds: incident history as RSS and Atom (feedgen) and maintenance windows as iCalendar.

Everything here is for the public audience only (``domain.visibility``) and is rendered once per site
version through ``snapshot.serve``. Each feed entry links to the incident's public page and carries its
latest public update as sanitized HTML; each calendar event is one maintenance window in UTC.

Every text that comes from a record passes ``xml_safe`` (``clean_line``/``clean_text`` in the calendar)
here, although writes clean it already (``domain.text``): one record written before cleaning, or by hand,
must never take a feed down for everyone.
"""
from datetime import timedelta

from feedgen.feed import FeedGenerator
from flask import Blueprint
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
from .models import Incident, Site
from .models.columns import utcnow
from .rendering import iso_utc, render_markdown

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


def _history_rows() -> list[Incident]:
    query = (select(Incident).options(*incident_loader()).where(visibility.incident_filter(PUBLIC))
             .order_by(Incident.updated_at.desc(), Incident.id).limit(FEED_LIMIT))
    return list(db.session.scalars(query))


def build_history_feed(self_path: str, now=None) -> FeedGenerator:
    """A feed of the 50 most recently updated public incidents and maintenances, newest first; ``now`` (the
    public version's time in a snapshot) is its build date, so every process renders the same bytes."""
    site = Site.get()
    rows = _history_rows()
    fg = FeedGenerator()
    fg.id(public_url("/history"))
    fg.title(xml_safe(f"{site.name}: incident history"))
    fg.description(xml_safe(f"Incidents and maintenance for {site.name}"))
    fg.link(href=public_url(self_path), rel="self")
    fg.link(href=public_url("/history"), rel="alternate")
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
        html = entry_html(incident)
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


def build_maintenance_calendar() -> Calendar:
    """Public maintenance windows that end in the future or ended in the last 30 days, one VEVENT each."""
    site = Site.get()
    since = utcnow() - timedelta(days=CALENDAR_PAST_DAYS)
    query = (select(Incident).options(*incident_loader())
             .where(Incident.kind == "maintenance", visibility.incident_filter(PUBLIC),
                    Incident.scheduled_for.is_not(None), Incident.scheduled_until >= since)
             .order_by(Incident.scheduled_for, Incident.id).limit(CALENDAR_LIMIT))
    cal = Calendar()
    cal.add("prodid", "-//statuspage//maintenance calendar//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", clean_line(f"{site.name} maintenance"))
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

"""The site's own settings: name, public URL, time zone, logo, accent colour, support link.

``update_site`` validates every field (DomainError naming the field), writes them with an audit entry and a
site version bump, in one transaction. The site row's ``revision`` moves with *every* public write (it is the
version counter of the row, and each incident bumps the site version), so a stale revision alone is not a
conflict: only a settings change saved by someone else since ``expected_revision`` is, and the Conflict
lists it.
"""
import re
from functools import lru_cache
from urllib.parse import urlsplit
from zoneinfo import available_timezones

from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from ..models import AuditEntry, Site
from .recording import Actor, Conflict, DomainError, bump_site_version, change, record
from .text import clean_line, has_unsafe_characters

FIELDS = ("name", "url", "time_zone", "logo_url", "accent_color", "support_url")
LABELS = {"name": "Site name", "url": "Public URL", "time_zone": "Time zone", "logo_url": "Logo URL",
          "accent_color": "Accent colour", "support_url": "Support link"}
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


@lru_cache(maxsize=1)
def time_zones() -> list[str]:
    """Every IANA zone name this machine knows, sorted (UTC first)."""
    return ["UTC"] + sorted(z for z in available_timezones() if z != "UTC" and "/" in z)


def describe_site(site: Site) -> dict:
    return {field: getattr(site, field) for field in FIELDS}


def _url(value: str, field: str, limit: int, schemes=("http", "https")) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    if has_unsafe_characters(value):
        raise DomainError("an address cannot contain control characters or line breaks", field=field)
    if len(value) > limit:
        raise DomainError(f"keep it under {limit} characters", field=field)
    parts = urlsplit(value)
    if parts.scheme not in schemes or (parts.scheme != "mailto" and not parts.netloc):
        raise DomainError(f"use a full address starting with {' or '.join(s + ':' for s in schemes)}",
                          field=field)
    return value


def clean_settings(fields: dict) -> dict:
    """The given fields, trimmed and checked; raises DomainError for the first bad one."""
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise DomainError(f"unknown setting {sorted(unknown)[0]}", field=sorted(unknown)[0])
    clean = {}
    if "name" in fields:
        name = clean_line(fields["name"] or "")
        if not name:
            raise DomainError("give the site a name", field="name")
        if len(name) > 120:
            raise DomainError("keep the name under 120 characters", field="name")
        clean["name"] = name
    if "url" in fields:
        clean["url"] = _url(fields["url"], "url", 300)
    if "logo_url" in fields:
        clean["logo_url"] = _url(fields["logo_url"], "logo_url", 500)
    if "support_url" in fields:
        clean["support_url"] = _url(fields["support_url"], "support_url", 300, ("http", "https", "mailto"))
    if "time_zone" in fields:
        tz = (fields["time_zone"] or "").strip()
        if tz not in time_zones():
            raise DomainError("pick a time zone from the list, e.g. Europe/Paris", field="time_zone")
        clean["time_zone"] = tz
    if "accent_color" in fields:
        colour = (fields["accent_color"] or "").strip()
        if not _COLOUR.fullmatch(colour):
            raise DomainError("use a colour like #1f6feb", field="accent_color")
        clean["accent_color"] = colour.lower()
    return clean


def changes_since(revision: int) -> dict:
    """{field: current value} for settings someone saved after ``revision`` (empty when none did)."""
    entries = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "site.update")
                                 .order_by(AuditEntry.id.desc()).limit(50)).all()
    changed = {}
    for entry in entries:
        after = entry.after or {}
        if int(after.get("revision", 0)) <= revision:
            continue
        for key in after:
            if key in FIELDS and (entry.before or {}).get(key) != after[key]:
                changed.setdefault(key, after[key])
    site = Site.get()
    return {key: getattr(site, key) for key in changed}


def update_site(actor: Actor, expected_revision: int | None = None, **fields) -> Site:
    """Save settings; Conflict (409, .current = the settings changed meanwhile) if someone saved settings
    after ``expected_revision``; DomainError for a bad value."""
    clean = clean_settings(fields)
    try:
        with change():
            site = Site.get()
            if expected_revision is not None and int(expected_revision) != site.revision:
                meanwhile = changes_since(int(expected_revision))
                if meanwhile:
                    raise Conflict("the settings were changed by someone else since you opened them",
                                   current=meanwhile)
            before = describe_site(site)
            for key, value in clean.items():
                setattr(site, key, value)
            if describe_site(site) == before:
                return site
            bump_site_version()
            db.session.flush()  # the row's revision moves here; the audit entry records it
            record(actor, "site.update", "site", site.id, site.name,
                   before={**before, "revision": site.revision - 1},
                   after={**describe_site(site), "revision": site.revision})
    except StaleDataError:
        raise Conflict("the settings were saved by someone else at the same moment; try again") from None
    return site

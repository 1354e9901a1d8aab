"""Jinja filters and globals: sanitized Markdown, <time> tags in the site's zone, status words."""
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

from .domain.priority import PRIORITY_LABEL
from .domain.status import COMPONENT_STATUS_LABEL, IMPACT_LABEL, INCIDENT_STATUS_LABEL

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")
# Headings from h2 down: the page has its own h1, so "# Title" in a postmortem becomes an h2 (below).
_ALLOWED_TAGS = {"p", "br", "strong", "em", "code", "pre", "ul", "ol", "li", "a", "blockquote", "h2", "h3",
                 "h4", "h5", "h6", "hr", "table", "thead", "tbody", "tr", "th", "td", "del"}


def _no_h1(state) -> None:
    for token in state.tokens:
        if token.tag == "h1":
            token.tag = "h2"


_md.core.ruler.push("no_h1", _no_h1)


def render_markdown(text: str | None) -> Markup:
    """Markdown to HTML that is safe to embed: raw HTML is escaped, then nh3 keeps only harmless tags."""
    html = _md.render(text or "")
    clean = nh3.clean(html, tags=_ALLOWED_TAGS, attributes={"a": {"href", "title"}},
                      url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer nofollow")
    return Markup(clean)  # noqa: S704 - sanitized by nh3 just above


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def iso_utc(value: datetime | None) -> str | None:
    """ISO-8601 with milliseconds and Z, as Statuspage writes timestamps."""
    if value is None:
        return None
    value = value.astimezone(UTC)  # four-digit year even before 1000: strftime's %Y does not pad on Linux
    return f"{value.year:04d}" + value.strftime("-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def human_time(value: datetime, tz_name: str = "UTC", fmt: str = "%d %b %Y, %H:%M %Z") -> str:
    """A time for people in the site's zone: '2 Dec 2026, 04:13 UTC' (feeds, badges and pages say it alike)."""
    return value.astimezone(zone(tz_name)).strftime(fmt).lstrip("0")


def time_tag(value: datetime | None, tz_name: str = "UTC", fmt: str = "%d %b %Y, %H:%M %Z",
             relative: bool = False, local: bool = True) -> Markup:
    """<time datetime="..."> showing the time in the site's zone; static/js/time.js localizes it unless
    ``local`` is false (a screen whose times are typed in the site's zone shows that zone only)."""
    if value is None:
        return Markup("")
    text = human_time(value, tz_name, fmt)
    attrs = (' data-local' if local else '') + (' data-relative' if relative else '')
    return Markup(f'<time datetime="{iso_utc(value)}"{attrs}>{escape(text)}</time>')  # noqa: S704


def human_duration(delta: timedelta | None) -> str:
    if delta is None:
        return ""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 1:
        return "less than a minute"
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days} day{'s' if days != 1 else ''}")
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if mins and not days:
        parts.append(f"{mins} minute{'s' if mins != 1 else ''}")
    return " ".join(parts)


def init_app(app) -> None:
    app.jinja_env.filters.update(
        markdown=render_markdown,
        time_tag=time_tag,
        iso_utc=iso_utc,
        duration=human_duration,
        component_status=lambda s: COMPONENT_STATUS_LABEL.get(s, s),
        impact_label=lambda s: IMPACT_LABEL.get(s, s),
        incident_status=lambda s: INCIDENT_STATUS_LABEL.get(s, s),
        priority_label=lambda p: PRIORITY_LABEL.get(p, "") if p else "",
    )
    @app.context_processor
    def _globals():
        from flask import current_app
        return {"admin_endpoints": set(current_app.view_functions)}

    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

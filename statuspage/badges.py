"""Status badges: ``/badge.svg`` and ``/components/<id>/badge.svg`` in shields.io's flat style, and the same
as shields.io's endpoint JSON (``/badge.json``, ``/components/<id>/badge.json``) for a shields.io badge.

The overall badge says the page's sentence ("All Systems Operational"), a component's badge its status word,
each in the colour the status page gives that status (dark enough for white text, WCAG AA). A badge is an image
with a name: ``role="img"``, ``aria-label`` and ``<title>`` say "label: message". Rendered once per public version
through ``snapshot.serve``, public components only (``feeds.public_component``).
"""
import hashlib
import json

from flask import Blueprint
from markupsafe import escape

from . import snapshot
from .domain.overview import load_overview
from .domain.status import COMPONENT_STATUS_LABEL
from .domain.text import clean_line
from .domain.visibility import PUBLIC
from .feeds import serve_component

bp = Blueprint("badges", __name__)

OVERALL_LABEL = "status"
# The status page's own colours (static/css/site.css, light theme): 4.5:1 or more against white text.
COLOUR = {"operational": "1a7f37", "degraded_performance": "8a5c00", "partial_outage": "b34500",
          "major_outage": "c91c2a", "under_maintenance": "0860c9"}
COLOUR_BY_INDICATOR = {"none": COLOUR["operational"], "minor": COLOUR["degraded_performance"],
                       "major": COLOUR["partial_outage"], "critical": COLOUR["major_outage"],
                       "maintenance": COLOUR["under_maintenance"]}
LABEL_COLOUR = "555"

# Verdana's advance widths (units of 1/2048 em), which shields.io measures its text with; 11 px text.
_NARROW = dict.fromkeys("ijl'|", 600) | dict.fromkeys("frt!.,:;", 820) | {" ": 720}
_WIDE = dict.fromkeys("mw%", 1900) | dict.fromkeys("MW", 1950) | dict.fromkeys("CDGHNOQU", 1560)
_WIDTHS = _NARROW | _WIDE | dict.fromkeys("IJ", 900) | dict.fromkeys("sczvxyk", 1100)
_DEFAULT_WIDTH, _OTHER_WIDTH = 1260, 1900  # Latin letters and digits; any other script (often CJK: wide)
MAX_TEXT = 60


def text_width(text: str) -> int:
    """The width in pixels of ``text`` in 11 px Verdana, rounded up (each <text> is also told its length)."""
    units = sum(_WIDTHS.get(c, _DEFAULT_WIDTH if c.isascii() else _OTHER_WIDTH) for c in text)
    return -(-units * 11 // 2048)


def badge_svg(label: str, message: str, colour: str) -> str:
    """A shields.io flat badge: grey ``label`` on the left, ``message`` on ``colour`` on the right."""
    label, message = clean_line(label)[:MAX_TEXT], clean_line(message)[:MAX_TEXT]
    lw, mw = text_width(label) + 10, text_width(message) + 10
    width = lw + mw
    # Ids unique to the badge's text: a page may inline several badges.
    uid = hashlib.sha256(f"{label}\0{message}\0{colour}".encode()).hexdigest()[:8]
    name = escape(f"{label}: {message}")
    texts = []
    for text, x, w in ((label, lw / 2, lw - 10), (message, lw + mw / 2, mw - 10)):
        texts.append(f'<text aria-hidden="true" x="{x * 10:.0f}" y="150" fill="#010101" fill-opacity=".3" '
                     f'transform="scale(.1)" textLength="{w * 10}">{escape(text)}</text>'
                     f'<text x="{x * 10:.0f}" y="140" transform="scale(.1)" fill="#fff" '
                     f'textLength="{w * 10}">{escape(text)}</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" role="img" aria-label="{name}">'
            f'<title>{name}</title>'
            f'<linearGradient id="s-{uid}" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/>'
            f'<stop offset="1" stop-opacity=".1"/></linearGradient>'
            f'<clipPath id="r-{uid}"><rect width="{width}" height="20" rx="3" fill="#fff"/></clipPath>'
            f'<g clip-path="url(#r-{uid})"><rect width="{lw}" height="20" fill="#{LABEL_COLOUR}"/>'
            f'<rect x="{lw}" width="{mw}" height="20" fill="#{colour}"/>'
            f'<rect width="{width}" height="20" fill="url(#s-{uid})"/></g>'
            f'<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" '
            f'text-rendering="geometricPrecision" font-size="110">{"".join(texts)}</g></svg>\n')


def badge_json(label: str, message: str, colour: str) -> str:
    """shields.io's endpoint schema: https://img.shields.io/endpoint?url=<this URL> draws the same badge."""
    return json.dumps({"schemaVersion": 1, "label": clean_line(label)[:MAX_TEXT],
                       "message": clean_line(message)[:MAX_TEXT], "color": colour}, ensure_ascii=False) + "\n"


def overall_badge() -> tuple[str, str, str]:
    status = load_overview(PUBLIC, with_uptime=False).status
    return OVERALL_LABEL, status.description, COLOUR_BY_INDICATOR[status.indicator]


def component_badge(component) -> tuple[str, str, str]:
    return (component.name, COMPONENT_STATUS_LABEL.get(component.status, component.status),
            COLOUR.get(component.status, COLOUR["operational"]))


@bp.get("/badge.svg")
def overall_svg():
    """The page's overall status as a badge."""
    return snapshot.serve(lambda now: badge_svg(*overall_badge()), "image/svg+xml")


@bp.get("/badge.json")
def overall_json():
    """The overall badge for shields.io's endpoint badge."""
    return snapshot.serve(lambda now: badge_json(*overall_badge()), "application/json", cors=True)


@bp.get("/components/<component_id>/badge.svg")
def component_svg(component_id: str):
    """One public component's status as a badge."""
    return serve_component(component_id, lambda c, now: badge_svg(*component_badge(c)), "image/svg+xml")


@bp.get("/components/<component_id>/badge.json")
def component_json(component_id: str):
    """One public component's badge for shields.io's endpoint badge."""
    return serve_component(component_id, lambda c, now: badge_json(*component_badge(c)), "application/json",
                           cors=True)

"""Statuspage-compatible management API v1: /v1/pages/<page_id>/... (authenticated, JSON in and out).

Every resource path answers with and without a trailing ``.json``: register views with ``route`` below.
The blueprint's ``before_request`` hook (``auth.authenticate_request``) checks the key, the role and the
page id.
"""
from flask import Blueprint
from werkzeug.routing import BaseConverter

bp = Blueprint("api_v1", __name__, url_prefix="/v1")
INCIDENT_LISTS = ("unresolved", "upcoming", "active_maintenance", "scheduled")


class IncidentIdConverter(BaseConverter):
    """An incident id: any one path segment except the lists that live beside it (``/incidents/unresolved``),
    so a PATCH to a list is 405 with its ``Allow``, never an attempt on an incident called "unresolved"."""

    regex = r"(?!(?:" + "|".join(INCIDENT_LISTS) + r")(?:\.json)?$)[^/]+"


bp.record_once(lambda state: state.app.url_map.converters.setdefault("incident_id", IncidentIdConverter))


def route(rule: str, **options):
    """Register a view for ``rule`` and for ``rule + '.json'``, as Statuspage serves both."""

    def decorator(view):
        endpoint = options.pop("endpoint", view.__name__)
        bp.add_url_rule(rule, endpoint, view, **options)
        bp.add_url_rule(rule + ".json", endpoint, view, **options)
        return view

    return decorator


from . import (  # noqa: E402,F401
    auth,
    components,
    groups,
    incidents,
    integrations,
    postmortem,  # Statuspage parity: postmortem, subscriber_count, templates, uptime
    practice,  # the incident manager's practice: practice, problems, reviews
    problems,
    reviews,
    subscriber_count,
    subscribers,
    templates,
    uptime,
)

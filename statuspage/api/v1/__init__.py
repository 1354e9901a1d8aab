"""Statuspage-compatible management API v1: /v1/pages/<page_id>/... (authenticated, JSON in and out).

Every resource path answers with and without a trailing ``.json``: register views with ``route`` below.
The blueprint's ``before_request`` hook (``auth.authenticate_request``) checks the key, the role and the
page id.
"""
from flask import Blueprint

bp = Blueprint("api_v1", __name__, url_prefix="/v1")


def route(rule: str, **options):
    """Register a view for ``rule`` and for ``rule + '.json'``, as Statuspage serves both."""

    def decorator(view):
        endpoint = options.pop("endpoint", view.__name__)
        bp.add_url_rule(rule, endpoint, view, **options)
        bp.add_url_rule(rule + ".json", endpoint, view, **options)
        return view

    return decorator


from . import auth, components, groups, incidents, subscribers  # noqa: E402,F401

"""Statuspage-compatible management API v1: /v1/pages/<page_id>/... (authenticated, JSON in and out)."""
from flask import Blueprint

bp = Blueprint("api_v1", __name__, url_prefix="/v1")

from . import components, incidents, subscribers  # noqa: E402,F401

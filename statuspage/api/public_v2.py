"""Statuspage-compatible public API v2 (read-only, no auth, CORS *)."""
from flask import Blueprint

bp = Blueprint("api_v2", __name__, url_prefix="/api/v2")

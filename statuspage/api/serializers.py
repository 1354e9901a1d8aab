"""The Statuspage-shaped JSON builders the API serves; they live in ``statuspage.serialize`` (shared with
notifications, which the worker runs without the API)."""
from ..serialize import component_json, group_json, incident_json, page_json, status_json, update_json

__all__ = ["component_json", "group_json", "incident_json", "page_json", "status_json", "update_json"]

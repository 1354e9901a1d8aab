"""The incident manager's console under /admin: one blueprint, one module per area."""
from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

# Each module adds its routes to ``bp``; importing them here attaches them before registration.
from . import (  # noqa: E402,F401
    action_words,
    audit,
    command,
    components,
    dashboard,
    deliveries,
    incident_actions,
    incidents,
    integrations,
    maintenance,
    major,
    priority_targets,
    problems,
    reviews,
    settings,
    subscribers,
    templates,
    users,
)

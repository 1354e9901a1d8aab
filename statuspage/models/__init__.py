"""All models, importable from one place (``from statuspage.models import Incident``)."""
from .alerts import ALERT_SOURCES, AlertSettings, ReceivedAlert
from .audit import AuditEntry
from .components import COMPONENT_STATUSES, VISIBILITIES, Component, ComponentGroup, ComponentStatusChange
from .incidents import (
    ACTIVE_MAINTENANCE_STATUSES,
    CLOSED_STATUSES,
    IMPACTS,
    INCIDENT_STATUSES,
    MAINTENANCE_STATUSES,
    OPEN_INCIDENT_STATUSES,
    Incident,
    IncidentComponent,
    IncidentUpdate,
)
from .outbox import ClockNotice, Delivery, DeliveryBreaker, NotificationEvent, WorkerHeartbeat
from .problems import REVIEW_SECTIONS, REVIEW_STATES, ActionItem, IncidentReview, IncidentTemplate, Problem
from .site import Site
from .sla import SlaTarget, UpdateCadence
from .subscribers import Subscriber, SubscriberComponent
from .users import ROLES, ApiToken, User

__all__ = [
    "ALERT_SOURCES", "AlertSettings", "ReceivedAlert",
    "ACTIVE_MAINTENANCE_STATUSES", "CLOSED_STATUSES", "COMPONENT_STATUSES", "IMPACTS", "INCIDENT_STATUSES",
    "MAINTENANCE_STATUSES", "OPEN_INCIDENT_STATUSES", "REVIEW_SECTIONS", "REVIEW_STATES", "ROLES", "VISIBILITIES",
    "ActionItem", "ApiToken", "AuditEntry", "ClockNotice", "Component", "ComponentGroup", "ComponentStatusChange",
    "Delivery", "DeliveryBreaker", "Incident", "IncidentComponent", "IncidentReview", "IncidentTemplate",
    "IncidentUpdate",
    "NotificationEvent", "Problem", "Site", "SlaTarget", "Subscriber", "SubscriberComponent", "UpdateCadence", "User",
    "WorkerHeartbeat",
]

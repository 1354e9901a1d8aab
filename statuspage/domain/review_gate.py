"""The rule that ties a major incident to its post-incident review.

A major incident (flagged major, or priority 1) may be resolved as soon as service is back: the clock stops
there. It cannot be *closed*, which here means moving to the ``postmortem`` status (by an update or by
publishing a postmortem), until its review is written and at least in review ("in review" or "published").
This module imports only models, so ``domain.incidents`` can call it and ``domain.reviews`` can build on both.
"""
from sqlalchemy import select

from ..extensions import db
from ..models import Incident, IncidentReview
from .recording import DomainError

READY_STATES = ("in_review", "published")


def is_major(incident: Incident) -> bool:
    """Major for the review rule: flagged major, or priority 1."""
    return bool(incident.major) or incident.priority == 1


def check_may_close(incident: Incident) -> None:
    """Refuse to move a major incident to ``postmortem`` while its review is missing or still a draft."""
    if incident.is_maintenance or not is_major(incident):
        return
    state = db.session.scalar(select(IncidentReview.state).where(IncidentReview.incident_id == incident.id))
    if state not in READY_STATES:
        raise DomainError("a major incident cannot be closed until its post-incident review is in review or "
                          "published" + (" (it is still a draft)" if state == "draft" else " (none is started)"),
                          field="status")

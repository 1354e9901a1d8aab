"""A postmortem's draft next to its public text: write, discard, publish, revert (Statuspage's postmortem API).

The draft is internal (only staff and API keys read it), so writing or discarding it bumps only the internal
version. Publishing goes through ``incidents.write_postmortem``, the one public write of a postmortem (also used
by a published review); reverting takes the public text back into the draft, returns the incident from
``postmortem`` to ``resolved``, and moves a published review back to in review, in one transaction.
"""
from ..extensions import db
from ..models import Incident
from ..models.columns import utcnow
from .incident_fields import check_body, describe_incident
from .incidents import get_incident, write_postmortem
from .recording import Actor, DomainError, bump_site_version, change, record
from .reviews import move_review, review_of


def describe_postmortem(incident: Incident) -> dict:
    return {"postmortem_draft": incident.postmortem_draft, "postmortem_body": incident.postmortem_body,
            "postmortem_published_at": incident.postmortem_published_at}


def has_postmortem(incident: Incident) -> bool:
    return incident.postmortem_draft is not None or incident.postmortem_published_at is not None


def save_draft(actor: Actor, incident_id: str, body: str) -> Incident:
    """Write (or replace) the draft; the public postmortem, if any, stays as it is until published again."""
    body = check_body(body)
    if not body.strip():
        raise DomainError("a postmortem draft needs a text", field="body_draft")
    with change():
        incident = get_incident(incident_id)
        before = describe_postmortem(incident)
        incident.postmortem_draft, incident.postmortem_draft_at = body, utcnow()
        db.session.flush()
        record(actor, "incident.postmortem_draft", "incident", incident.id, incident.name, before=before,
               after=describe_postmortem(incident))
        bump_site_version(public=False)
    return incident


def publish_draft(actor: Actor, incident_id: str, notify: bool = False) -> Incident:
    """Publish the draft as the incident's postmortem (``notify``: tell subscribers); the draft is used up."""
    with change():
        incident = get_incident(incident_id)
        if not incident.postmortem_draft:
            raise DomainError("there is no draft to publish: write one first (PUT .../postmortem)",
                              field="body_draft")
        write_postmortem(actor, incident, incident.postmortem_draft, notify=notify)
        incident.postmortem_draft, incident.postmortem_draft_at = None, None
    return incident


def revert(actor: Actor, incident_id: str) -> Incident:
    """Take a published postmortem off the public side; its text becomes the draft unless a newer draft exists."""
    with change():
        incident = get_incident(incident_id)
        if incident.postmortem_published_at is None:
            raise DomainError("this postmortem is not published", field="postmortem")
        _unpublish(actor, incident)
    return incident


def discard(actor: Actor, incident_id: str) -> Incident:
    """Delete the postmortem: the draft, and the public text if it was published."""
    with change():
        incident = get_incident(incident_id)
        if not has_postmortem(incident):
            raise DomainError("this incident has no postmortem", field="postmortem")
        if incident.postmortem_published_at is not None:
            _unpublish(actor, incident)
        before = describe_postmortem(incident)
        incident.postmortem_draft = incident.postmortem_draft_at = None
        db.session.flush()
        record(actor, "incident.postmortem_delete", "incident", incident.id, incident.name, before=before,
               after=describe_postmortem(incident))
        bump_site_version(public=False)
    return incident


def _unpublish(actor: Actor, incident: Incident) -> None:
    before = describe_incident(incident) | describe_postmortem(incident)
    if incident.postmortem_draft is None:
        incident.postmortem_draft, incident.postmortem_draft_at = incident.postmortem_body, utcnow()
    incident.postmortem_body = incident.postmortem_published_at = None
    if incident.status == "postmortem":
        incident.status = "resolved"
    db.session.flush()
    record(actor, "incident.postmortem_revert", "incident", incident.id, incident.name, before=before,
           after=describe_incident(incident) | describe_postmortem(incident))
    review = review_of(incident.id)
    if review is not None and review.state == "published":
        move_review(actor, incident.id, "in_review")
    bump_site_version()

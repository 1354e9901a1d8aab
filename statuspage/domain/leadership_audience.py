"""Who hears of what on the internal side: the leadership audience and an incident's owner.

The leadership audience is the internal subscribers who opted in to major-incident notices
(``Subscriber.leadership``): ``major`` hears immediately of P1/P2 and flagged-major incidents, ``all`` of every
incident, ``digest`` gets one email a day instead of immediate notices. These are WHERE clauses on Subscriber for
``dispatch.audience_filter``; nothing here queries or writes.
"""
from sqlalchemy import and_, func, or_

from ..models import Incident, Subscriber

LEADER_PRIORITIES = (1, 2)


def concerns_leaders(incident: Incident | None) -> bool:
    """Whether leaders who chose "P1/P2 only" hear of ``incident``: a P1, a P2, or one flagged major."""
    return incident is not None and not incident.is_maintenance and (
        incident.priority in LEADER_PRIORITIES or bool(incident.major))


def _immediate_modes(incident: Incident | None) -> tuple[str, ...]:
    return ("major", "all") if incident is None or concerns_leaders(incident) else ("all",)


def leaders(incident: Incident | None):
    """Internal subscribers who want immediate leadership notices of ``incident``."""
    return and_(Subscriber.audience == "internal", Subscriber.leadership.in_(_immediate_modes(incident)))


def not_leaders(incident: Incident | None):
    """Everyone but ``leaders(incident)`` (NULL-safe: ordinary subscribers have no leadership mode)."""
    return or_(Subscriber.audience != "internal", Subscriber.leadership.is_(None),
               Subscriber.leadership.not_in(_immediate_modes(incident)))


def owner(email: str | None):
    """The owner's own internal email subscription (the console account's address)."""
    return and_(Subscriber.audience == "internal", Subscriber.channel == "email",
                func.lower(Subscriber.target) == (email or "").strip().lower())


def recipients(payload: dict, incident: Incident | None):
    """The clause for an event addressed by ``payload["to"]``: any of leadership, owner, digest."""
    parts = []
    to = payload.get("to") or ()
    if "leadership" in to:
        parts.append(leaders(incident))
    if "owner" in to and payload.get("owner_email"):
        parts.append(owner(payload["owner_email"]))
    if "digest" in to:
        parts.append(and_(Subscriber.audience == "internal", Subscriber.leadership == "digest"))
    return or_(*parts) if parts else Subscriber.id.is_(None)


def regular(incident: Incident):
    """Ordinary incident notices: a leader hears of them only as their choice says (a digest reader not at all,
    "P1/P2 only" only of those); everyone else as before."""
    return or_(Subscriber.leadership.is_(None), Subscriber.leadership.in_(_immediate_modes(incident)))

"""Monitoring in: alerts from Alertmanager and Grafana set component statuses through the one write path.

An alert is identified by its source, fingerprint and start time, so the same group sent again (Alertmanager
re-sends it every repeat interval) changes nothing: only a new firing alert or a firing one that resolves is a
transition. Per component, after the whole group is read: while the integration owns the component (the last
change of its status was the integration's), its status is the worst status its firing alerts ask for, and
operational when the last resolves. Once someone changed it by hand (or an incident or maintenance did), a
resolved alert leaves it alone, and a new firing alert only makes it worse, never better. A component under
maintenance is left alone. Each change is one status-history row and one audit entry with the integration as
actor. Optionally a critical alert opens an incident from a template.
"""
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import OPEN_INCIDENT_STATUSES, Component, ComponentStatusChange, Incident, ReceivedAlert, User
from ..models.columns import utcnow
from .alert_payloads import Alert
from .alert_settings import settings, status_for
from .components import apply_status, describe_component
from .incidents import open_incident
from .recording import Actor, bump_site_version, change, record
from .status import COMPONENT_STATUS_RANK
from .templates import get_template, template_components

CAUSE = "monitor"
SOURCE_LABEL = {"alertmanager": "Alertmanager", "grafana": "Grafana"}


def integration_actor(source: str, user: User) -> Actor:
    """The integration, acting with the key of ``user``, as the audit trail names it."""
    return Actor(label=f"{SOURCE_LABEL[source]} (key of {user.email})"[:254], source="integration",
                 user_id=user.id)


@dataclass
class Outcome:
    received: int = 0
    new: int = 0
    repeated: int = 0
    resolved: int = 0
    unmatched: int = 0
    changes: list = field(default_factory=list)
    incident_id: str | None = None

    def as_json(self) -> dict:
        return {"received": self.received, "new": self.new, "repeated": self.repeated, "resolved": self.resolved,
                "unmatched": self.unmatched, "component_changes": self.changes, "incident_id": self.incident_id}


def route(alert: Alert, components: list[Component], matchers: dict) -> tuple[Component | None, str]:
    """The component an alert is about: its ``component`` label (an id or the exact name), else the component
    whose matchers all fit it (the most specific first); or None and why not."""
    named = alert.labels.get("component", "").strip()
    if named:
        found = next((c for c in components if c.id == named), None) or next(
            (c for c in components if c.name == named), None)
        if found:
            return found, ""
    fitting = [(len(matchers[c.id]), -i, c) for i, c in enumerate(components)
               if matchers.get(c.id) and all(alert.labels.get(k) == v for k, v in matchers[c.id].items())]
    if fitting:
        return max(fitting, key=lambda t: t[:2])[2], ""
    if named:
        return None, f"its component label “{named[:120]}” names no component"
    return None, "it has no component label and no component's matchers fit its labels"


def _owned(component: Component) -> bool:
    """Whether the last change of the component's status was the integration's."""
    cause = db.session.scalar(db.select(ComponentStatusChange.cause)
                              .where(ComponentStatusChange.component_id == component.id)
                              .order_by(ComponentStatusChange.id.desc()).limit(1))
    return cause == CAUSE


def _worst_firing(component_id: str) -> str | None:
    wanted = db.session.scalars(db.select(ReceivedAlert.wanted_status).where(
        ReceivedAlert.component_id == component_id, ReceivedAlert.status == "firing",
        ReceivedAlert.wanted_status.is_not(None))).all()
    return max(wanted, key=COMPONENT_STATUS_RANK.__getitem__, default=None)


def _target(component: Component, fired: list[str]) -> str | None:
    """The status the component should take now, or None to leave it."""
    if component.status == "under_maintenance":
        return None
    if _owned(component):
        return _worst_firing(component.id) or "operational"
    worst = max(fired, key=COMPONENT_STATUS_RANK.__getitem__, default=None)
    if worst and COMPONENT_STATUS_RANK[worst] > COMPONENT_STATUS_RANK[component.status]:
        return worst
    return None


def _record_alert(source: str, alert: Alert, now, components, current, outcome: Outcome, touched: dict):
    row = db.session.scalar(db.select(ReceivedAlert).where(
        ReceivedAlert.source == source, ReceivedAlert.fingerprint == alert.fingerprint,
        ReceivedAlert.starts_at == alert.starts_at).with_for_update())
    if row is None:
        component, note = route(alert, components, current.matchers or {})
        row = ReceivedAlert(source=source, fingerprint=alert.fingerprint, starts_at=alert.starts_at,
                            status=alert.status, name=alert.name, summary=alert.summary, severity=alert.severity,
                            labels=alert.labels, component_id=component.id if component else None,
                            wanted_status=status_for(alert.severity, current) if component else None,
                            note=note, first_seen_at=now, last_seen_at=now,
                            resolved_at=(alert.ends_at or now) if alert.status == "resolved" else None)
        db.session.add(row)
        db.session.flush()
        outcome.new += 1
        outcome.unmatched += component is None
        if component and alert.status == "firing":
            touched[component.id].append(row)
        return
    row.last_seen_at, row.times_received = now, row.times_received + 1
    if alert.status == "resolved" and row.status == "firing":
        row.status, row.resolved_at = "resolved", alert.ends_at or now
        outcome.resolved += 1
        if row.component_id:
            touched.setdefault(row.component_id, [])  # re-weighed below; nothing new fired
    else:
        outcome.repeated += 1


def _open_incident(actor: Actor, rows: list[ReceivedAlert], current) -> str | None:
    """One incident from the template for the new critical alerts of a group, unless an open incident the
    integration opened already covers their components."""
    if not current.incident_template_id or not rows:
        return None
    open_ids = set(db.session.scalars(db.select(ReceivedAlert.incident_id).join(Incident).where(
        ReceivedAlert.component_id.in_([r.component_id for r in rows]), ReceivedAlert.status == "firing",
        Incident.status.in_(OPEN_INCIDENT_STATUSES))))
    if open_ids:
        for row in rows:
            row.incident_id = sorted(open_ids)[0]
        return None
    template = get_template(current.incident_template_id)
    mine = {r.component_id: db.session.get(Component, r.component_id) for r in rows}
    components = template_components(template) | {cid: c.status for cid, c in mine.items()}
    incident = open_incident(actor, name=template.name, status=template.status, impact=template.impact,
                             body=template.body or template.name, components=components,
                             visibility="public" if any(c.is_public for c in mine.values()) else "internal")
    for row in rows:
        row.incident_id = incident.id
    return incident.id


def receive(actor: Actor, source: str, alerts: list[Alert]) -> Outcome:
    """Record one notification's alerts and make the component changes they call for, in one transaction.

    Two deliveries of the same new alert at once (Alertmanager in HA pairs) meet on the alert's unique key:
    the later one is rolled back and read again, and then finds the alert already recorded."""
    try:
        return _receive(actor, source, alerts)
    except IntegrityError:
        return _receive(actor, source, alerts)


def _receive(actor: Actor, source: str, alerts: list[Alert]) -> Outcome:
    outcome, touched, now = Outcome(received=len(alerts)), defaultdict(list), utcnow()
    current = settings()
    with change():
        components = list(db.session.scalars(db.select(Component).order_by(Component.position, Component.id)))
        for alert in alerts:
            _record_alert(source, alert, now, components, current, outcome, touched)
        public = False
        for component_id, fired in sorted(touched.items()):  # one lock order: no deadlock between groups
            component = db.session.get(Component, component_id, with_for_update=True)
            target = _target(component, [r.wanted_status for r in fired if r.wanted_status])
            if target is None or target == component.status:
                continue
            before = describe_component(component)
            outcome.changes.append(apply_status(component, target, cause=CAUSE, at=now))
            db.session.flush()
            record(actor, "component.status", "component", component.id, component.name, before=before,
                   after=describe_component(component))
            public = public or component.is_public
        critical = [r for rows in touched.values() for r in rows if r.severity == "critical" and r.wanted_status]
        outcome.incident_id = _open_incident(actor, critical, current)
        if outcome.changes or outcome.new or outcome.resolved:
            bump_site_version(public=public)
    return outcome

"""How alerts map to components, as an admin set it: severity to status, label matchers per component, and the
incident template to open for critical alerts.

Severities are written one per line, ``critical: major_outage``; a component's matchers like Alertmanager's,
``service="api", env="prod"`` (every label must be equal). ``settings()`` reads them (defaults until an admin
saves); ``save_settings`` checks every field (DomainError naming it) and saves with an audit entry. They are
internal: no public surface shows them, so the public version stays as it was.
"""
import re
from types import SimpleNamespace

from ..extensions import db
from ..models import AlertSettings, Component
from .recording import Actor, DomainError, bump_site_version, change, record
from .templates import get_template

DEFAULT_SEVERITIES = {"critical": "major_outage", "warning": "partial_outage", "info": "degraded_performance"}
DEFAULT_OTHER = "partial_outage"
NO_CHANGE = "none"
ALERT_STATUSES = ("degraded_performance", "partial_outage", "major_outage", NO_CHANGE)
_SEVERITY_LINE = re.compile(r"\s*([^:=\s][^:=]*?)\s*[:=]\s*([a-z_]+)\s*")
_MATCHER = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,"]*?))\s*(?:,|$)')


def settings():
    """The saved settings, or the defaults (not written) until an admin saves some."""
    row = db.session.get(AlertSettings, 1)
    if row is not None:
        return row
    return SimpleNamespace(severities=dict(DEFAULT_SEVERITIES), other_status=DEFAULT_OTHER, matchers={},
                           incident_template_id=None)


def status_for(severity: str, current=None) -> str | None:
    """The component status an alert of ``severity`` asks for; None when it should change nothing."""
    current = current or settings()
    status = (current.severities or {}).get(severity.lower(), current.other_status)
    return None if status == NO_CHANGE else status


def parse_severities(text: str) -> dict:
    severities = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        match = _SEVERITY_LINE.fullmatch(line)
        if match is None or match.group(2) not in ALERT_STATUSES:
            raise DomainError(f"line {number}: write it as 'severity: status', the status one of "
                              f"{', '.join(ALERT_STATUSES)}", field="severities")
        severities[match.group(1).lower()[:64]] = match.group(2)
    return severities


def format_severities(severities: dict) -> str:
    return "\n".join(f"{name}: {status}" for name, status in severities.items())


def parse_matchers(text: str, field: str) -> dict:
    """``a="x", b=y`` as {a: x, b: y}; empty text is no matchers."""
    text, labels, at = (text or "").strip(), {}, 0
    while at < len(text):
        match = _MATCHER.match(text, at)
        if match is None or match.end() == at:
            raise DomainError('write matchers like service="api", env="prod"', field=field)
        quoted, bare = match.group(2), match.group(3)
        value = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else bare.strip()
        labels[match.group(1)] = value
        at = match.end()
    if len(labels) > 20 or len(text) > 1000:
        raise DomainError("keep it under 20 matchers", field=field)
    return labels


def format_matchers(labels: dict) -> str:
    def quoted(value: str) -> str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

    return ", ".join(f"{name}={quoted(value)}" for name, value in (labels or {}).items())


def save_settings(actor: Actor, *, severities: str, other_status: str, incident_template_id: str | None,
                  matchers: dict[str, str]) -> AlertSettings:
    """Save what an admin typed: ``matchers`` is {component id: matcher text}."""
    clean = {"severities": parse_severities(severities), "other_status": other_status,
             "incident_template_id": incident_template_id or None}
    if other_status not in ALERT_STATUSES:
        raise DomainError(f"choose one of {', '.join(ALERT_STATUSES)}", field="other_status")
    if clean["incident_template_id"]:
        get_template(clean["incident_template_id"])
    known = set(db.session.scalars(db.select(Component.id)))
    clean["matchers"] = {cid: labels for cid, text in matchers.items() if cid in known
                         and (labels := parse_matchers(text, f"matcher-{cid}"))}
    with change():
        row = db.session.get(AlertSettings, 1)
        if row is None:
            row = AlertSettings(id=1, **vars(settings()))
            db.session.add(row)
        before = {key: getattr(row, key) for key in clean}
        for key, value in clean.items():
            setattr(row, key, value)
        if before != clean:
            record(actor, "integrations.settings", "alert_settings", 1, "Monitoring integrations",
                   before=before, after=clean)
            bump_site_version(public=False)
    return row

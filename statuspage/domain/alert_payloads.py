"""What Alertmanager (webhook ``version: "4"``) and Grafana alerting (``version: "1"``) send, read and checked.

Both post a group: ``status``, ``groupKey``, ``truncatedAlerts`` and ``alerts[]``, each alert with ``status``
(firing or resolved), ``labels``, ``annotations``, ``startsAt``, ``endsAt`` and ``fingerprint``; Grafana adds
``orgId`` and per-alert ``values``, and marks an alert not yet resolved with ``endsAt: 0001-01-01T00:00:00Z``
(Alertmanager does too). ``read_group`` turns a body into ``Alert`` values or raises DomainError (422) naming
the field at fault: Alertmanager does not retry a 4xx, so a body we cannot read must say why, at once, whole.
"""
import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .recording import DomainError
from .text import clean_line

VERSIONS = {"alertmanager": "4", "grafana": "1"}
ALERT_STATUSES = ("firing", "resolved")
MAX_ALERTS = 1000
MAX_LABELS = 100
MAX_LABEL_NAME = 200
MAX_VALUE = 2000
_TIME = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})[Tt ]([0-9]{2}:[0-9]{2}:[0-9]{2})(?:\.([0-9]+))?"
                   r"([Zz]|[+-][0-9]{2}:[0-9]{2})")
_FINGERPRINT = re.compile(r"[0-9A-Za-z_-]{1,64}")


@dataclass(frozen=True)
class Alert:
    status: str
    fingerprint: str
    starts_at: datetime
    ends_at: datetime | None
    labels: dict = field(default_factory=dict)
    annotations: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.labels.get("alertname", "")[:200]

    @property
    def severity(self) -> str:
        return self.labels.get("severity", "").strip().lower()[:64]

    @property
    def summary(self) -> str:
        text = self.annotations.get("summary") or self.annotations.get("description") or ""
        return clean_line(text)[:300]


def parse_time(value, where: str) -> datetime | None:
    """An RFC 3339 time as Go writes it (nanoseconds allowed), in UTC; Go's zero time (year 1) is None."""
    match = _TIME.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise DomainError(f"{where} must be an RFC 3339 time like 2026-01-31T09:00:00Z", field=where)
    day, clock, fraction, zone = match.groups()
    if day.startswith("0001-"):
        return None
    fraction = ("." + (fraction + "000000")[:6]) if fraction else ""
    zone = "+00:00" if zone in "Zz" else zone
    try:
        return datetime.fromisoformat(f"{day}T{clock}{fraction}{zone}").astimezone(UTC)
    except (ValueError, OverflowError):
        raise DomainError(f"{where} is not a real date and time", field=where) from None


def _strings(value, where: str, required: bool) -> dict:
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise DomainError(f"{where} must be an object of text values", field=where)
    if len(value) > MAX_LABELS:
        raise DomainError(f"{where} holds more than {MAX_LABELS} entries", field=where)
    out = {}
    for key, text in value.items():
        if not isinstance(text, str) or len(key) > MAX_LABEL_NAME:
            raise DomainError(f"{where}.{key[:40]} must be text, with a name under {MAX_LABEL_NAME} characters",
                              field=where)
        out[clean_line(key)] = clean_line(text)[:MAX_VALUE]
    return out


def _fingerprint(value, labels: dict, where: str) -> str:
    """The sender's fingerprint; one made from the labels, as Alertmanager does, when it is absent."""
    if value in (None, ""):
        return hashlib.sha256(json.dumps(labels, sort_keys=True).encode()).hexdigest()[:16]
    if not isinstance(value, str) or not _FINGERPRINT.fullmatch(value):
        raise DomainError(f"{where} must be up to 64 letters, digits, - or _", field=where)
    return value


def read_alert(raw, index: int) -> Alert:
    where = f"alerts[{index}]"
    if not isinstance(raw, dict):
        raise DomainError(f"{where} must be an object", field=where)
    status = raw.get("status")
    if status not in ALERT_STATUSES:
        raise DomainError(f"{where}.status must be firing or resolved", field=f"{where}.status")
    labels = _strings(raw.get("labels"), f"{where}.labels", required=True)
    starts_at = parse_time(raw.get("startsAt"), f"{where}.startsAt")
    if starts_at is None:
        raise DomainError(f"{where}.startsAt must be the time the alert started", field=f"{where}.startsAt")
    ends_at = parse_time(raw["endsAt"], f"{where}.endsAt") if raw.get("endsAt") not in (None, "") else None
    return Alert(status=status, fingerprint=_fingerprint(raw.get("fingerprint"), labels, f"{where}.fingerprint"),
                 starts_at=starts_at, ends_at=ends_at, labels=labels,
                 annotations=_strings(raw.get("annotations"), f"{where}.annotations", required=False))


def read_group(source: str, body: dict) -> list[Alert]:
    """The alerts of one notification from ``source`` (alertmanager or grafana); DomainError when malformed."""
    expected = VERSIONS[source]
    version = body.get("version")
    if version != expected:
        other = next((name for name, v in VERSIONS.items() if v == version and name != source), None)
        hint = f"; that is what {other.title()} sends: post it to integrations/{other}" if other else ""
        raise DomainError(f"version must be \"{expected}\" here, not {json.dumps(version)[:20]}{hint}",
                          field="version")
    if source == "grafana" and body.get("orgId") is not None and (
            isinstance(body["orgId"], bool) or not isinstance(body["orgId"], int)):
        raise DomainError("orgId must be a whole number", field="orgId")
    alerts = body.get("alerts")
    if not isinstance(alerts, list):
        raise DomainError("alerts must be a list of alerts", field="alerts")
    if len(alerts) > MAX_ALERTS:
        raise DomainError(f"send at most {MAX_ALERTS} alerts at once (max_alerts in alertmanager.yml)",
                          field="alerts")
    return [read_alert(raw, i) for i, raw in enumerate(alerts)]

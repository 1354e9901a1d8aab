"""Realistic notification bodies, shaped like the examples in Alertmanager's and Grafana's documentation:
Alertmanager's webhook (version "4") and Grafana's webhook contact point (version "1", orgId, values)."""
import hashlib
import json
from copy import deepcopy
from datetime import UTC, datetime, timedelta, timezone

GO_ZERO = "0001-01-01T00:00:00Z"


def go_time(at: datetime) -> str:
    """A time as Go's Alertmanager writes it: nanoseconds and Z."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z"


def am_alert(labels: dict, starts: datetime, status: str = "firing", fingerprint: str = "",
             summary: str = "Something is wrong") -> dict:
    return {"status": status, "labels": {"alertname": "HighErrorRate", "job": "api", **labels},
            "annotations": {"summary": summary, "runbook_url": "https://runbooks.example.com/high-error-rate"},
            "startsAt": go_time(starts),
            "endsAt": go_time(starts + timedelta(minutes=30)) if status == "resolved" else GO_ZERO,
            "generatorURL": "http://prometheus.example.com:9090/graph?g0.expr=job%3Aerrors%3Arate5m+%3E+0.05",
            "fingerprint": fingerprint or hashlib.sha1(json.dumps(labels, sort_keys=True).encode()).hexdigest()[:16]}


def alertmanager(*alerts: dict) -> dict:
    """A group as Alertmanager posts it; the group's status is firing while any alert fires."""
    alerts = [deepcopy(a) for a in alerts]
    firing = any(a["status"] == "firing" for a in alerts)
    common = dict(set.intersection(*(set(a["labels"].items()) for a in alerts))) if alerts else {}
    return {"receiver": "statuspage", "status": "firing" if firing else "resolved", "alerts": alerts,
            "groupLabels": {"alertname": common.get("alertname", "")}, "commonLabels": common,
            "commonAnnotations": {}, "externalURL": "http://alertmanager.example.com:9093", "version": "4",
            "groupKey": '{}/{severity=~"critical|warning"}:{alertname="HighErrorRate"}', "truncatedAlerts": 0}


def grafana_alert(labels: dict, starts: datetime, status: str = "firing", fingerprint: str = "c6eadffa33fcdf37"):
    offset = starts.astimezone(timezone(timedelta(hours=2)))  # Grafana writes the server's offset
    return {"status": status, "labels": {"alertname": "High memory usage", "team": "blue", **labels},
            "annotations": {"description": "The system has high memory usage",
                            "runbook_url": "https://myrunbook.com/runbook/1234",
                            "summary": "This alert was triggered for zone us-1"},
            "startsAt": offset.isoformat(timespec="microseconds"),
            "endsAt": (starts + timedelta(minutes=5)).isoformat() if status == "resolved" else GO_ZERO,
            "generatorURL": "https://play.grafana.org/alerting/1afz29v7z/edit", "fingerprint": fingerprint,
            "silenceURL": "https://play.grafana.org/alerting/silence/new?alertmanager=grafana",
            "dashboardURL": "", "panelURL": "", "values": {"B": 44.23943737541908, "C": 1}}


def grafana(*alerts: dict) -> dict:
    alerts = [deepcopy(a) for a in alerts]
    firing = any(a["status"] == "firing" for a in alerts)
    return {"receiver": "My Super Webhook", "status": "firing" if firing else "resolved", "orgId": 1,
            "alerts": alerts, "groupLabels": {"alertname": "High memory usage"},
            "commonLabels": {"alertname": "High memory usage", "team": "blue"},
            "commonAnnotations": {}, "externalURL": "https://play.grafana.org/", "version": "1",
            "groupKey": '{}:{alertname="High memory usage"}', "truncatedAlerts": 0,
            "title": "[FIRING:1] High memory usage (blue)", "state": "alerting",
            "message": "**Firing**\n\nLabels:\n - alertname = High memory usage\n"}


def resolved(alert: dict) -> dict:
    """The same alert as the sender reports it once it stops: same fingerprint and startsAt, an endsAt."""
    out = deepcopy(alert)
    out["status"] = "resolved"
    out["endsAt"] = go_time(datetime.now(UTC))
    return out


def ago(minutes: int) -> datetime:
    return datetime.now(UTC) - timedelta(minutes=minutes)

"""Monitoring in: the receivers Alertmanager and Grafana post their webhook notifications to.

``POST /v1/pages/<page_id>/integrations/alertmanager`` and ``.../integrations/grafana``, authenticated like the rest
of v1 (``Authorization: Bearer <key>``, what both tools send; a manager's or admin's key). A body we cannot read
is 400/415/422 with the reason (Alertmanager does not retry a 4xx); a readable one is 200 with what came of it,
also when an alert matched no component (it is recorded and shown in the console, /admin/integrations).
"""
from flask import jsonify

from ...domain import alerts
from ...domain.alert_payloads import read_group
from . import bodies, route
from .auth import current_user

BASE = "/pages/<page_id>/integrations"


def _receive(source: str):
    group = read_group(source, bodies.document())
    outcome = alerts.receive(alerts.integration_actor(source, current_user()), source, group)
    return jsonify(outcome.as_json())


@route(BASE + "/alertmanager", methods=["POST"])
def alertmanager_webhook(page_id):
    return _receive("alertmanager")


@route(BASE + "/grafana", methods=["POST"])
def grafana_webhook(page_id):
    return _receive("grafana")

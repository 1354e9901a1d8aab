"""Statuspage-compatible public API v2 (read-only, no auth, CORS *).

Eight endpoints, each answering ``{"page": {...}, <payload>}`` for the public audience only. Every body is
rendered once per public version through ``snapshot.serve`` (ETag, 304) and loaded in a constant number of
queries. Unknown paths under /api/v2 answer 404 JSON (``errors`` does that for every /api/ path).
"""
from flask import Blueprint, current_app
from sqlalchemy import select

from .. import snapshot
from ..domain import overview, visibility
from ..domain.visibility import PUBLIC
from ..extensions import db
from ..models import Component, Incident, Site
from .serializers import component_json, group_json, incident_json, page_json, status_json

bp = Blueprint("api_v2", __name__, url_prefix="/api/v2")

LIST_LIMIT = 50


def _serve(name: str, render):
    """``render()``'s answer as compact JSON from the snapshot of this path (``name`` documents which)."""
    def body(now) -> str:
        return current_app.json.dumps(render(), separators=(",", ":"))
    return snapshot.serve(body, "application/json", cors=True)


def _components(view: overview.Overview) -> list[dict]:
    """Groups and components in page order: each group is followed by its visible children."""
    page_id = view.site.page_id
    out = []
    for section in view.sections:
        if section.group is not None:
            out.append(group_json(section.group, [c.id for c in section.components], page_id,
                                  status=section.worst_status))
        out.extend(component_json(c, page_id) for c in section.components)
    return out


def _incidents(view: overview.Overview, incidents) -> list[dict]:
    ids = {c.id for c in view.components}
    return [incident_json(i, PUBLIC, view.site.page_id, ids) for i in incidents]


def _overview() -> overview.Overview:
    return overview.load_overview(PUBLIC, with_uptime=False)


def _maintenance_now_and_next(view: overview.Overview) -> list:
    return list(view.active_maintenance) + list(view.upcoming_maintenance)


@bp.get("/summary.json")
def summary():
    def render():
        view = _overview()
        return {"page": page_json(view.site), "components": _components(view),
                "incidents": _incidents(view, view.open_incidents),
                "scheduled_maintenances": _incidents(view, _maintenance_now_and_next(view)),
                "status": status_json(view.status)}
    return _serve("summary", render)


@bp.get("/status.json")
def status():
    def render():
        view = _overview()
        return {"page": page_json(view.site), "status": status_json(view.status)}
    return _serve("status", render)


@bp.get("/components.json")
def components():
    def render():
        view = _overview()
        return {"page": page_json(view.site), "components": _components(view)}
    return _serve("components", render)


@bp.get("/incidents/unresolved.json")
def unresolved_incidents():
    def render():
        view = _overview()
        return {"page": page_json(view.site), "incidents": _incidents(view, view.open_incidents)}
    return _serve("incidents/unresolved", render)


@bp.get("/scheduled-maintenances/upcoming.json")
def upcoming_maintenances():
    def render():
        view = _overview()
        return {"page": page_json(view.site),
                "scheduled_maintenances": _incidents(view, view.upcoming_maintenance)}
    return _serve("scheduled-maintenances/upcoming", render)


@bp.get("/scheduled-maintenances/active.json")
def active_maintenances():
    def render():
        view = _overview()
        return {"page": page_json(view.site),
                "scheduled_maintenances": _incidents(view, view.active_maintenance)}
    return _serve("scheduled-maintenances/active", render)


def _recent(kind: str) -> tuple[Site, list[dict]]:
    """The 50 most recent public incidents (or maintenances) of ``kind``, closed ones included."""
    site = Site.get()
    query = (select(Incident).options(*overview.incident_loader())
             .where(Incident.kind == kind, visibility.incident_filter(PUBLIC))
             .order_by(Incident.started_at.desc(), Incident.created_at.desc(), Incident.id)
             .limit(LIST_LIMIT))
    rows = db.session.scalars(query).all()
    visible_ids = set(db.session.scalars(select(Component.id).where(visibility.component_filter(PUBLIC))))
    return site, [incident_json(i, PUBLIC, site.page_id, visible_ids) for i in rows]


@bp.get("/incidents.json")
def incidents():
    def render():
        site, rows = _recent("incident")
        return {"page": page_json(site), "incidents": rows}
    return _serve("incidents", render)


@bp.get("/scheduled-maintenances.json")
def scheduled_maintenances():
    def render():
        site, rows = _recent("maintenance")
        return {"page": page_json(site), "scheduled_maintenances": rows}
    return _serve("scheduled-maintenances", render)

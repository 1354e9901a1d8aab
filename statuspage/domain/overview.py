"""Everything the status page and summary.json show, for one audience, in a constant number of queries."""
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import (
    ACTIVE_MAINTENANCE_STATUSES,
    CLOSED_STATUSES,
    OPEN_INCIDENT_STATUSES,
    Component,
    ComponentGroup,
    Incident,
    IncidentComponent,
    Site,
)
from ..models.columns import utcnow
from ..rendering import zone
from . import maintenance, visibility
from . import uptime as uptime_rules
from .status import OverallStatus, overall_status

RECENT_DAYS = 14


@dataclass
class GroupView:
    group: ComponentGroup | None
    components: list[Component]
    uptime_percent: float | None = None

    @property
    def worst_status(self) -> str:
        from .status import worst_component_status
        return worst_component_status(c.status for c in self.components)


@dataclass
class Overview:
    site: Site
    audience: str
    status: OverallStatus
    groups: list[ComponentGroup]
    components: list[Component]  # every visible component, groups' children included
    sections: list[GroupView]  # what the page lists, in order: groups and ungrouped components
    open_incidents: list[Incident]
    active_maintenance: list[Incident]
    upcoming_maintenance: list[Incident]
    recent_incidents: list[Incident]
    uptime: dict = field(default_factory=dict)
    now: datetime = field(default_factory=utcnow)


def incident_loader():
    """Options that load an incident's updates and components with it (no query per incident)."""
    return (selectinload(Incident.updates),
            selectinload(Incident.affected).selectinload(IncidentComponent.component)
            .selectinload(Component.group))


def _where(query, clause):
    """``query`` limited by a visibility clause (None: the audience sees everything)."""
    return query if clause is None else query.where(clause)


def page_status(audience: str) -> OverallStatus:
    """The page's overall status as ``audience`` sees it now, in two small queries: for a caller that needs
    only the indicator (a notification's page.status_indicator), not the whole overview. The same rows and
    rule as ``load_overview``: unresolved incidents' impacts, active maintenance, visible components."""
    components = _where(select(Component.status), visibility.component_filter(audience))
    incidents = _where(select(Incident.impact, Incident.kind, Incident.status)
                       .where(Incident.status.in_(OPEN_INCIDENT_STATUSES + ACTIVE_MAINTENANCE_STATUSES)),
                       visibility.incident_filter(audience))
    rows = db.session.execute(incidents).all()
    return overall_status(db.session.scalars(components).all(),
                          [r.impact for r in rows if r.kind == "incident"],
                          any(r.kind == "maintenance" for r in rows))


def weights() -> dict:
    cfg = current_app.config
    return {"major_outage": cfg["UPTIME_WEIGHT_MAJOR"], "partial_outage": cfg["UPTIME_WEIGHT_PARTIAL"],
            "degraded_performance": cfg["UPTIME_WEIGHT_DEGRADED"]}


def load_overview(audience: str, now: datetime | None = None, with_uptime: bool = True,
                  uptime_days: int = 90) -> Overview:
    """Load the page's state for ``audience`` ('public' or 'internal')."""
    now = now or utcnow()
    site = Site.get()
    groups = db.session.scalars(_where(select(ComponentGroup), visibility.group_filter(audience))
                                .order_by(ComponentGroup.position, ComponentGroup.name)).all()
    components = db.session.scalars(
        _where(select(Component).options(selectinload(Component.group)), visibility.component_filter(audience))
        .order_by(Component.position, Component.name)).all()
    by_group: dict = {}
    for c in components:
        by_group.setdefault(c.group_id, []).append(c)
    sections = []
    ungrouped = by_group.get(None, [])
    for g in groups:
        if by_group.get(g.id):
            sections.append((g.position, GroupView(g, by_group[g.id])))
    for c in ungrouped:
        sections.append((c.position, GroupView(None, [c])))
    sections = [s for _, s in sorted(sections, key=lambda item: item[0])]

    open_rows = db.session.scalars(
        _where(select(Incident).options(*incident_loader()), visibility.incident_filter(audience))
        .where(Incident.status.not_in(CLOSED_STATUSES))
        .order_by(Incident.started_at.desc())).all()
    open_incidents = [i for i in open_rows if not i.is_maintenance]
    active = [i for i in open_rows if i.is_maintenance and i.status in ACTIVE_MAINTENANCE_STATUSES]
    # A window whose end passed while still scheduled is upcoming no more (the console lists it as overdue).
    upcoming = sorted((i for i in open_rows if maintenance.schedule_state(i, now) in (
        maintenance.UPCOMING, maintenance.OVERDUE_TO_START)), key=lambda i: i.scheduled_for or i.started_at)
    recent = db.session.scalars(
        _where(select(Incident).options(*incident_loader()), visibility.incident_filter(audience))
        .where(Incident.status.in_(CLOSED_STATUSES), Incident.started_at >= now - timedelta(days=RECENT_DAYS))
        .order_by(Incident.started_at.desc()).limit(50)).all()

    status = overall_status((c.status for c in components), (i.impact for i in open_incidents), bool(active))
    uptime = {}
    if with_uptime:
        tz = zone(site.time_zone)
        uptime = uptime_rules.load_uptime(components, now, tz, uptime_days, weights(),
                                          visibility.incident_filter(audience))
        for section in sections:
            section.uptime_percent = uptime_rules.group_percent([uptime[c.id] for c in section.components])
    return Overview(site=site, audience=audience, status=status, groups=list(groups),
                    components=list(components), sections=sections, open_incidents=open_incidents,
                    active_maintenance=active, upcoming_maintenance=upcoming, recent_incidents=list(recent),
                    uptime=uptime, now=now)

"""Statuses, their order and words, and the overall status of the page (Statuspage's rules)."""
from dataclasses import dataclass

COMPONENT_STATUS_RANK = {
    "operational": 0,
    "under_maintenance": 1,
    "degraded_performance": 2,
    "partial_outage": 3,
    "major_outage": 4,
}
COMPONENT_STATUS_LABEL = {
    "operational": "Operational",
    "degraded_performance": "Degraded performance",
    "partial_outage": "Partial outage",
    "major_outage": "Major outage",
    "under_maintenance": "Under maintenance",
}
IMPACT_RANK = {"none": 0, "minor": 1, "major": 2, "critical": 3}
IMPACT_LABEL = {"none": "None", "minor": "Minor", "major": "Major", "critical": "Critical",
                "maintenance": "Maintenance"}
INCIDENT_STATUS_LABEL = {
    "investigating": "Investigating", "identified": "Identified", "monitoring": "Monitoring",
    "resolved": "Resolved", "postmortem": "Postmortem", "scheduled": "Scheduled",
    "in_progress": "In progress", "verifying": "Verifying", "completed": "Completed",
}

# The incident impact a component status implies when an incident sets it (used for defaults).
IMPACT_FOR_COMPONENT_STATUS = {
    "operational": "none", "under_maintenance": "none", "degraded_performance": "minor",
    "partial_outage": "major", "major_outage": "critical",
}


@dataclass(frozen=True)
class OverallStatus:
    indicator: str  # none | minor | major | critical | maintenance
    description: str

    @property
    def css(self) -> str:
        return {"none": "operational", "minor": "minor", "major": "major", "critical": "critical",
                "maintenance": "maintenance"}[self.indicator]


_BY_INCIDENT = {
    "minor": OverallStatus("minor", "Minor Service Outage"),
    "major": OverallStatus("major", "Partial System Outage"),
    "critical": OverallStatus("critical", "Major System Outage"),
}
_BY_COMPONENT = {
    "degraded_performance": OverallStatus("minor", "Partially Degraded Service"),
    "partial_outage": OverallStatus("minor", "Partial System Outage"),
    "major_outage": OverallStatus("major", "Major System Outage"),
}
ALL_OPERATIONAL = OverallStatus("none", "All Systems Operational")
UNDER_MAINTENANCE = OverallStatus("maintenance", "Service Under Maintenance")


def worst_component_status(statuses) -> str:
    """The most severe of the given component statuses ('operational' for none)."""
    return max(statuses, key=COMPONENT_STATUS_RANK.__getitem__, default="operational")


# An indicator's severity is its impact's rank (IMPACT_RANK). How bad each sentence is, to break a tie between
# an incident's and the components' reading of one indicator: a major outage of a component ("Major System
# Outage") is worse news than a major incident ("Partial System Outage").
_SENTENCE_RANK = {"Partially Degraded Service": 0, "Minor Service Outage": 1, "Partial System Outage": 2,
                  "Major System Outage": 3}


def overall_status(component_statuses, open_incident_impacts, maintenance_in_progress: bool) -> OverallStatus:
    """The page's indicator and sentence.

    The worse of two readings wins: the worst impact among unresolved incidents, and the worst component
    status (so an incident's impact never hides a worse component). With neither, a maintenance in progress
    (or a component under maintenance) comes next; else all systems are operational.
    """
    readings = [_BY_INCIDENT[i] for i in open_incident_impacts if i in _BY_INCIDENT]
    statuses = list(component_statuses)
    worst = worst_component_status(statuses)
    if worst in _BY_COMPONENT:
        readings.append(_BY_COMPONENT[worst])
    if readings:
        return max(readings, key=lambda s: (IMPACT_RANK[s.indicator], _SENTENCE_RANK[s.description]))
    if maintenance_in_progress or worst == "under_maintenance":
        return UNDER_MAINTENANCE
    return ALL_OPERATIONAL

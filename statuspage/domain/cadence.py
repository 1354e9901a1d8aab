"""How often an open incident owes a public update and leaders an executive summary, per priority.

Defaults: P1 a public update every 20 minutes and a summary every 30; P2 an update hourly (and a summary hourly
when flagged major); P3–P5 none. After an incident's first two hours updates are due at most hourly: the early
cadence is for the first confused hours, not for a long tail. An incident flagged major whose priority has no
cadence follows P2's. An admin edits them on the "Targets per priority" page beside the SLA targets
(``domain.priority_table``).
"""
from datetime import datetime, timedelta

from ..models import Incident, UpdateCadence
from .priority_table import PriorityTable, minutes
from .recording import Actor
from .sla import elapsed

# priority -> (public update minutes, executive summary minutes); None is "no cadence".
DEFAULT_CADENCE: dict[int, tuple[int | None, int | None]] = {
    1: (20, 30), 2: (60, 60), 3: (None, None), 4: (None, None), 5: (None, None)}
EARLY_PERIOD = timedelta(hours=2)
LATE_CADENCE = timedelta(hours=1)
MAX_MINUTES = 24 * 60
TABLE = PriorityTable(UpdateCadence, ("update_minutes", "summary_minutes"), DEFAULT_CADENCE, "cadence.set",
                      "update_cadence", "Update cadence")


def cadences() -> dict[int, tuple[int | None, int | None]]:
    """The cadence in force for every priority: stored ones, defaults for the rest (one query)."""
    return TABLE.read()


def _minutes_for(incident: Incident, which: int, table: dict | None) -> int | None:
    table = table or cadences()
    minutes = table[incident.priority][which] if incident.priority in table else None
    if minutes is None and incident.major:
        minutes = table[2][which]
    return minutes


def update_every(incident: Incident, since: datetime, table: dict | None = None) -> timedelta | None:
    """How long after ``since`` (the last public update) the next one is due; None without a cadence."""
    minutes = None if incident.is_maintenance else _minutes_for(incident, 0, table)
    if minutes is None:
        return None
    every = timedelta(minutes=minutes)
    return every if elapsed(incident.started_at, since) < EARLY_PERIOD else max(every, LATE_CADENCE)


def summary_every(incident: Incident, table: dict | None = None) -> timedelta | None:
    """How often leaders are owed an executive summary of this major incident; None without a cadence."""
    minutes = _minutes_for(incident, 1, table)
    return timedelta(minutes=minutes) if minutes is not None else None


def set_cadences(actor: Actor, values: dict[int, tuple]) -> dict[int, tuple[int | None, int | None]]:
    """Store (update minutes, summary minutes) for the priorities given, blank for none. Audited; not public."""
    checked = {p: tuple(minutes(value, p, f"{what} cadence", f"p{p}_{kind}", 5, MAX_MINUTES, "5 minutes and a day")
                        for value, kind, what in ((u, "update", "public update"), (s, "summary", "executive summary")))
               for p, (u, s) in values.items()}
    return TABLE.save(actor, checked)

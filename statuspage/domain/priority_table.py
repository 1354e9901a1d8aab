"""Tables of minutes per priority, one row per priority: the SLA targets (``domain.sla``) and the update cadence
(``domain.cadence``). One way to read them (stored rows, defaults for the rest, one query), one way to check a
number of minutes, and one audited save that bumps only the internal version (none of it is public). Admins edit
both on one console page, "Targets per priority" (/admin/settings/targets), saved in one transaction.
"""
from dataclasses import dataclass

from ..extensions import db
from .recording import Actor, DomainError, bump_site_version, change, record

PRIORITIES = (1, 2, 3, 4, 5)
Minutes = tuple[int | None, int | None]


@dataclass(frozen=True)
class PriorityTable:
    """A model with ``priority`` and two nullable minute ``columns``, its ``defaults``, and how audits name it."""

    model: type
    columns: tuple[str, str]
    defaults: dict[int, Minutes]
    action: str
    object_type: str
    label: str

    def read(self) -> dict[int, Minutes]:
        stored = {row.priority: tuple(getattr(row, c) for c in self.columns)
                  for row in db.session.scalars(db.select(self.model))}
        return {p: stored.get(p, self.defaults[p]) for p in PRIORITIES}

    def save(self, actor: Actor, checked: dict[int, Minutes]) -> dict[int, Minutes]:
        """Store checked values (see ``minutes``) for the priorities given; audited, internal only."""
        with change():
            before = self.read()
            for priority, values in checked.items():
                row = db.session.get(self.model, priority) or self.model(priority=priority)
                for column, value in zip(self.columns, values, strict=True):
                    setattr(row, column, value)
                db.session.add(row)
            db.session.flush()
            after = self.read()
            record(actor, self.action, self.object_type, "all", self.label,
                   before={f"P{p}": list(v) for p, v in before.items()},
                   after={f"P{p}": list(v) for p, v in after.items()})
            bump_site_version(public=False)
        return after


def minutes(value, priority: int, what: str, field: str, low: int, high: int, bounds: str) -> int | None:
    """A box of minutes: blank is None; otherwise a whole number from ``low`` to ``high`` (``bounds`` says so
    in words), or a DomainError naming ``field``."""
    if priority not in PRIORITIES:
        raise DomainError(f"unknown priority {priority!r}", field="priority")
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise DomainError(f"P{priority} {what} must be a whole number of minutes", field=field) from None
    if not low <= number <= high:
        raise DomainError(f"P{priority} {what} must be between {bounds}", field=field)
    return number

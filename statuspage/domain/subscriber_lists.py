"""Subscribers in bulk: the staff list (search and filters), counts, CSV export and CSV import.

CSV columns: ``channel,target[,audience,components,min_impact]`` — components are ids or names separated by
``;`` (empty = all). A header row naming the columns is optional and lets the columns come in any order, so an
export (which adds state and dates) imports back unchanged. Each line is imported in its own transaction
through ``subscriptions.subscribe``; a bad line is reported with its number and never stops the others.
"""
import csv
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import func
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Component, Subscriber
from . import subscriptions
from .recording import SYSTEM, Actor, DomainError
from .subscription_rules import display_target
from .text import clean_line

IMPORT_COLUMNS = ("channel", "target", "audience", "components", "min_impact")
EXPORT_COLUMNS = IMPORT_COLUMNS + ("state", "created_at", "confirmed_at")
SECRET_CHANNELS = ("chat", "webhook")  # their targets are URLs carrying credentials


def state_filter(state: str):
    """A WHERE clause for unconfirmed, active or disabled subscribers."""
    if state == "disabled":
        return Subscriber.disabled_at.is_not(None)
    if state == "active":
        return Subscriber.disabled_at.is_(None) & Subscriber.confirmed_at.is_not(None)
    if state == "unconfirmed":
        return Subscriber.disabled_at.is_(None) & Subscriber.confirmed_at.is_(None)
    raise DomainError("state must be unconfirmed, active or disabled", field="state")


def _matching_secret_targets(search: str) -> list[int]:
    """Chat and webhook subscribers whose target, as staff without admin rights see it, contains
    ``search`` (their full URL holds credentials, so it must not answer a substring search)."""
    rows = db.session.execute(db.select(Subscriber.id, Subscriber.channel, Subscriber.target)
                              .where(Subscriber.channel.in_(SECRET_CHANNELS)))
    return [row.id for row in rows if search in display_target(row).lower()]


def subscriber_query(search: str = "", channel: str = "", audience: str = "", state: str = "",
                     *, full_targets: bool = True):
    """Subscribers whose target contains ``search``, optionally of one channel, audience and state; newest
    first. Without ``full_targets`` (anyone but an admin) chat and webhook targets are searched only in the
    part ``display_target`` shows, so a search cannot guess their credentials one character at a time."""
    query = db.select(Subscriber).order_by(Subscriber.created_at.desc(), Subscriber.id.desc())
    search = clean_line(search)  # typed into a box or a query string: no NUL may reach the database
    if search:
        escaped = search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        matches = func.lower(Subscriber.target).like(pattern, escape="\\")
        if not full_targets:
            matches = (matches & Subscriber.channel.not_in(SECRET_CHANNELS)) | Subscriber.id.in_(
                _matching_secret_targets(search.strip().lower()))
        query = query.where(matches)
    if channel:
        query = query.where(Subscriber.channel == channel)
    if audience:
        query = query.where(Subscriber.audience == audience)
    if state:
        query = query.where(state_filter(state))
    return query


def counts() -> dict[str, int]:
    """How many subscribers are unconfirmed, active and disabled, and in all."""
    result = {"all": 0, "unconfirmed": 0, "active": 0, "disabled": 0}
    for name in ("unconfirmed", "active", "disabled"):
        result[name] = db.session.scalar(db.select(func.count()).select_from(Subscriber)
                                         .where(state_filter(name))) or 0
    result["all"] = sum(result[name] for name in ("unconfirmed", "active", "disabled"))
    return result


def export_rows() -> Iterable[dict]:
    """Every subscriber as a CSV row (targets in full: exporting needs the manage permission)."""
    query = (subscriber_query().order_by(None).order_by(Subscriber.id)
             .options(selectinload(Subscriber.components)))
    for subscriber in db.session.scalars(query):
        yield {"channel": subscriber.channel, "target": subscriber.target, "audience": subscriber.audience,
               "components": ";".join(subscriber.component_ids), "min_impact": subscriber.min_impact,
               "state": subscriber.state,
               "created_at": subscriber.created_at.isoformat() if subscriber.created_at else "",
               "confirmed_at": subscriber.confirmed_at.isoformat() if subscriber.confirmed_at else ""}


def write_export(stream) -> int:
    """Write the export CSV (with a header row) to ``stream``; returns the number of subscribers."""
    writer = csv.DictWriter(stream, fieldnames=EXPORT_COLUMNS)
    writer.writeheader()
    written = 0
    for row in export_rows():
        writer.writerow(row)
        written += 1
    return written


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.created + self.updated


def numbered_rows(lines: Iterable[str]) -> list[tuple[int, dict]]:
    """Parse CSV text lines into (line number, {column: value}); a header row is recognised and skipped."""
    rows = list(csv.reader(lines))
    columns = IMPORT_COLUMNS
    start = 0
    if rows and rows[0] and rows[0][0].strip().lower() == "channel":
        columns = tuple(cell.strip().lower() for cell in rows[0])
        start = 1
    parsed = []
    for index, cells in enumerate(rows[start:], start=start + 1):
        if not any(cell.strip() for cell in cells):
            continue
        parsed.append((index, {name: cells[i].strip() for i, name in enumerate(columns) if i < len(cells)}))
    return parsed


def _component_ids(text: str, names: dict[str, str], ids: set[str]) -> list[str] | None:
    tokens = [t.strip() for t in text.replace(",", ";").split(";") if t.strip()]
    if not tokens:
        return None
    resolved = []
    for token in tokens:
        if token in ids:
            resolved.append(token)
        elif token.lower() in names:
            resolved.append(names[token.lower()])
        else:
            raise DomainError(f"no component {token!r}", field="components")
    return resolved


def import_rows(rows: Iterable[tuple[int, dict]], actor: Actor = SYSTEM,
                confirmed: bool = False) -> ImportReport:
    """Subscribe every row; ``confirmed`` imports an already-confirmed list (no confirmation messages)."""
    components = db.session.execute(db.select(Component.id, Component.name)).all()
    ids = {c.id for c in components}
    names = {c.name.lower(): c.id for c in components}
    report = ImportReport()
    for line, row in rows:
        try:
            chosen = _component_ids(row.get("components") or "", names, ids)
            result = subscriptions.subscribe(
                (row.get("channel") or "").lower(), row.get("target") or "",
                (row.get("audience") or "public").lower(), chosen,
                (row.get("min_impact") or "none").lower(), actor=actor, confirmed=confirmed)
        except DomainError as error:
            db.session.rollback()
            report.errors.append((line, f"{error.field}: {error.message}" if error.field else error.message))
            continue
        if result.created:
            report.created += 1
        else:
            report.updated += 1
    return report

"""Circuit breakers per destination: the SMTP relay, the SMS provider, each webhook or chat host.

A destination that timed out or refused ``BREAKER_FAILURES`` times in a row (across all workers) is *open*:
deliveries to it are not attempted but put back to ``pending`` until the breaker's ``retry_at``, without
counting as an attempt (a relay's outage is not the subscriber's failure, so nobody is disabled or given up).
After the cool-down (``BREAKER_COOLDOWN_SECONDS``, never longer than ``RETRY_MAX_SECONDS``) one worker takes
the *half-open* probe (an UPDATE only one worker wins) and sends one delivery: success closes the breaker and
everything flows again, failure opens it for another cool-down. Any answer from the destination (sent, or an
HTTP/SMTP error reply) resets the count.

The state lives in the ``delivery_breaker`` table, so several worker processes share it: each worker reads the
open breakers at most a few times a second (a small table: only destinations that failed have rows) and
updates it when it records results. Only the worker's main thread touches the database; sending threads read
``hold(destination)`` from the in-memory copy, so the jobs already queued behind a stalled relay are handed
back at once instead of each waiting for its own timeout. The console's deliveries page and
``statuspage deliveries`` list ``open_breakers()``.
"""
import importlib
import re
import time
from datetime import datetime, timedelta
from functools import cache
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from .claims import setting
from .extensions import db
from .models import Delivery, DeliveryBreaker
from .models.columns import utcnow

# Failures that say "could not reach it" (as opposed to an answer: an HTTP status, an SMTP reply).
_UNREACHABLE = re.compile(
    r"timed? ?out|timeout|did not answer|could not connect|connection (?:error|refused|reset|aborted)|"
    r"could not deliver to the mail server|name or service not known|name resolution|network is unreachable|"
    r"no route to host|server disconnected|connection unexpectedly closed", re.IGNORECASE)
REFRESH_SECONDS = 0.25


def looks_unreachable(reason: str) -> bool:
    return bool(_UNREACHABLE.search(reason or ""))


def destination(channel: str, target: str, config) -> str:
    """The breaker's name for where a delivery goes: one relay for all email, one provider for all SMS, the
    host (and port) of a webhook or chat URL, or the chat service when its URL holds tokens, not a host."""
    if channel == "email":
        parts = _split(config.get("SMTP_URL", ""))
        return f"email relay {parts.hostname or '?'}:{parts.port or 25}" if parts else "email relay"
    if channel == "sms":
        return f"sms provider {(config.get('SMS_URL', '') or '?').split('://', 1)[0]}"
    parsed = _urls().scheme_host_port(target)
    if parsed is None:
        return f"{channel} ?"
    scheme, host, port = parsed
    if channel == "chat" and "." not in host and ":" not in host and host != "localhost":
        return f"chat {scheme}"  # slack://T/B/C and friends post to their service's one host
    return f"{channel} {host}" + (f":{port}" if port else "")


@cache
def _urls():
    """notifiers.urls, imported on first use (the web process never loads notifiers; and not a ``from … import``
    per call: see ``statuspage.jobs._notifiers``)."""
    return importlib.import_module("notifiers.urls")


def _split(url: str):
    try:
        parts = urlsplit(url or "")
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError:
        return None
    return parts


def held_reason(dest: str) -> str:
    """The reason a held delivery shows (and how ``_close`` finds what a breaker held)."""
    return f"not attempted: {dest} is not answering (circuit breaker open); waiting for it to recover"


def cooldown_seconds() -> float:
    from flask import current_app

    cooldown = float(current_app.config.get("BREAKER_COOLDOWN_SECONDS") or 30)
    return max(min(cooldown, setting("RETRY_MAX_SECONDS")), 0.05)


def open_breakers() -> list[DeliveryBreaker]:
    """Breakers open or half-open, longest open first (for the console and the CLI)."""
    rows = db.session.scalars(select(DeliveryBreaker).where(DeliveryBreaker.state != "closed")
                              .order_by(DeliveryBreaker.opened_at, DeliveryBreaker.destination)).all()
    return list(rows)


class Breakers:
    """One worker's view of the breakers and its updates to them (main thread), ``hold`` for sending threads."""

    def __init__(self, worker_name: str, threshold: int, cooldown: float):
        self.worker = worker_name
        self.threshold, self.cooldown = max(int(threshold), 1), cooldown
        self.view: dict[str, tuple[str, datetime | None]] = {}  # open or half-open destination -> (state, retry_at)
        self.counting: set[str] = set()  # destinations with a failure count or an open breaker
        self._refreshed = 0.0

    def refresh(self, force: bool = False) -> None:
        if not force and time.monotonic() - self._refreshed < REFRESH_SECONDS:
            return
        rows = db.session.execute(select(DeliveryBreaker.destination, DeliveryBreaker.state, DeliveryBreaker.retry_at)
                                  .where((DeliveryBreaker.state != "closed") | (DeliveryBreaker.failures > 0))).all()
        db.session.commit()
        self.view = {dest: (state, retry_at) for dest, state, retry_at in rows if state != "closed"}
        self.counting = {dest for dest, _, _ in rows}  # a success there resets a count (the only UPDATE it needs)
        self._refreshed = time.monotonic()

    def blocks(self, dest: str) -> bool:
        """True while ``dest``'s breaker is open and not yet due for its probe, or being probed."""
        state, retry_at = self.view.get(dest, ("closed", None))
        return state == "half_open" or (state == "open" and retry_at is not None and retry_at > utcnow())

    def hold(self, dest: str) -> datetime | None:
        """Until when a delivery to ``dest`` waits (the breaker is open or being probed), or None: send."""
        state, retry_at = self.view.get(dest, ("closed", None))
        if state == "closed":
            return None
        now = utcnow()
        if state == "open" and retry_at is not None and retry_at > now:
            return retry_at
        return now + timedelta(seconds=self.cooldown)  # probing: look again after a cool-down

    def gate(self, dest: str) -> tuple[bool, datetime | None]:
        """(probe, held_until) for a job about to be submitted: send it (as the probe, if the breaker is due
        for one and this worker won it), or hold it."""
        state, retry_at = self.view.get(dest, ("closed", None))
        if state == "closed":
            return False, None
        now = utcnow()
        if state == "half_open" or (retry_at is not None and retry_at > now):
            return False, self.hold(dest)
        probe_until = now + timedelta(seconds=max(self.cooldown, 30))  # another worker probes if this one dies
        won = db.session.execute(
            update(DeliveryBreaker).where(DeliveryBreaker.destination == dest,
                                          DeliveryBreaker.state.in_(("open", "half_open")),
                                          DeliveryBreaker.retry_at <= now)
            .values(state="half_open", probe_by=self.worker, retry_at=probe_until, updated_at=now)
            .execution_options(synchronize_session=False)).rowcount
        db.session.commit()
        self.view[dest] = ("half_open", probe_until)
        return (True, None) if won else (False, self.hold(dest))

    def observe(self, outcomes) -> None:
        """Count what recorded ``outcomes`` say about their destinations (call after record_results)."""
        by_destination: dict[str, list] = {}
        for outcome in outcomes:
            if outcome.destination and outcome.held_until is None and not outcome.skipped:
                by_destination.setdefault(outcome.destination, []).append(outcome)
        for dest, items in by_destination.items():
            answered = [n for n, o in enumerate(items) if o.sent or not o.unreachable]
            tail = [o for o in items[(answered[-1] + 1 if answered else 0):] if o.unreachable]
            if answered and dest in self.counting:
                self._close(dest)
            if tail:
                self._fail(dest, len(tail), tail[-1].reason)
        db.session.commit()

    def _close(self, dest: str) -> None:
        now = utcnow()
        was_open = db.session.execute(
            update(DeliveryBreaker).where(DeliveryBreaker.destination == dest, DeliveryBreaker.state != "closed")
            .values(state="closed", failures=0, reason=None, opened_at=None, retry_at=None, probe_by=None,
                    updated_at=now).execution_options(synchronize_session=False)).rowcount
        db.session.execute(
            update(DeliveryBreaker).where(DeliveryBreaker.destination == dest, DeliveryBreaker.failures > 0)
            .values(failures=0, updated_at=now).execution_options(synchronize_session=False))
        if was_open:  # what it held goes out now, not a cool-down later
            db.session.execute(update(Delivery).where(Delivery.state == "pending", Delivery.next_attempt_at > now,
                                                      Delivery.last_error == held_reason(dest))
                               .values(next_attempt_at=now).execution_options(synchronize_session=False))
        self.view.pop(dest, None)
        self.counting.discard(dest)

    def _fail(self, dest: str, count: int, reason: str) -> None:
        now = utcnow()
        dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
        db.session.execute(dialect.insert(DeliveryBreaker).values(
            destination=dest, state="closed", failures=0, updated_at=now).on_conflict_do_nothing())
        row = db.session.scalars(select(DeliveryBreaker).where(DeliveryBreaker.destination == dest)
                                 .with_for_update()).one()
        row.failures += count
        row.reason = (reason or "")[:2000]
        row.updated_at = now
        if row.state == "half_open" or (row.state == "closed" and row.failures >= self.threshold):
            row.opened_at = row.opened_at if row.state == "half_open" else now
            row.state, row.probe_by = "open", None
            row.retry_at = now + timedelta(seconds=self.cooldown)
        self.counting.add(dest)
        if row.state != "closed":
            self.view[dest] = (row.state, row.retry_at)

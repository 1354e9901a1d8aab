"""One pass of the notification worker at a time (`Pipeline`): record what was sent, claim what is due, hand
it to the lanes; and its housekeeping. ``statuspage.worker`` runs it in a loop."""
import logging
import time
from dataclasses import replace

from flask import current_app

from . import dispatch
from .breakers import Breakers, destination
from .dispatch import Outcome
from .domain import clock
from .expander import Expander
from .export_keeper import ExportKeeper
from .extensions import db
from .jobs import Job, attempt, claim_job_rows, failed, held, jobs_for
from .lanes import Lane, wait_any
from .notifications import EventContexts

log = logging.getLogger("statuspage.worker")
# Expired leases, lanes of old rows and the maintenance clock run at every CHORES_EVERY-th housekeeping (every
# 5 s with the default 1 s poll interval; the heartbeat and expansion keep theirs). The clock alone makes a
# dozen queries: once a second, it took up to 3% of a core from a large fan-out's main thread, for work due at
# most once a minute (a window's start and end, a reminder, an SLA timer).
CHORES_EVERY = 5


class Pipeline:
    """Claims, sends and records, one lane per channel (``statuspage.lanes``): each lane claims from its own
    channel's queue when it has room, and results are recorded as sends finish. While one lane's threads sit
    in timeouts, the others keep claiming and sending; the breakers stop a dead destination from using up its
    lane at all."""

    def __init__(self, name: str, lanes: dict[str, Lane], sender, lease_seconds: float | None,
                 keeper: ExportKeeper | None = None, breakers: Breakers | None = None, poll_interval: float = 1.0):
        self.name, self.lanes, self.sender, self.lease = name, lanes, sender, lease_seconds
        self.keeper = keeper  # keeps STATUSPAGE_EXPORT_DIR current, when set
        self.breakers = breakers or Breakers(name, 5, 30.0)
        self.contexts = EventContexts(max_age=5.0)  # an event's audience-level context, kept across steps
        self.known: list[Outcome] = []  # outcomes decided without sending, recorded with the next results
        self.wake = next(iter(lanes.values())).wake
        self.claimed = 0  # by the last step
        self.poll_interval = poll_interval
        self.passes = 0  # housekeeping passes so far (the chores run on every CHORES_EVERY-th, the first included)
        self.expander: Expander | None = None  # expands new events in a thread of its own (PostgreSQL)

    @property
    def in_flight(self) -> bool:
        return bool(self.known) or any(lane.in_flight for lane in self.lanes.values())

    def housekeeping(self) -> int:
        """The static export and expansion, and on every CHORES_EVERY-th pass expired leases and the maintenance
        clock; returns deliveries added. Every lane looks for due deliveries again after it (new events, retries
        now due)."""
        for lane in self.lanes.values():
            lane.idle_until = 0.0
        if self.passes % CHORES_EVERY == 0:
            self.chores()
        self.passes += 1
        if self.keeper is not None:
            try:
                self.keeper.tick()
            except Exception:  # a full disk must not stop notifications; the last good export stays served
                db.session.rollback()
                log.exception("the static export failed; deliveries carry on")
        return self.expand()

    def chores(self) -> None:
        """Expired leases back to pending, lanes for rows without one, and the maintenance clock."""
        dispatch.release_expired_leases()
        dispatch.fill_lanes()
        try:
            clock.tick()
        except Exception:
            db.session.rollback()
            log.exception("the maintenance clock failed; deliveries carry on")

    def expand(self) -> int:
        """Expand new events into deliveries (or take what the Expander's thread added); every lane looks for
        due deliveries again if any were added."""
        added = self.expander.take() if self.expander is not None else dispatch.expand_events()
        if added:
            for lane in self.lanes.values():
                lane.idle_until = 0.0
        return added

    def step(self) -> int:
        """Record finished sends, then let each lane with room claim, and start what they claimed (loaded in
        one go: an event's context is built once per step, not once per lane). Returns deliveries claimed plus
        results recorded (a recorded retry may be due at once, so either means: go round again)."""
        done = self.record()
        self.breakers.refresh()
        rows = []
        for lane in self.lanes.values():
            if lane.wants_more():
                rows += self.claim(lane)
        if rows:
            jobs, known = jobs_for(rows, self.contexts)
            self.known.extend(known)
            queued: dict[str, list] = {}
            prepare = getattr(self.sender, "prepare", None)  # (jobs.NotifierSender.prepare: webhooks)
            for job in jobs:
                if prepare is not None and job.channel == "webhook":
                    try:
                        job.prepared = prepare(job)
                    except Exception as exc:
                        self.known.append(failed(job, exc))
                        continue
                self.start(job, queued)
            for channel, items in queued.items():
                self.lanes[channel].submit(items)
        self.claimed = len(rows)
        return done + len(rows)

    def claim(self, lane: Lane) -> list:
        """What ``lane`` claimed (`jobs.claim_job_rows`: the rows its jobs are made of)."""
        if lane.idle_until > time.monotonic():
            return []  # found nothing due a moment ago: look again at the next housekeeping
        limit = lane.free()
        relay = self.relay(lane.channel)
        if relay in self.breakers.view:  # the lane's one destination is out: claim only a probe, when due
            if self.breakers.blocks(relay):
                return []
            limit = 1
        rows = claim_job_rows(self.name, limit, self.lease, lane.channel)
        if not rows:
            lane.idle_until = time.monotonic() + self.poll_interval
        return rows

    def start(self, job: Job, queued: dict[str, list]) -> None:
        """Hold ``job`` (its destination's breaker is open) or add it to its lane's share of ``queued``."""
        probe, until = self.breakers.gate(job.destination)
        if until is not None:
            self.known.append(held(job, until))
            return
        channel = job.channel if job.channel in self.lanes else next(iter(self.lanes))
        queued.setdefault(channel, []).append((job.destination, job.rank, attempt,
                                               (self.sender, replace(job, probe=probe) if probe else job,
                                                self.breakers.hold)))

    def relay(self, channel: str) -> str | None:
        """The one destination of every delivery on ``channel`` (the SMTP relay, the SMS provider), or None."""
        return destination(channel, "", current_app.config) if channel in ("email", "sms") else None

    def record(self) -> int:
        outcomes, self.known = self.known, []
        for lane in self.lanes.values():
            outcomes.extend(lane.done())
        if outcomes:
            dispatch.record_results(self.name, outcomes)
            self.breakers.observe(outcomes)
        return len(outcomes)

    def wait(self, timeout: float) -> None:
        """Until a lane is ready to be recorded (half of it, or all of it, has finished), or ``timeout``."""
        wait_any(self.lanes.values(), self.wake, timeout)

    def flush(self) -> int:
        """Wait for every send in flight and record the results; returns how many."""
        recorded = 0
        while self.in_flight:
            self.wait(1.0)
            recorded += self.record()
        return recorded

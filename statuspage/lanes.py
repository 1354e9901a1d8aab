"""Bulkheads: each channel (email, SMS, chat, webhook) has its own lane in the worker, with its own sending
threads and its own claim query (``dispatch.claim_due(channel=...)``). A relay that accepts and never answers
fills only the email lane: webhooks, chat and SMS keep their threads and keep being claimed.

Inside a lane, destinations share the threads fairly: a free thread takes the next job of the destination
with the fewest sends running (ties: the one served least recently), so a webhook host that times out holds
at most its share of the lane's threads while another host's deliveries keep flowing; with one destination
(a benchmark sink, the SMTP relay) every thread serves it. The webhook and chat lanes also cap the sends in
flight to any one host (``per_destination``, WORKER_HOST_CONCURRENCY): a receiver sees at most that many
requests at once however many threads the lane has, so the lane can have many threads (a webhook lane waits
on receivers far away, not on the CPU: 32 threads by default) without a small receiver being flooded.

Inside a destination's queue, jobs go out by rank (priority, then rank within the event: ``dispatch.claim_due``'s
order), not by arrival: a new event's first deliveries, claimed while an earlier event's are still queued,
overtake them instead of waiting behind a lane's worth of them. (One subscriber's later update is never
claimed while its earlier one is held, so this cannot reorder one subscriber's messages.)

A lane holds at most ``capacity`` claimed deliveries (queued or sending; the rest stay in the database for any
worker): ``DEPTH`` batches. When one batch has finished, the main thread records it and claims the next while
the others are still being sent, so the threads never wait for the database (with two batches, they ran dry
while the main thread recorded, claimed and loaded). Only the worker's main thread touches the database; lane
threads only send.
"""
import heapq
import itertools
import threading
from collections import Counter

CHANNELS = ("email", "sms", "chat", "webhook")


def wait_any(lanes, wake: threading.Event, timeout: float) -> None:
    """Sleep until some lane is ``ready`` (at most ``timeout`` seconds): results are recorded in batches, and
    the sending threads do not hand the interpreter to the main thread after every send (a lane sets ``wake``
    only when it becomes ready)."""
    wake.clear()
    if not any(lane.ready() for lane in lanes):
        wake.wait(timeout)


def channel_threads(spec: str, default: int, defaults: dict[str, int] | None = None) -> dict[str, int]:
    """Threads per channel from ``"email=8,sms=2"`` (a channel not named gets its entry in ``defaults``, else
    ``default``)."""
    threads = dict.fromkeys(CHANNELS, default) | (defaults or {})
    for part in (spec or "").split(","):
        name, _, number = part.partition("=")
        name = name.strip().lower()
        if name in threads and number.strip().isdigit() and int(number) > 0:
            threads[name] = min(int(number), 128)
    return threads


class Lane:
    DEPTH = 3  # batches held: one recorded and claimed again while the others are sent

    def __init__(self, channel: str, threads: int, capacity: int, wake: threading.Event,
                 per_destination: int | None = None):
        self.channel, self.threads = channel, threads
        self.capacity = max(capacity, threads)
        self.per_destination = per_destination or threads  # sends in flight to one destination, at most
        self.wake = wake  # set when the lane becomes ready (the main loop sleeps on it)
        self.cond = threading.Condition()
        self.queues: dict[str, list] = {}  # destination -> heap of (rank, tiebreak, fn, args)
        self.running: Counter = Counter()  # destination -> sends in flight (only while queued or sending)
        self.served: dict[str, int] = {}  # destination -> tick it was last taken from, or first queued
        # Which destination a free thread takes next: a heap of (running, served, destination), one current entry
        # per queued destination (entries whose numbers are no longer the destination's are skipped), so a lane
        # queueing thousands of hosts picks in O(log n), not by scanning them all for every send.
        self._order: list[tuple[int, int, str]] = []
        self.results: list = []
        self.held = 0  # claimed and not yet collected
        self.waiting = 0  # threads waiting for a job they may take
        self.closing = False
        self.idle_until = 0.0  # (monotonic) no claim before: the last one found nothing due
        self.workers: list[threading.Thread] = []
        self._tick = itertools.count()

    @property
    def in_flight(self) -> bool:
        return self.held > 0

    def free(self) -> int:
        return self.capacity - self.held

    @property
    def batch(self) -> int:
        return max(self.capacity // self.DEPTH, 1)

    def wants_more(self) -> bool:
        """Claim when a batch is free (or the lane is idle): claims stay batched, threads stay busy."""
        return not self.held or self.free() >= self.batch

    def ready(self) -> bool:
        """Worth recording: a batch has finished, or all the lane holds."""
        with self.cond:
            return self._ready()

    def _ready(self) -> bool:
        finished = len(self.results)
        return finished > 0 and (finished >= self.batch or finished == self.held)

    def submit(self, items: list) -> None:
        """Queue ``(destination, rank, fn, args)`` items all at once, so a free thread chooses among all of them
        (one by one, the first items' destination would take every idle thread before the others were queued)."""
        with self.cond:
            for destination, rank, fn, args in items:
                queue = self.queues.get(destination)
                if queue is None:
                    queue = self.queues[destination] = []
                    self.served.setdefault(destination, next(self._tick))
                    self._enter(destination)
                heapq.heappush(queue, (rank, next(self._tick), fn, args))
            self.held += len(items)
            while len(self.workers) < min(self.threads, self.held):  # threads start as work first arrives
                worker = threading.Thread(target=self._run, name=f"send-{self.channel}-{len(self.workers)}",
                                          daemon=True)
                self.workers.append(worker)
                worker.start()
            self.cond.notify_all()

    def _enter(self, destination: str) -> None:
        heapq.heappush(self._order, (self.running[destination], self.served[destination], destination))

    def _next(self) -> str | None:
        """The queued destination with the fewest sends running (ties: the one served least recently), if it
        has room for one more under the per-destination cap; None when none has."""
        order = self._order
        while order:
            running, served, destination = order[0]
            if (destination in self.queues and running == self.running[destination]
                    and served == self.served[destination]):
                return destination if running < self.per_destination else None
            heapq.heappop(order)  # stale: sent, taken or finished since
        return None

    def _take(self, destination: str):
        heapq.heappop(self._order)  # its current entry, at the top
        queue = self.queues[destination]
        _, _, fn, args = heapq.heappop(queue)
        self.running[destination] += 1
        self.served[destination] = next(self._tick)
        if queue:
            self._enter(destination)
        else:
            del self.queues[destination]
        return fn, args

    def _finished(self, destination: str) -> None:
        self.running[destination] -= 1
        if destination in self.queues:
            self._enter(destination)
        elif not self.running[destination]:  # neither queued nor sending: forget it (a fan-out meets 100,000 hosts)
            del self.running[destination], self.served[destination]

    def _run(self) -> None:
        while True:
            with self.cond:
                destination = self._next()
                while destination is None and not (self.closing and not self.queues):
                    self.waiting += 1
                    self.cond.wait()
                    self.waiting -= 1
                    destination = self._next()
                if destination is None:
                    return
                fn, args = self._take(destination)
                if self.waiting and self._next() is not None:
                    self.cond.notify()  # more to take than this thread: wake one held back by the host cap
            result = None
            try:
                result = fn(*args)
            finally:  # (a send that raised leaves its delivery claimed until its lease runs out)
                with self.cond:
                    self._finished(destination)
                    self.results.append(result)
                    ready = self._ready()
                if ready:
                    self.wake.set()

    def done(self) -> list:
        """Results of the sends finished since the last call."""
        with self.cond:
            results, self.results = self.results, []
            self.held -= len(results)
        return [result for result in results if result is not None]

    def shutdown(self) -> None:
        with self.cond:
            self.closing = True
            self.cond.notify_all()
        for worker in self.workers:
            worker.join()

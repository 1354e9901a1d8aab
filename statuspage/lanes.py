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

The cap follows the receiver's speed: a destination whose sends take under ``QUICK_SEND`` (a receiver on the
same network) gets ``QUICK_CAP`` (2) at once, one that takes longer (a receiver across the internet) the full
cap, as soon as its sends take that long on average. Two in flight already keep a quick receiver busy while
the next is prepared; more only make the lane's threads queue for the interpreter (measured on a local sink:
eight in flight cost 200 µs of worker CPU per webhook and sent 3,900 a second, two 150 µs and 4,500). A slow
receiver needs many in flight to be sent as fast (a rate is the sends in flight over their latency). A
destination's latency is the moving average of its sends (a fifth of each new one), from its first send.

A lane holds at most ``capacity`` claimed deliveries (queued or sending; the rest stay in the database for any
worker): ``DEPTH`` batches. When one batch has finished, the main thread records it and claims the next while
the others are still being sent, so the threads never wait for the database (with two batches, they ran dry
while the main thread recorded, claimed and loaded). Only the worker's main thread touches the database; lane
threads only send.
"""
import heapq
import itertools
import threading
import time
from collections import Counter

CHANNELS = ("email", "sms", "chat", "webhook")
QUICK_SEND = 0.005  # seconds: a destination whose sends take less is sent QUICK_CAP at a time
QUICK_CAP = 2


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
        self.latency: dict[str, float] = {}  # destination -> its sends' moving average, seconds
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
        """The queued destination with the fewest sends running (ties: the one served least recently) that has
        room for one more under its cap; None when none has. A destination at its cap leaves the order until
        one of its sends finishes (`_finished` puts it back)."""
        order = self._order
        while order:
            running, served, destination = order[0]
            if (destination in self.queues and running == self.running[destination]
                    and served == self.served[destination] and running < self._cap(destination)):
                return destination
            heapq.heappop(order)  # stale (sent, taken or finished since) or at its cap
        return None

    def _cap(self, destination: str) -> int:
        if self.per_destination <= QUICK_CAP or self.latency.get(destination, 0.0) >= QUICK_SEND:
            return self.per_destination
        return QUICK_CAP

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

    def _finished(self, destination: str, seconds: float) -> None:
        self.running[destination] -= 1
        average = self.latency.get(destination)
        self.latency[destination] = seconds if average is None else average + 0.2 * (seconds - average)
        if destination in self.queues:
            self._enter(destination)
        elif not self.running[destination]:  # neither queued nor sending: forget it (a fan-out meets 100,000 hosts)
            del self.running[destination], self.served[destination], self.latency[destination]

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
            result, started = None, time.monotonic()
            try:
                result = fn(*args)
            finally:  # (a send that raised leaves its delivery claimed until its lease runs out)
                with self.cond:
                    self._finished(destination, time.monotonic() - started)
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

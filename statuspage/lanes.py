"""Bulkheads: each channel (email, SMS, chat, webhook) has its own lane in the worker, with its own sending
threads and its own claim query (``dispatch.claim_due(channel=...)``). A relay that accepts and never answers
fills only the email lane: webhooks, chat and SMS keep their threads and keep being claimed.

A lane holds at most ``capacity`` claimed deliveries (sending or queued for a thread; the rest stay in the
database for any worker) and asks for more once a thread's worth is free, so claims stay batched. Its results
are collected as each send finishes, not per batch, so one slow message never holds back the record of the
others. Only the worker's main thread touches the database; lane threads only send.
"""
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

CHANNELS = ("email", "sms", "chat", "webhook")


def channel_threads(spec: str, default: int) -> dict[str, int]:
    """Threads per channel from ``"email=8,sms=2"`` (a channel not named gets ``default``)."""
    threads = dict.fromkeys(CHANNELS, default)
    for part in (spec or "").split(","):
        name, _, number = part.partition("=")
        name = name.strip().lower()
        if name in threads and number.strip().isdigit() and int(number) > 0:
            threads[name] = min(int(number), 128)
    return threads


class Lane:
    def __init__(self, channel: str, threads: int, capacity: int):
        self.channel, self.threads = channel, threads
        self.capacity = max(capacity, threads)
        self.pool = ThreadPoolExecutor(threads, thread_name_prefix=f"send-{channel}")
        self.in_flight: set[Future] = set()

    def free(self) -> int:
        return self.capacity - len(self.in_flight)

    def wants_more(self) -> bool:
        """Claim when a thread's worth of room is free (or the lane is idle)."""
        return not self.in_flight or self.free() >= min(self.threads, self.capacity)

    def submit(self, fn, *args) -> None:
        self.in_flight.add(self.pool.submit(fn, *args))

    def done(self) -> list:
        """Results of the sends finished since the last call."""
        finished = [f for f in self.in_flight if f.done()]
        self.in_flight.difference_update(finished)
        return [f.result() for f in finished]

    def shutdown(self) -> None:
        self.pool.shutdown(wait=True)


def wait_any(lanes, timeout: float) -> None:
    """Sleep until some send finishes, at most ``timeout`` seconds."""
    futures = set().union(*(lane.in_flight for lane in lanes))
    if futures:
        wait(futures, timeout=timeout, return_when=FIRST_COMPLETED)

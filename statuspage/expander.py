"""New events expanded into deliveries in a thread of the worker's own, on its own database connection
(PostgreSQL): the worker's main thread goes on claiming, sending and recording meanwhile.

Expanding 20,000 subscribers takes PostgreSQL about a second (100,000: three to five). Done in the main thread,
it held the worker for that long before the first of them was claimed, with one core idle. Here each batch of
BATCH subscribers is committed and handed over (`take`) as soon as it is written: a fan-out's first notices go
out while the rest of it is expanded. The expansion shares the machine with the sending, so it takes longer
(100,000: about 6 s on two cores), and a later event waits for it (``dispatch._next_event`` takes the oldest
first, and never a later event of an incident before the earlier one is expanded in whole).

SQLite (one writer) and ``--once`` runs expand in the main thread, as `Pipeline.expand` does without an Expander.
"""
import logging
import threading
import time

from sqlalchemy import text

from . import dispatch
from .extensions import db

log = logging.getLogger("statuspage.worker")
BATCH = 5000  # subscribers per transaction (dispatch.expand_events)
# PostgreSQL's statistics of the delivery and subscriber tables are refreshed (ANALYZE, a sample of 30,000 rows
# each) once this many rows have been added since the last time, at most every ANALYZE_EVERY seconds. Between
# two fan-outs nearly nothing is pending, and a planner that still believed so claimed, checked and recorded
# each batch by reading every pending row (and sorting them all, on disk), or every subscriber (after an import):
# the database's time per delivery grew with the size of the fan-out, 110 µs at 20,000 and 200-270 µs at
# 100,000. Autovacuum analyzes them too, but a minute or more later.
ANALYZE_AFTER = BATCH
ANALYZE_EVERY = 2.0


class Expander:
    def __init__(self, app, every: float, wake: threading.Event):
        self.app, self.every, self.wake = app, every, wake  # looks for new events every ``every`` seconds
        self.stop = threading.Event()
        self._added = 0  # rows written since the main thread last took them
        self._unanalyzed, self._analyzed_at = 0, float("-inf")  # rows written since the last ANALYZE, and when
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="statuspage-expander", daemon=True)

    def start(self) -> "Expander":
        self._thread.start()
        return self

    def take(self) -> int:
        """Deliveries added since the last call."""
        with self._lock:
            added, self._added = self._added, 0
        return added

    def close(self, timeout: float = 60) -> None:
        """Stop after the batch being written, if any."""
        self.stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        with self.app.app_context():
            while not self.stop.is_set():
                added = 0
                try:
                    added = dispatch.expand_events(BATCH, max_batches=1)
                except Exception:  # database gone...: the main thread's pass fails and logs as well
                    db.session.rollback()
                    log.exception("expanding new events failed; retrying in %.1fs", self.every)
                finally:
                    db.session.remove()
                if added:
                    with self._lock:
                        self._added += added
                    self.wake.set()  # the main thread claims them now
                    self._analyze(added)
                else:  # nothing new (or the database failed): look again in a moment
                    self.stop.wait(self.every)

    def _analyze(self, added: int) -> None:
        self._unanalyzed += added
        if self._unanalyzed < ANALYZE_AFTER or time.monotonic() - self._analyzed_at < ANALYZE_EVERY:
            return
        self._unanalyzed, self._analyzed_at = 0, time.monotonic()
        try:
            db.session.execute(text("ANALYZE delivery, subscriber"))
            db.session.commit()
        except Exception:  # not the table's owner, say: autovacuum will do it, later
            db.session.rollback()
            log.warning("could not ANALYZE the delivery and subscriber tables; a large fan-out may read slowly "
                        "until autovacuum does", exc_info=True)
        finally:
            db.session.remove()

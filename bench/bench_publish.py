"""Publishing costs the same whatever the number of subscribers: time ``post_update`` with 0 subscribers and
with 100,000, and print the ratio (target ≤ 1.5). The outbox makes it so: publishing adds ONE event row in
the writer's transaction; the worker expands it later.

    .venv/bin/python bench/bench_publish.py [--subscribers 100000] [--updates 50] [--database-url URL]

Default database: a temporary SQLite file. For PostgreSQL pass a dedicated database, e.g.
``createdb -h 127.0.0.1 -U postgres bench_publish`` then
``--database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_publish`` (its tables are recreated).
"""
import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, text  # noqa: E402

from statuspage import create_app  # noqa: E402
from statuspage.domain.components import create_component  # noqa: E402
from statuspage.domain.incidents import open_incident, post_update  # noqa: E402
from statuspage.domain.recording import SYSTEM  # noqa: E402
from statuspage.extensions import db  # noqa: E402
from statuspage.models import Subscriber  # noqa: E402
from statuspage.models.columns import new_id, utcnow  # noqa: E402


def add_subscribers(count: int, chunk: int = 10_000) -> None:
    """Bulk-insert confirmed email/webhook subscribers (core INSERT, no ORM objects)."""
    now = utcnow()
    for start in range(0, count, chunk):
        rows = [{"public_id": new_id(), "channel": "email" if n % 2 else "webhook",
                 "target": f"user{n}@example.com" if n % 2 else f"https://hooks.example.com/{n}",
                 "audience": "public", "all_components": True, "min_impact": "none", "confirmed_at": now,
                 "secret": "", "created_at": now, "updated_at": now}
                for n in range(start, min(start + chunk, count))]
        db.session.execute(insert(Subscriber), rows)
    db.session.commit()


def time_updates(incident_id: str, component_id: str, updates: int) -> list[float]:
    statuses = ["identified", "monitoring", "investigating"]
    samples = []
    for n in range(updates):
        start = time.perf_counter()
        post_update(SYSTEM, incident_id, status=statuses[n % 3], body=f"Update number {n}",
                    components={component_id: "partial_outage" if n % 2 else "major_outage"})
        samples.append(time.perf_counter() - start)
    return samples


def measure(subscribers: int, updates: int) -> float:
    db.session.execute(text("DELETE FROM subscriber"))
    db.session.commit()
    if subscribers:
        started = time.perf_counter()
        add_subscribers(subscribers)
        print(f"  inserted {subscribers:,} subscribers in {time.perf_counter() - started:.1f} s")
    component = create_component(SYSTEM, name=f"API {subscribers}")
    incident = open_incident(SYSTEM, name="Bench incident", body="Looking",
                             components={component.id: "major_outage"})
    time_updates(incident.id, component.id, 20)  # warm-up (connection pool, statement caches)
    return statistics.median(time_updates(incident.id, component.id, updates))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--updates", type=int, default=50)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": f"{tmp}/instance",
                          "SECRET_KEY": "bench-" + "x" * 40, "SMTP_URL": "mailto://127.0.0.1:1"})
        with app.app_context():
            db.drop_all()
            db.create_all()
            print(f"database: {db.engine.dialect.name}")
            empty = measure(0, args.updates)
            full = measure(args.subscribers, args.updates)
        print(f"post_update median with 0 subscribers:          {empty * 1000:7.2f} ms")
        print(f"post_update median with {args.subscribers:,} subscribers: {full * 1000:7.2f} ms")
        print(f"ratio: {full / empty:.2f} (target ≤ 1.5)")


if __name__ == "__main__":
    main()

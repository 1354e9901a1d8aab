"""How fast the public page and summary.json render, cold (re-rendered) and warm (served from the snapshot).

Seeds a temporary SQLite database with 50 components in 4 groups, 90 days of status history and 1,000
incidents (plus maintenance), then times requests in-process through Flask's test client.

    .venv/bin/python bench/bench_public.py [--components 50] [--incidents 1000] [--cold 30] [--warm 500]
"""
import argparse
import gzip
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from statuspage import create_app, snapshot  # noqa: E402
from statuspage.extensions import db  # noqa: E402
from statuspage.models import (  # noqa: E402
    Component,
    ComponentGroup,
    ComponentStatusChange,
    Incident,
    IncidentComponent,
    IncidentUpdate,
    Site,
)
from statuspage.models.columns import utcnow  # noqa: E402

PATHS = ["/", "/api/v2/summary.json"]
OUTAGES = ["degraded_performance", "partial_outage", "major_outage"]


def seed(components: int, incidents: int, rng: random.Random) -> None:
    now = utcnow()
    site = Site.get()
    site.name = "Bench Cloud"
    groups = [ComponentGroup(name=name, position=n) for n, name in
              enumerate(["Platform", "Data", "Edge", "Integrations"])]
    db.session.add_all(groups)
    db.session.flush()
    rows = [Component(name=f"Service {n:02d}", position=n, group_id=groups[n % len(groups)].id,
                      description=f"Service number {n}", created_at=now - timedelta(days=400))
            for n in range(components)]
    db.session.add_all(rows)
    db.session.flush()
    history = []
    for component in rows:
        history.append(ComponentStatusChange(component_id=component.id, new_status="operational",
                                             changed_at=now - timedelta(days=400)))
        for day in range(90, 0, -1):
            if rng.random() < 0.15:
                start = now - timedelta(days=day, minutes=rng.randrange(0, 1200))
                bad = rng.choice(OUTAGES)
                history.append(ComponentStatusChange(component_id=component.id, old_status="operational",
                                                     new_status=bad, changed_at=start, cause="incident"))
                end = start + timedelta(minutes=rng.randrange(5, 240))
                history.append(ComponentStatusChange(component_id=component.id, old_status=bad,
                                                     new_status="operational", cause="incident",
                                                     changed_at=end))
    db.session.add_all(history)
    rows[0].status = "partial_outage"
    for n in range(incidents):
        at = now - timedelta(hours=17 * n + rng.randrange(0, 12))
        maintenance = n % 20 == 19
        status = "completed" if maintenance else ("investigating" if n < 2 else "resolved")
        impact = "maintenance" if maintenance else rng.choice(["minor", "major"])
        incident = Incident(kind="maintenance" if maintenance else "incident", name=f"Incident {n}: slow API",
                            status=status, impact=impact,
                            started_at=at, created_at=at, updated_at=at + timedelta(hours=2),
                            resolved_at=None if status == "investigating" else at + timedelta(hours=2),
                            scheduled_for=at if maintenance else None,
                            scheduled_until=at + timedelta(hours=2) if maintenance else None)
        for component in rng.sample(rows, 2):
            incident.affected.append(IncidentComponent(component_id=component.id, status="partial_outage"))
        steps = ["scheduled", "in_progress", "completed"] if maintenance else ["investigating", "identified",
                                                                                "resolved"]
        for step, update_status in enumerate(steps[:1] if status == "investigating" else steps):
            when = at + timedelta(hours=step)
            incident.updates.append(IncidentUpdate(
                status=update_status, display_at=when, created_at=when,
                body=f"We are **working** on it. Step {step} of looking into [the API](https://example.com)."))
        db.session.add(incident)
    for n in range(3):
        start = now + timedelta(days=n + 1)
        db.session.add(Incident(kind="maintenance", name=f"Upcoming window {n}", status="scheduled",
                                impact="maintenance", started_at=start, scheduled_for=start,
                                scheduled_until=start + timedelta(hours=2),
                                updates=[IncidentUpdate(status="scheduled", body="Planned work.")]))
    site.version += 1
    db.session.commit()


def timed(client, path: str, runs: int, cold: bool) -> tuple[list[float], int, int]:
    times, size, zipped = [], 0, 0
    for _ in range(runs):
        if cold:
            snapshot._cache.clear()  # force a re-render, as after a write
        db.session.remove()
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
        size, zipped = len(response.data), len(gzip.compress(response.data))
    return times, size, zipped


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--components", type=int, default=50)
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--cold", type=int, default=30, help="cold renders per path")
    parser.add_argument("--warm", type=int, default=500, help="warm (snapshot) requests per path")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.db", "INSTANCE_PATH": tmp,
                          "SECRET_KEY": "bench-" + "x" * 40, "RATELIMIT_ENABLED": False,
                          "PUBLIC_URL": "https://status.example.com"})
        with app.app_context():
            db.create_all()
            started = time.perf_counter()
            seed(args.components, args.incidents, random.Random(42))
            changes = db.session.query(ComponentStatusChange).count()
            elapsed = time.perf_counter() - started
            print(f"seeded {args.components} components in 4 groups, {changes} status changes over 90 days, "
                  f"{db.session.query(Incident).count()} incidents/maintenances "
                  f"({db.session.query(IncidentUpdate).count()} updates) in {elapsed:.1f}s")
            client = app.test_client()
            for path in PATHS:
                client.get(path)  # warm imports and template compilation
            header = ("path", "mode", "runs", "median ms", "p95 ms", "bytes", "gzip")
            print("\n{:<24}{:<6}{:>6}{:>11}{:>9}{:>9}{:>8}".format(*header))
            for path in PATHS:
                for mode, runs in (("cold", args.cold), ("warm", args.warm)):
                    times, size, zipped = timed(client, path, runs, cold=mode == "cold")
                    print(f"{path:<24}{mode:<6}{runs:>6}{statistics.median(times):>11.2f}{p95(times):>9.2f}"
                          f"{size:>9}{zipped:>8}")
            print("\ncold = snapshot dropped before each request (full render); "
                  "warm = served from the per-version snapshot (version read at most once a second).")


if __name__ == "__main__":
    main()

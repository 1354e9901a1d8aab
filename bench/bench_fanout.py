"""Fan-out at the speed of the wire: ``statuspage worker`` processes against bare loops that use the same
connection strategy and client (smtplib over one connection; libcurl through pycurl over one kept-alive
connection, the client the worker posts webhooks with; ``bare_loops.py``), with 1 and 2 workers on PostgreSQL,
sinks on 127.0.0.1 in a child process of their own. The webhook loops POST the very request a worker sends for
one delivery (its body and header lines, taken from a real delivery of the benchmark's incident).

    createdb -h 127.0.0.1 -U postgres bench_fanout
    .venv/bin/python bench/bench_fanout.py [--webhooks 20000] [--emails 5000] [--workers 1,2] [--concurrency 8]
        [--rounds 2] [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_fanout]

For each channel and round, a bare loop and then each worker count run back to back (interleaved, so a
machine whose load changes affects both sides alike); ratios are taken within a round and the median is
reported. A worker run is timed from the moment the incident is published until the last of its deliveries
is recorded as sent (its ``sent_at``; expansion included, start-up excluded; the benchmark looks for the end
four times a second, as counting the sent rows costs PostgreSQL CPU the workers would miss). While it fans
out, probe events (one webhook to one subscriber each) are published; their latency is publish → arrival at
the sink, and the p95 is reported.
The probes are successive updates of one incident to one subscriber, so any that arrive out of order
break the ordering rule: they are counted ("reordered"). Peak RSS is the largest VmHWM of the worker
processes. Each worker run also prints the CPU time per delivery of the workers, the sinks and PostgreSQL
over the run: on a two-core machine their sum bounds what any number of workers can reach. For context, three
more webhook loops run: pycurl with the worker's thread count (one kept-alive connection per thread: what the
sink and the machine allow with nothing but the POST), urllib3 over one kept-alive connection (the client
before pycurl, which the issue's first figures were measured with), and the bare loop posting the 146-byte body
with one header it posted until the loops sent the worker's own request. The sink is one host, so a worker sends
it at most WORKER_HOST_CONCURRENCY (8) webhooks at once; ``bench_fanout_latency.py`` measures receivers that
take their time. The database's tables are dropped and recreated.
The last line reads ``fanout: email <x>× bare, webhook <y>× bare`` (per worker, one worker).
"""
import argparse
import multiprocessing
import os
import signal
import socketserver
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from bare_loops import BODY, SMALL, bare_http, bare_http_threads, bare_smtp, bare_urllib3, webhook_request  # noqa: E402
from procstats import cpu_seconds, peak_rss_mb, postgres_pids  # noqa: E402
from sinks import HttpSink, SmtpSink  # noqa: E402
from sqlalchemy import func, insert, select, text  # noqa: E402

from statuspage import create_app, dispatch  # noqa: E402
from statuspage.domain.incidents import open_incident  # noqa: E402
from statuspage.domain.recording import SYSTEM  # noqa: E402
from statuspage.extensions import db  # noqa: E402
from statuspage.models import Delivery, Incident, Subscriber, WorkerHeartbeat  # noqa: E402
from statuspage.models.columns import new_id, utcnow  # noqa: E402

STATUSPAGE = str(Path(sys.executable).parent / "statuspage")


def reorderings(arrivals: list[tuple[str, float]]) -> int:
    """Probe deliveries that arrived after a later update of the same incident (the probes are successive
    updates of one incident to one subscriber): each one breaks the ordering rule."""
    latest, count = -1, 0
    for key, _ in arrivals:
        event_id = int(key.split("-", 1)[0])
        count += event_id < latest
        latest = max(latest, event_id)
    return count


def reset(targets: list[str], channel: str, probe_url: str) -> int:
    """Fresh subscribers for ``targets``; returns the id of the probe subscriber (unconfirmed: it hears only
    the events aimed at it)."""
    tables = ("delivery", "notification_event", "subscriber_component", "subscriber", "worker_heartbeat")
    if db.engine.dialect.name == "postgresql":  # no dead rows: autovacuum would clean them up during the next run
        db.session.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
    else:
        for table in tables:
            db.session.execute(text(f"DELETE FROM {table}"))  # noqa: S608 - fixed table names
    now = utcnow()
    rows = [{"public_id": new_id(), "channel": channel, "target": t, "audience": "public",
             "all_components": True, "min_impact": "none", "confirmed_at": now, "secret": "s",
             "created_at": now, "updated_at": now} for t in targets]
    for start in range(0, len(rows), 5000):
        db.session.execute(insert(Subscriber), rows[start:start + 5000])
    probe = Subscriber(channel="webhook", target=probe_url, audience="public", secret="s")
    db.session.add(probe)
    db.session.commit()
    return probe.id


class _Probes(list):
    """The sink's request list: keeps only probe arrivals (idempotency key, time)."""

    def append(self, item) -> None:
        if item.path == "/probe":
            super().append((item.headers.get("Idempotency-Key"), time.time()))


def _serve_sinks(conn) -> None:
    """Child process: the SMTP and HTTP sinks, away from the benchmark's own GIL."""
    socketserver.TCPServer.request_queue_size = 128  # socketserver's default backlog of 5 drops SYNs
    smtp, http = SmtpSink(), HttpSink().start()
    smtp.controller.start()
    http.requests = _Probes()
    conn.send((smtp.port, http.port))
    while conn.recv() == "probes":
        conn.send(list(http.requests))
        http.requests.clear()
    smtp.controller.stop()
    http.stop()


def start_sinks():
    parent, child = multiprocessing.Pipe()
    process = multiprocessing.get_context("fork").Process(target=_serve_sinks, args=(child,), daemon=True)
    process.start()
    smtp_port, http_port = parent.recv()
    return smtp_port, http_port, process, parent


def sent_count() -> int:
    count = db.session.scalar(select(func.count()).where(Delivery.state == "sent"))
    db.session.rollback()
    return count


def last_sent_at() -> float:
    """The time (epoch seconds) the last delivery was recorded as sent."""
    last = db.session.scalar(select(func.max(Delivery.sent_at)))
    db.session.rollback()
    return last.replace(tzinfo=UTC).timestamp()


def publish_probe(incident_id: str, probe_id: int, number: int) -> tuple[str, float]:
    """Publish an event aimed at the probe subscriber; returns its deliveries' idempotency key and the time."""
    incident = db.session.get(Incident, incident_id)
    event = dispatch.enqueue("incident.updated", incident, None, payload={"probe": number},
                             subscriber_id=probe_id)
    db.session.commit()
    key = dispatch.idempotency_key(event.id, db.session.get(Subscriber, probe_id).public_id)
    db.session.rollback()
    return key, time.time()


def run_workers(env, workers: int, concurrency: int, expected: int, probe_id: int, pipe, log_dir: str,
                sink_pid: int):
    """Start the workers, publish, probe while it fans out, wait for ``expected`` sent deliveries.
    Returns (seconds publish → last delivery, probe latencies in s, peak RSS MB, probes out of order,
    CPU µs per delivery of the workers, the sinks and PostgreSQL over that time)."""
    command = [STATUSPAGE, "worker", "--concurrency", str(concurrency)]  # default poll interval (1 s)
    procs = [subprocess.Popen([*command, "--name", f"bench-{n}"], env=env,
                              stdout=open(f"{log_dir}/worker-{n}.log", "ab"),  # noqa: SIM115
                              stderr=subprocess.STDOUT) for n in range(workers)]
    published: dict[str, float] = {}
    try:
        while db.session.scalar(select(func.count()).select_from(WorkerHeartbeat)) < workers:
            db.session.rollback()
            time.sleep(0.05)
        groups = ([p.pid for p in procs], [sink_pid], postgres_pids())
        cpu_before = [cpu_seconds(group) for group in groups]
        start, started_at = time.perf_counter(), time.time()
        incident_id = open_incident(SYSTEM, name="API errors", body=BODY).id
        sent, next_probe = 0, start + 1.0
        while sent < expected + len(published):
            time.sleep(0.25)  # (a count of 20,000 rows costs PostgreSQL milliseconds: every 50 ms was 10% of a core)
            sent = sent_count()
            now = time.perf_counter()
            if now >= next_probe and sent < expected * 0.8:  # a second event, published mid fan-out
                key, at = publish_probe(incident_id, probe_id, len(published))
                published[key] = at
                next_probe = now + 1.0
            if now - start > 1800:
                raise SystemExit(f"timed out with {sent}/{expected} sent; see {log_dir}")
        elapsed = last_sent_at() - started_at  # when the last delivery was recorded, not when the count saw it
        cpu = tuple(1e6 * (cpu_seconds(group) - before) / expected
                    for group, before in zip(groups, cpu_before, strict=True))
        peak = max(peak_rss_mb(p.pid) for p in procs)
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait(60)
    pipe.send("probes")
    received = pipe.recv()
    arrivals = dict(received)
    latencies = [arrivals[key] - at for key, at in published.items() if key in arrivals]
    return elapsed, latencies, peak, reorderings(received), cpu


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else (values[0] if values else float("nan"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--webhooks", type=int, default=20000)
    parser.add_argument("--emails", type=int, default=5000)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/bench_fanout")
    args = parser.parse_args()
    smtp_port, http_port, sinks, pipe = start_sinks()
    smtp_url = f"mailto://127.0.0.1:{smtp_port}?mode=insecure&from=status@example.com"
    http_url = f"http://127.0.0.1:{http_port}"
    log_dir = tempfile.mkdtemp(prefix="bench_fanout-")
    python_path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = dict(os.environ, PYTHONPATH=python_path,  # the workers run this checkout's code
               STATUSPAGE_DATABASE_URL=args.database_url, STATUSPAGE_SMTP_URL=smtp_url,
               STATUSPAGE_ALLOW_LOOPBACK_WEBHOOKS="1", STATUSPAGE_INSTANCE_PATH=f"{log_dir}/instance",
               STATUSPAGE_SECRET_KEY="bench-" + "x" * 40, STATUSPAGE_PUBLIC_URL="https://status.example.com")
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url, "INSTANCE_PATH": f"{log_dir}/instance",
                      "SECRET_KEY": env["STATUSPAGE_SECRET_KEY"], "SMTP_URL": smtp_url,
                      "ALLOW_LOOPBACK_WEBHOOKS": True, "PUBLIC_URL": "https://status.example.com"})
    worker_counts = [int(w) for w in args.workers.split(",")]
    sizes = {"email": args.emails, "webhook": args.webhooks}
    results = {}  # (channel, workers) -> list of (rate, ratio per worker, seconds, latencies, peak, reordered)
    threaded, old_client, small = [], [], []  # webhook loops for context: pycurl x threads, urllib3, SMALL
    try:
        with app.app_context():
            db.drop_all()
            db.create_all()
            request = webhook_request(f"{http_url}/bare")  # what a worker POSTs for one delivery
            print(f"database: {db.engine.dialect.name}; {args.webhooks:,} webhooks, {args.emails:,} emails per "
                  f"run; {args.rounds} interleaved rounds; {os.cpu_count()} cores; logs in {log_dir}", flush=True)
            for round_number in range(args.rounds):
                for channel, n in sizes.items():
                    bare = (bare_smtp(smtp_port, n) if channel == "email"
                            else bare_http(f"{http_url}/bare", n, request))
                    results.setdefault((channel, 0), []).append((bare, 1.0, n / bare, [], 0.0, 0))
                    if channel == "webhook":
                        threaded.append(bare_http_threads(f"{http_url}/bare", n, args.concurrency, request))
                        old_client.append(bare_urllib3(f"{http_url}/bare", n, request))
                        small.append(bare_http(f"{http_url}/bare", n, SMALL))
                    targets = ([f"user{i}@example.com" for i in range(n)] if channel == "email"
                               else [f"{http_url}/hook/{i}" for i in range(n)])
                    for workers in worker_counts:
                        probe_id = reset(targets, channel, f"{http_url}/probe")
                        seconds, latencies, peak, reordered, cpu = run_workers(
                            env, workers, args.concurrency, n, probe_id, pipe, log_dir, sinks.pid)
                        rate = n / seconds
                        results.setdefault((channel, workers), []).append(
                            (rate, rate / workers / bare, seconds, latencies, peak, reordered))
                        print(f"  round {round_number + 1} {channel}: bare {bare:6.0f}/s, {workers} worker(s) "
                              f"{rate:6.0f}/s ({rate / workers / bare:.2f}x bare per worker), "
                              f"{seconds:.1f}s, probe p95 {p95(latencies):.2f}s, {reordered} reordered, "
                              f"peak RSS {peak:.0f} MB; CPU per delivery: workers {cpu[0]:.0f} µs, sinks "
                              f"{cpu[1]:.0f} µs, PostgreSQL {cpu[2]:.0f} µs", flush=True)
            report(results, sizes, worker_counts)
            one = statistics.median(r[0] for r in results[("webhook", 1)])
            print(f"(webhook loops for context: pycurl with {args.concurrency} threads, a kept-alive connection "
                  f"each, {statistics.median(threaded):.0f}/s; urllib3 over one kept-alive connection "
                  f"{statistics.median(old_client):.0f}/s, one worker {one / statistics.median(old_client):.2f}× "
                  f"that; the bare loop posting a {len(SMALL[0])}-byte body with one header "
                  f"{statistics.median(small):.0f}/s, one worker {one / statistics.median(small):.2f}× that)")
            print(f"fanout: email {results['ratios'][('email', 1)]:.2f}× bare, "
                  f"webhook {results['ratios'][('webhook', 1)]:.2f}× bare")
    finally:
        pipe.send("stop")
        sinks.join(10)


def report(results: dict, sizes: dict, worker_counts: list[int]) -> None:
    print(f"\n{'channel':9}{'workers':>8}{'N':>8}{'deliveries/s':>14}{'x bare/worker':>15}"
          f"{'publish→last':>14}{'probe p95':>11}{'peak RSS':>10}{'reordered':>11}")
    ratios = {}
    for channel in sizes:
        for workers in [0, *worker_counts]:
            runs = results[(channel, workers)]
            rate = statistics.median(r[0] for r in runs)
            ratio = statistics.median(r[1] for r in runs)
            seconds = statistics.median(r[2] for r in runs)
            latencies = [latency for r in runs for latency in r[3]]
            label = "bare" if workers == 0 else str(workers)
            tail = "" if workers == 0 else (f"{p95(latencies):10.2f}s{max(r[4] for r in runs):8.0f} MB"
                                            f"{sum(r[5] for r in runs):11}")
            print(f"{channel:9}{label:>8}{sizes[channel]:>8,}{rate:14.0f}{ratio:15.2f}{seconds:13.1f}s" + tail)
            ratios[(channel, workers)] = ratio
    results["ratios"] = ratios


if __name__ == "__main__":
    main()

"""Fan-out throughput: deliveries per second from ``statuspage worker`` processes to a local SMTP server and a
local HTTP sink, with 1 and 4 worker processes on PostgreSQL, side by side with a bare loop (smtplib /
urllib) sending the same number of messages; and the worker's peak RSS for a small and a large fan-out, to
show memory stays flat as subscribers grow.

    createdb -h 127.0.0.1 -U postgres bench_fanout
    .venv/bin/python bench/bench_fanout.py [--messages 2000] [--workers 1,4] [--concurrency 8]
        [--memory-sizes 1000,10000] [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_fanout]

The database's tables are dropped and recreated; the sinks run in a child process of their own.
Workers are started first and timed from the moment the incident is published until every delivery
is recorded as sent (expansion included, start-up excluded).
"""
import argparse
import json
import multiprocessing
import os
import signal
import smtplib
import socketserver
import subprocess
import sys
import tempfile
import time
import urllib.request
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from sinks import HttpSink, SmtpSink  # noqa: E402
from sqlalchemy import func, insert, select, text  # noqa: E402

from statuspage import create_app  # noqa: E402
from statuspage.domain.incidents import open_incident  # noqa: E402
from statuspage.domain.recording import SYSTEM  # noqa: E402
from statuspage.extensions import db  # noqa: E402
from statuspage.models import Delivery, Subscriber, WorkerHeartbeat  # noqa: E402
from statuspage.models.columns import new_id, utcnow  # noqa: E402

STATUSPAGE = str(Path(sys.executable).parent / "statuspage")
BODY = "We are investigating elevated error rates on the API. Next update in 30 minutes."


def bare_smtp(port: int, count: int) -> float:
    start = time.perf_counter()
    for n in range(count):
        message = EmailMessage()
        message["From"], message["To"] = "status@example.com", f"user{n}@example.com"
        message["Subject"] = "[Investigating] API errors"
        message.set_content(BODY)
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            smtp.send_message(message)
    return count / (time.perf_counter() - start)


def bare_http(url: str, count: int) -> float:
    start = time.perf_counter()
    payload = json.dumps({"incident": "API errors", "body": BODY}).encode()
    for n in range(count):
        request = urllib.request.Request(f"{url}/{n}", data=payload, method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
    return count / (time.perf_counter() - start)


def reset(targets: list[str], channel: str) -> None:
    for table in ("delivery", "notification_event", "subscriber_component", "subscriber", "worker_heartbeat"):
        db.session.execute(text(f"DELETE FROM {table}"))  # noqa: S608 - fixed table names
    now = utcnow()
    rows = [{"public_id": new_id(), "channel": channel, "target": t, "audience": "public",
             "all_components": True, "min_impact": "none", "confirmed_at": now, "secret": "s",
             "created_at": now, "updated_at": now} for t in targets]
    for start in range(0, len(rows), 5000):
        db.session.execute(insert(Subscriber), rows[start:start + 5000])
    db.session.commit()


def _serve_sinks(conn) -> None:
    """Child process: the SMTP and HTTP sinks, away from the benchmark's own GIL."""
    socketserver.TCPServer.request_queue_size = 128  # socketserver's default backlog of 5 drops SYNs
    smtp, http = SmtpSink(), HttpSink().start()
    smtp.controller.start()
    http.requests = _Discard()  # count nothing, keep nothing: completion is read from the database
    conn.send((smtp.port, http.port))
    conn.recv()  # until the parent says stop
    smtp.controller.stop()
    http.stop()


class _Discard(list):
    def append(self, item) -> None:
        pass


def start_sinks() -> tuple[int, int, object, object]:
    """Start the sinks in a child process; returns (smtp port, http port, process, pipe)."""
    parent, child = multiprocessing.Pipe()
    process = multiprocessing.get_context("fork").Process(target=_serve_sinks, args=(child,), daemon=True)
    process.start()
    smtp_port, http_port = parent.recv()
    return smtp_port, http_port, process, parent


def peak_rss_mb(pid: int) -> float:
    """VmHWM: the process's peak resident set (what getrusage's ru_maxrss reports for it)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run_workers(env: dict, workers: int, concurrency: int, expected: int, log_dir: str):
    """Start the workers, publish, wait for ``expected`` sent deliveries; returns (deliveries/s, peak MB)."""
    command = [STATUSPAGE, "worker", "--concurrency", str(concurrency), "--poll-interval", "0.05"]
    procs = [subprocess.Popen([*command, "--name", f"bench-{n}"], env=env,
                              stdout=open(f"{log_dir}/worker-{n}.log", "ab"),  # noqa: SIM115
                              stderr=subprocess.STDOUT) for n in range(workers)]
    try:
        while db.session.scalar(select(func.count()).select_from(WorkerHeartbeat)) < workers:
            db.session.rollback()
            time.sleep(0.05)
        start = time.perf_counter()
        open_incident(SYSTEM, name="API errors", body=BODY)
        sent = 0
        while sent < expected:
            time.sleep(0.05)
            db.session.rollback()
            sent = db.session.scalar(select(func.count()).where(Delivery.state == "sent"))
            if time.perf_counter() - start > 600:
                raise SystemExit(f"timed out with {sent}/{expected} sent; see {log_dir}")
        elapsed = time.perf_counter() - start
        peak = max(peak_rss_mb(p.pid) for p in procs)
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait(30)
    return expected / elapsed, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--workers", default="1,4")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--memory-sizes", default="1000,10000")
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/bench_fanout")
    args = parser.parse_args()
    smtp_port, http_port, sinks, pipe = start_sinks()
    smtp_url = f"mailto://127.0.0.1:{smtp_port}?mode=insecure&from=status@example.com"
    http_url = f"http://127.0.0.1:{http_port}"
    log_dir = tempfile.mkdtemp(prefix="bench_fanout-")
    env = dict(os.environ, STATUSPAGE_DATABASE_URL=args.database_url, STATUSPAGE_SMTP_URL=smtp_url,
               STATUSPAGE_ALLOW_LOOPBACK_WEBHOOKS="1", STATUSPAGE_INSTANCE_PATH=f"{log_dir}/instance",
               STATUSPAGE_SECRET_KEY="bench-" + "x" * 40)
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url, "INSTANCE_PATH": f"{log_dir}/instance",
                      "SECRET_KEY": env["STATUSPAGE_SECRET_KEY"], "SMTP_URL": smtp_url,
                      "ALLOW_LOOPBACK_WEBHOOKS": True})
    n = args.messages
    worker_counts = [int(w) for w in args.workers.split(",")]
    try:
        with app.app_context():
            db.drop_all()
            db.create_all()
            print(f"database: {db.engine.dialect.name}; {n:,} messages per run; logs in {log_dir}")
            bare = {"email": bare_smtp(smtp_port, n), "webhook": bare_http(f"{http_url}/bare", n)}
            rows = []
            for channel in ("email", "webhook"):
                targets = ([f"user{i}@example.com" for i in range(n)] if channel == "email"
                           else [f"{http_url}/hook/{i}" for i in range(n)])
                rates = []
                for workers in worker_counts:
                    reset(targets, channel)
                    rates.append(run_workers(env, workers, args.concurrency, n, log_dir)[0])
                rows.append((channel, bare[channel], rates))
            header = "".join(f"{w} worker{'s' if w > 1 else ''} (x{args.concurrency})".rjust(22)
                             for w in worker_counts)
            print(f"\n{'channel':10}{'bare loop (1 thread)':>22}{header}   deliveries/s")
            for channel, bare_rate, rates in rows:
                print(f"{channel:10}{bare_rate:22.0f}" + "".join(f"{r:22.0f}" for r in rates))
            print("\nworker peak RSS (1 worker, webhooks):")
            for size in [int(s) for s in args.memory_sizes.split(",")]:
                reset([f"{http_url}/mem/{i}" for i in range(size)], "webhook")
                rate, peak = run_workers(env, 1, args.concurrency, size, log_dir)
                print(f"  {size:>7,} subscribers: peak RSS {peak:6.1f} MB  ({rate:.0f} deliveries/s)")
    finally:
        pipe.send("stop")
        sinks.join(10)


if __name__ == "__main__":
    main()

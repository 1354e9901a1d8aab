"""One slow channel never delays the others: a ``statuspage worker`` fans an incident out to 20,000 email
subscribers behind a mail relay that accepts connections and never answers (a tarpit) and 100 webhook
subscribers. Reports how long after publishing each webhook arrived, what the stalled relay cost (connections
tried, deliveries attempted, the breaker), then lets the relay answer and reports the time until every email
was delivered, and how many were lost or duplicated.

    createdb -h 127.0.0.1 -U postgres bench_tarpit
    .venv/bin/python bench/bench_tarpit.py [--emails 20000] [--webhooks 100] [--stall 20] [--concurrency 8]
        [--cooldown 10] [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_tarpit]

The database's tables are dropped and recreated; the tarpit and the sinks run in a child process of their own.
The worker runs with the default timeouts (email: connect 3 s, read 8 s) and breaker threshold (5).
"""
import argparse
import multiprocessing
import os
import signal
import socketserver
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from sinks import HttpSink, SmtpSink  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402
from tarpit import Tarpit  # noqa: E402

from statuspage import create_app  # noqa: E402
from statuspage.domain.incidents import open_incident  # noqa: E402
from statuspage.domain.recording import SYSTEM  # noqa: E402
from statuspage.extensions import db  # noqa: E402
from statuspage.models import Delivery, DeliveryBreaker, Subscriber, WorkerHeartbeat  # noqa: E402
from statuspage.models.columns import new_id, utcnow  # noqa: E402

STATUSPAGE = str(Path(sys.executable).parent / "statuspage")


class CountingSmtp(SmtpSink):
    async def handle_DATA(self, server, session, envelope):  # keep the recipients only
        self.messages.extend(envelope.rcpt_tos)
        return "250 Message accepted for delivery"


class TimedRequests(list):
    def append(self, request) -> None:
        super().append((request.path, time.time()))


def _serve(conn) -> None:
    """Child process: the tarpit (later a proxy to the SMTP sink), the SMTP sink and the HTTP sink."""
    socketserver.TCPServer.request_queue_size = 128
    smtp, http, tarpit = CountingSmtp(), HttpSink().start(), Tarpit()
    smtp.controller.start()
    http.requests = TimedRequests()
    conn.send((tarpit.port, http.port))
    while True:
        command = conn.recv()
        if command == "recover":
            tarpit.recover(smtp.port)
            conn.send(True)
        elif command == "stats":
            conn.send({"emails": list(smtp.messages), "hooks": list(http.requests), "relay": tarpit.accepted})
        else:
            break
    tarpit.close()
    smtp.controller.stop()
    http.stop()


def add_subscribers(emails: int, hook_url: str, webhooks: int) -> None:
    now = utcnow()

    def row(channel, target):
        return {"public_id": new_id(), "channel": channel, "target": target, "audience": "public",
                "all_components": True, "min_impact": "none", "confirmed_at": now, "secret": "s",
                "created_at": now, "updated_at": now}

    rows = [row("email", f"user{n}@example.com") for n in range(emails)]
    rows += [row("webhook", f"{hook_url}/hook/{n}") for n in range(webhooks)]  # behind every email in id order
    for start in range(0, len(rows), 5000):
        db.session.execute(insert(Subscriber), rows[start:start + 5000])
    db.session.commit()


def count(*where) -> int:
    number = db.session.scalar(select(func.count()).select_from(Delivery).where(*where))
    db.session.rollback()
    return number


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emails", type=int, default=20000)
    parser.add_argument("--webhooks", type=int, default=100)
    parser.add_argument("--stall", type=float, default=20, help="seconds the relay hangs after publishing")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--cooldown", type=float, default=10, help="breaker cool-down (s)")
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/bench_tarpit")
    args = parser.parse_args()
    parent, child = multiprocessing.Pipe()
    sinks = multiprocessing.get_context("fork").Process(target=_serve, args=(child,), daemon=True)
    sinks.start()
    tarpit_port, http_port = parent.recv()
    smtp_url = f"mailto://127.0.0.1:{tarpit_port}?mode=insecure&from=status@example.com"
    log_dir = tempfile.mkdtemp(prefix="bench_tarpit-")
    env = dict(os.environ, STATUSPAGE_DATABASE_URL=args.database_url, STATUSPAGE_SMTP_URL=smtp_url,
               STATUSPAGE_ALLOW_LOOPBACK_WEBHOOKS="1", STATUSPAGE_INSTANCE_PATH=f"{log_dir}/instance",
               STATUSPAGE_SECRET_KEY="bench-" + "x" * 40, STATUSPAGE_BREAKER_COOLDOWN_SECONDS=str(args.cooldown))
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url, "INSTANCE_PATH": f"{log_dir}/instance",
                      "SECRET_KEY": env["STATUSPAGE_SECRET_KEY"], "SMTP_URL": smtp_url})
    worker = None
    try:
        with app.app_context():
            db.drop_all()
            db.create_all()
            add_subscribers(args.emails, f"http://127.0.0.1:{http_port}", args.webhooks)
            print(f"database: {db.engine.dialect.name}; {args.emails:,} email + {args.webhooks} webhook subscribers; "
                  f"relay = tarpit on 127.0.0.1:{tarpit_port}; logs in {log_dir}")
            worker = subprocess.Popen([STATUSPAGE, "worker", "--name", "bench", "--concurrency",
                                       str(args.concurrency), "--poll-interval", "0.05"], env=env,
                                      stdout=open(f"{log_dir}/worker.log", "ab"),  # noqa: SIM115
                                      stderr=subprocess.STDOUT)
            while not db.session.scalar(select(func.count()).select_from(WorkerHeartbeat)):
                db.session.rollback()
                time.sleep(0.05)
            published = time.time()
            open_incident(SYSTEM, name="Payments API unreachable", body="We are looking into it.")
            hooks = {}
            while len(hooks) < args.webhooks and time.time() - published < 60:
                time.sleep(0.02)
                parent.send("stats")
                hooks = {}
                for path, at in parent.recv()["hooks"]:
                    hooks.setdefault(path, at)
            latencies = sorted(at - published for at in hooks.values())
            time.sleep(max(args.stall - (time.time() - published), 0))
            parent.send("stats")
            stalled = parent.recv()
            breakers = [(b.state, b.destination, b.opened_at, b.failures, b.reason) for b in db.session.scalars(
                select(DeliveryBreaker).where(DeliveryBreaker.state != "closed"))]
            tried = count(Delivery.channel == "email", Delivery.attempts > 0)
            pending = count(Delivery.channel == "email", Delivery.state.in_(("pending", "claimed")))
            db.session.rollback()

            parent.send("recover")
            parent.recv()
            recovered = time.time()
            while count(Delivery.channel == "email", Delivery.state == "sent") < args.emails:
                time.sleep(0.2)
                if time.time() - recovered > 1800:
                    raise SystemExit(f"timed out; see {log_dir}")
            drained = time.time() - recovered
            parent.send("stats")
            final = parent.recv()
            dead = count(Delivery.state == "dead")
    finally:
        if worker is not None:
            worker.send_signal(signal.SIGTERM)
            worker.wait(60)
        parent.send("stop")
        sinks.join(10)

    received, distinct = len(final["emails"]), len(set(final["emails"]))
    print(f"\nwebhooks: {len(latencies)}/{args.webhooks} arrived; after publishing: first {latencies[0]:.2f} s, "
          f"median {latencies[len(latencies) // 2]:.2f} s, last {latencies[-1]:.2f} s")
    print(f"during the {args.stall:.0f} s stall: {stalled['relay']} connections to the relay, {tried} of "
          f"{args.emails:,} emails attempted, {pending:,} waiting, {len(stalled['emails'])} delivered")
    for state, destination, opened_at, failures, reason in breakers:
        print(f"  breaker {state}: {destination} since {opened_at:%H:%M:%S} ({failures} failures in a row): {reason}")
    print(f"relay back: {distinct:,}/{args.emails:,} emails delivered {drained:.1f} s later "
          f"({args.emails / drained:.0f}/s); lost {args.emails - distinct}, duplicates {received - distinct}, "
          f"dead {dead}")
    print(f"tarpit: last webhook {latencies[-1]:.2f} s after publishing (goal < 2 s); "
          f"emails lost {args.emails - distinct}, duplicated {received - distinct}")


if __name__ == "__main__":
    main()

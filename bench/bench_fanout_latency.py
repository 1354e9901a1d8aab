"""Webhooks to receivers far away: the webhook lane's throughput when every receiver takes ``--latency-ms`` to
answer, with the old lane (8 threads) and the default one (32 threads, at most WORKER_HOST_CONCURRENCY = 8 in
flight to one host). A local sink answers in microseconds, so ``bench_fanout.py`` measures the CPU per delivery;
real receivers answer in tens to hundreds of milliseconds, and then the number of requests in flight decides.

    createdb -h 127.0.0.1 -U postgres bench_fanout
    .venv/bin/python bench/bench_fanout_latency.py [--webhooks 2000] [--receivers 8] [--latency-ms 100]

The worker runs in this process (``run_worker(once=True)``, 8 threads per channel unless the lane says more);
the receivers are threaded HTTP servers on 127.0.0.1 that sleep before answering. The database's tables are
dropped and recreated.
"""
import argparse
import socketserver
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from bench_fanout import BODY, reset  # noqa: E402
from sinks import HttpSink  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from statuspage import create_app, dispatch  # noqa: E402
from statuspage.domain.incidents import open_incident  # noqa: E402
from statuspage.domain.recording import SYSTEM  # noqa: E402
from statuspage.extensions import db  # noqa: E402
from statuspage.models import Delivery  # noqa: E402
from statuspage.worker import run_worker  # noqa: E402


def slow_receiver(latency: float) -> HttpSink:
    sink = HttpSink().start()
    handler = sink.server.RequestHandlerClass
    answer = handler.do_POST

    def do_post(self):
        time.sleep(latency)
        answer(self)

    handler.do_POST = do_post
    sink.requests = type("Discard", (list,), {"append": lambda self, item: None})()
    return sink


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--webhooks", type=int, default=2000)
    parser.add_argument("--receivers", type=int, default=8)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/bench_fanout")
    args = parser.parse_args()
    socketserver.TCPServer.request_queue_size = 128
    receivers = [slow_receiver(args.latency_ms / 1000) for _ in range(args.receivers)]
    targets = [receivers[n % len(receivers)].url(f"/hook/{n}") for n in range(args.webhooks)]
    print(f"{args.webhooks:,} webhooks to {args.receivers} receivers that answer after {args.latency_ms:g} ms; "
          f"one worker", flush=True)
    rates = {}
    for label, threads in (("8 threads (before)", "webhook=8"), ("default lane", "")):
        app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url, "SECRET_KEY": "bench-" + "x" * 40,
                          "INSTANCE_PATH": tempfile.mkdtemp(prefix="bench_fanout_latency-"),
                          "ALLOW_LOOPBACK_WEBHOOKS": True, "PUBLIC_URL": "https://status.example.com",
                          "WORKER_CHANNEL_THREADS": threads})
        with app.app_context():
            db.drop_all()
            db.create_all()
            reset(targets, "webhook", receivers[0].url("/probe"))
            open_incident(SYSTEM, name="API errors", body=BODY)
            dispatch.expand_events()
            db.session.remove()
            start = time.perf_counter()
            run_worker(app, once=True, concurrency=8)
            seconds = time.perf_counter() - start
            sent = db.session.scalar(select(func.count()).where(Delivery.state == "sent"))
        rates[label] = args.webhooks / seconds
        print(f"  {label:20} {seconds:6.1f}s  {rates[label]:6.0f} webhooks/s  ({sent:,} sent)", flush=True)
    print(f"fanout to slow receivers: default lane {rates['default lane'] / rates['8 threads (before)']:.1f}× "
          f"the 8-thread lane")
    for receiver in receivers:
        receiver.stop()


if __name__ == "__main__":
    main()

"""Instructions per webhook delivery of ``statuspage worker``, counted by valgrind (callgrind): a figure that
does not move with the machine's load, where deliveries per second do (on a shared virtual machine the bare
loop of ``bench_fanout.py`` has measured anywhere from 1,400/s to 7,000/s within an hour).

    createdb -h 127.0.0.1 -U postgres bench_fanout; apt-get install -y valgrind
    .venv/bin/python bench/bench_fanout_instructions.py [--webhooks 200,1200] [--source DIR]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_fanout]

A worker (``--once``, 8 threads) fans one incident out to the first number of webhook subscribers, then to the
second, each run under callgrind from start to exit; the difference of the two totals over the difference of
the counts is the cost of one delivery (claim, load, render, sign, POST, record: everything but start-up).
The timed housekeeping (heartbeat, clock, expansion every 0.2 s) is switched off for the count, as valgrind
runs the worker some fifty times slower and it would be counted fifty times over. ``--source`` counts the code
of another checkout (e.g. ``git worktree add /tmp/before HEAD~5``) with this one's benchmark. The sink runs
in its own process, outside the count. The database's tables are dropped and recreated.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

from bench_fanout import BODY, reset, sent_count, start_sinks  # noqa: E402

from statuspage import create_app  # noqa: E402
from statuspage.domain.incidents import open_incident  # noqa: E402
from statuspage.domain.recording import SYSTEM  # noqa: E402
from statuspage.extensions import db  # noqa: E402

# The worker with its timed housekeeping off (see the module's docstring), as `statuspage worker` runs it.
WORKER = ("import sys, statuspage.worker as w; w.EXPAND_EVERY = 1e9; from statuspage.__main__ import main; "
          "sys.argv[0] = 'statuspage'; sys.exit(main())")


def count(env: dict, log_dir: str) -> int:
    """Instructions of one `statuspage worker --once` run under callgrind, start to exit."""
    command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={log_dir}/callgrind.%p", sys.executable,
               "-c", WORKER, "worker", "--once", "--concurrency", "8", "--poll-interval", "60"]
    run = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    found = re.search(r"Collected : (\d+)", run.stderr)
    if run.returncode or not found:
        raise SystemExit(f"the worker failed under valgrind:\n{run.stderr[-2000:]}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--webhooks", default="200,1200", help="two subscriber counts, smaller first")
    parser.add_argument("--source", default=str(ROOT), help="the checkout whose worker is counted")
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/bench_fanout")
    args = parser.parse_args()
    small, large = sorted(int(n) for n in args.webhooks.split(","))
    _, http_port, sinks, _ = start_sinks()
    log_dir = tempfile.mkdtemp(prefix="bench_fanout_instructions-")
    env = dict(os.environ, PYTHONPATH=str(Path(args.source).resolve()), STATUSPAGE_DATABASE_URL=args.database_url,
               STATUSPAGE_ALLOW_LOOPBACK_WEBHOOKS="1", STATUSPAGE_INSTANCE_PATH=f"{log_dir}/instance",
               STATUSPAGE_SECRET_KEY="bench-" + "x" * 40, STATUSPAGE_PUBLIC_URL="https://status.example.com")
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url, "INSTANCE_PATH": f"{log_dir}/instance",
                      "SECRET_KEY": env["STATUSPAGE_SECRET_KEY"], "PUBLIC_URL": "https://status.example.com"})
    url = f"http://127.0.0.1:{http_port}"
    totals = {}
    try:
        with app.app_context():
            db.drop_all()
            db.create_all()
            for n in (small, large):
                reset([f"{url}/hook/{i}" for i in range(n)], "webhook", f"{url}/probe")
                open_incident(SYSTEM, name="API errors", body=BODY)
                totals[n] = count(env, log_dir)
                sent = sent_count()
                if sent != n:
                    raise SystemExit(f"only {sent} of {n} webhooks were sent; see {log_dir}")
                print(f"{n:>6,} webhooks: {totals[n]:>16,} instructions (start-up included)", flush=True)
    finally:
        sinks.terminate()
    per_delivery = (totals[large] - totals[small]) / (large - small)
    print(f"instructions: {per_delivery:,.0f} per webhook delivery ({args.source})")


if __name__ == "__main__":
    main()

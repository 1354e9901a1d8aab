"""What the gunicorn benchmarks share: a seeded temporary instance, gunicorn on a free 127.0.0.1 port, and wrk.

The instance is seeded by ``bench_public.seed`` (50 components, 90 days of history, 1,000 incidents) plus a
manager with an API key for the management API. Gunicorn runs with the production settings the issue measures
(gthread, 2 workers x 4 threads) from the same virtualenv as this Python; wrk is the Debian package.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def seed_instance(directory: Path, components: int = 50, incidents: int = 1000) -> dict:
    """Create and seed a SQLite instance in ``directory``; returns the environment that serves it and the ids and
    API key the benchmarks use."""
    import random

    from bench_public import seed

    from statuspage import create_app
    from statuspage.domain import tokens
    from statuspage.domain.recording import SYSTEM
    from statuspage.extensions import db
    from statuspage.models import Incident, Site, User

    env = {"STATUSPAGE_DATABASE_URL": f"sqlite:///{directory}/bench.db", "STATUSPAGE_INSTANCE_PATH": str(directory),
           "STATUSPAGE_SECRET_KEY": "bench-" + "x" * 40, "STATUSPAGE_PUBLIC_URL": "https://status.example.com"}
    app = create_app({"SQLALCHEMY_DATABASE_URI": env["STATUSPAGE_DATABASE_URL"], "INSTANCE_PATH": str(directory),
                      "SECRET_KEY": env["STATUSPAGE_SECRET_KEY"]})
    with app.app_context():
        db.create_all()
        seed(components, incidents, random.Random(42))
        manager = User(email="manager@example.com", role="manager", password_hash="!")
        db.session.add(manager)
        db.session.commit()
        key = tokens.issue_token(SYSTEM, manager, "bench")[1]
        open_incident = db.session.query(Incident).filter_by(status="investigating").order_by(Incident.id).first()
        info = {"env": env, "page_id": Site.get().page_id, "incident_id": open_incident.id, "api_key": key}
        db.session.commit()
        db.engine.dispose()
    return info


def gunicorn_bin() -> str:
    beside = Path(sys.executable).parent / "gunicorn"
    return str(beside) if beside.exists() else (shutil.which("gunicorn") or "gunicorn")


@contextmanager
def gunicorn(app_path: str, env: dict, cwd: Path = ROOT, workers: int = 2, threads: int = 4):
    """Serve ``module:app`` with gunicorn (gthread) on a free 127.0.0.1 port; yields the base URL."""
    port = free_port()
    command = [gunicorn_bin(), "-k", "gthread", "-w", str(workers), "--threads", str(threads),
               "-b", f"127.0.0.1:{port}", "--log-level", "warning", app_path]
    full_env = os.environ | env | {"PYTHONPATH": os.pathsep.join([str(ROOT), str(BENCH)])}
    process = subprocess.Popen(command, cwd=cwd, env=full_env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/", timeout=5).read()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn {app_path} did not start") from None
                time.sleep(0.2)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wrk_bin() -> str:
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is missing: apt-get install wrk")
    return found


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def wrk(url: str, seconds: float = 5, connections: int = 16, threads: int = 2, headers: tuple = (),
        script: Path | None = None, timeout: str = "5s", until: threading.Event | None = None) -> dict:
    """Run wrk for ``seconds`` (or until ``until`` is set: wrk stops on SIGINT and still reports); returns req/s,
    latency percentiles in ms, non-2xx/3xx answers and socket errors (total and by kind)."""
    command = [wrk_bin(), f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--latency", "--timeout", timeout]
    for header in headers:
        command += ["-H", header]
    if script:
        command += ["-s", str(script)]
    process = subprocess.Popen(command + [url], stdout=subprocess.PIPE, text=True)
    if until is not None:
        while process.poll() is None and not until.wait(0.2):
            pass
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    output = process.communicate()[0]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: connect (?P<connect>\d+), read (?P<read>\d+), write (?P<write>\d+), "
                       r"timeout (?P<timeout>\d+)", output)
    by_kind = {kind: int(n) for kind, n in errors.groupdict().items()} if errors else {}
    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
              "requests": int(re.search(r"(\d+) requests in", output).group(1)),
              "non_2xx_3xx": int(non_2xx.group(1)) if non_2xx else 0,
              "socket_errors": sum(by_kind.values()), "socket_errors_by_kind": by_kind}
    for percent, value, unit in re.findall(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s)\s*$", output, re.M):
        result[f"p{percent}"] = float(value) * UNITS[unit]
    return result

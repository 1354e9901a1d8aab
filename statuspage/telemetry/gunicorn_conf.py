"""gunicorn settings for metrics across worker processes: ``gunicorn -c python:statuspage.telemetry.gunicorn_conf``.

Set ``PROMETHEUS_MULTIPROC_DIR`` to an empty directory writable by the workers in gunicorn's environment (it
must be set before the workers import the application). On start the directory is emptied (counters begin at
zero with the server, as Prometheus expects of a restart); a worker that exits is marked dead so its files stop
counting as live. Other gunicorn options still come from the command line (``-w``, ``-b``, ...).
"""
import os
import shutil
from pathlib import Path

# PROMETHEUS_MULTIPROC_DIR is prometheus-client's own variable, read from the environment in gunicorn's master
# (no app exists there), not a statuspage.config key (tests/test_config_sources.py allows it under telemetry/).


def on_starting(server):
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        path = Path(folder)
        path.mkdir(parents=True, exist_ok=True)
        for entry in path.iterdir():
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)

"""Load while publishing: 200 readers on ``/`` and an incident page while a manager posts 20 updates.

Seeds a temporary SQLite instance (as bench_public.py does), serves it with gunicorn (gthread, 2 workers x 4
threads) on 127.0.0.1, and runs wrk with 200 connections alternating between ``/`` and the open incident's
page (``Accept-Encoding: gzip, br`` like a browser). Meanwhile a manager posts 20 updates to that incident
through the management API v1 (one every ``--every`` seconds) and polls ``/`` until each shows. Prints wrk's
errors and latency percentiles, and per update the API call's time and the time until ``/`` shows it.
Readers run from 3 s before the first update until the last one shows (at most ``--seconds``); each poll
gives up after 10 s.

    .venv/bin/python bench/bench_load_publish.py [--updates 20] [--readers 200] [--seconds 40]
"""
import argparse
import gzip
import http.client
import json
import statistics
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from live_site import gunicorn, seed_instance, wrk

LUA = """paths = {"/", "%s"}
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[counter %% 2 + 1], {["Accept-Encoding"] = "gzip, br"})
end
"""


def publish(base: str, info: dict, n: int, marker: str) -> float:
    """PATCH one update onto the incident through /v1; returns the call's time in ms."""
    connection = http.client.HTTPConnection(urlsplit(base).netloc, timeout=30)
    body = json.dumps({"incident": {"body": f"Still on it, {marker}.", "deliver_notifications": False}})
    started = time.perf_counter()
    connection.request("PATCH", f"/v1/pages/{info['page_id']}/incidents/{info['incident_id']}", body=body,
                       headers={"Authorization": f"OAuth {info['api_key']}", "Content-Type": "application/json"})
    response = connection.getresponse()
    response.read()
    connection.close()
    if response.status != 200:
        raise SystemExit(f"update {n} answered {response.status}")
    return (time.perf_counter() - started) * 1000


def shows(base: str, marker: str, timeout: float) -> bool:
    """Whether ``/`` shows ``marker``; a poll that fails or times out under the load counts as not yet."""
    connection = http.client.HTTPConnection(urlsplit(base).netloc, timeout=max(0.1, timeout))
    try:
        connection.request("GET", "/", headers={"Accept-Encoding": "gzip"})
        response = connection.getresponse()
        body = response.read()
    except OSError:
        return False
    finally:
        connection.close()
    if response.getheader("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    return marker.encode() in body


def manager(base: str, info: dict, updates: int, every: float, results: list) -> None:
    for n in range(updates):
        marker = f"bench-update-{n:02d}-{time.monotonic_ns()}"
        started = time.monotonic()
        post_ms = publish(base, info, n, marker)
        posted = time.monotonic()
        visible_ms = None
        while time.monotonic() - posted < 10:
            if shows(base, marker, 10 - (time.monotonic() - posted)):
                visible_ms = (time.monotonic() - posted) * 1000
                break
            time.sleep(0.02)
        results.append((n, post_ms, visible_ms))
        time.sleep(max(0.0, every - (time.monotonic() - started)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=20)
    parser.add_argument("--readers", type=int, default=200)
    parser.add_argument("--every", type=float, default=1.0, help="seconds between two updates")
    parser.add_argument("--seconds", type=float, default=300, help="the longest wrk reads")
    parser.add_argument("--incidents", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        info = seed_instance(Path(tmp), incidents=args.incidents)
        script = Path(tmp) / "readers.lua"
        script.write_text(LUA % f"/incidents/{info['incident_id']}")
        with gunicorn("wsgi:app", info["env"]) as base:
            results: list = []
            readers: dict = {}
            done = threading.Event()
            load = threading.Thread(target=lambda: readers.update(
                wrk(base + "/", args.seconds, args.readers, script=script, timeout="10s", until=done)), daemon=True)
            load.start()
            time.sleep(3)  # readers at full speed before the first update
            started = time.monotonic()
            try:
                manager(base, info, args.updates, args.every, results)
            finally:
                done.set()
                load.join()
            publishing = time.monotonic() - started
    print(f"{args.readers} readers (wrk: / and /incidents/<id>, gzip) while a manager posted {args.updates} updates "
          f"via /v1, at most one a {args.every:g}s ({publishing:.0f}s in all); gunicorn gthread 2x4, SQLite")
    print(f"readers: {readers['requests']} requests, {readers['rps']:.0f} req/s, errors: "
          f"{readers['non_2xx_3xx']} non-2xx/3xx + {readers['socket_errors']} socket "
          f"{readers['socket_errors_by_kind'] or ''}; latency p50 "
          f"{readers.get('p50', float('nan')):.1f} ms, p90 {readers.get('p90', float('nan')):.1f} ms, "
          f"p99 {readers.get('p99', float('nan')):.1f} ms")
    print("\nupdate  API call ms  visible on / after ms")
    for n, post_ms, visible_ms in results:
        print(f"{n:>6}{post_ms:>13.0f}{'not within 10 s' if visible_ms is None else f'{visible_ms:.0f}':>23}")
    seen = [v for _, _, v in results if v is not None]
    if seen:
        print(f"visible: median {statistics.median(seen):.0f} ms, max {max(seen):.0f} ms, "
              f"{len(seen)} of {len(results)} within 10 s; API call median "
              f"{statistics.median(p for _, p, _ in results):.0f} ms")


if __name__ == "__main__":
    main()

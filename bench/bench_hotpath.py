"""The public hot path against the raw WSGI limit: project req/s / raw req/s, same bytes, same gunicorn.

Seeds a temporary SQLite instance (as bench_public.py does), serves it with gunicorn (gthread, 2 workers x 4
threads) on 127.0.0.1, records each measured response once (status, headers incl. ETag, body) and serves those
bytes from ``raw_wsgi.py`` under the same gunicorn settings. wrk (16 connections, 2 threads, no
Accept-Encoding, so identity bodies) drives both, interleaved, each run ``--seconds`` long; the median of
``--runs`` runs is printed with the ratio. The 304 row sends ``If-None-Match`` with the current ETag of ``/``
(read just before each run: the page shows durations, so its bytes move with the one-minute clock window).

    .venv/bin/python bench/bench_hotpath.py [--seconds 5] [--runs 3] [--incidents 1000]
"""
import argparse
import base64
import http.client
import json
import statistics
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from live_site import BENCH, gunicorn, seed_instance, wrk

DROPPED = {"date", "server", "connection", "keep-alive", "transfer-encoding"}


def record(base: str, path: str, headers: dict | None = None) -> tuple[str, list, bytes]:
    """One GET to the project: its status line, headers (minus per-connection ones) and body."""
    connection = http.client.HTTPConnection(urlsplit(base).netloc, timeout=30)
    connection.request("GET", path, headers=headers or {})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    kept = [(name, value) for name, value in response.getheaders() if name.lower() not in DROPPED]
    return f"{response.status} {response.reason}", kept, body


def etag_of(headers: list) -> str | None:
    return next((value for name, value in headers if name.lower() == "etag"), None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--components", type=int, default=50)
    parser.add_argument("--incidents", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        info = seed_instance(Path(tmp), args.components, args.incidents)
        incident = f"/incidents/{info['incident_id']}"
        paths = ["/", "/api/v2/summary.json", incident, "/history"]
        with gunicorn("wsgi:app", info["env"]) as project:
            for _ in range(8):  # both workers render and keep their snapshots
                for path in paths:
                    record(project, path)
            recorded = {path: record(project, path) for path in paths}
            etag = etag_of(recorded["/"][1])
            statuses = [record(project, "/", {"If-None-Match": etag})[0][:3] for _ in range(20)] if etag else []
            responses = Path(tmp) / "raw.json"
            responses.write_text(json.dumps({path: [status, headers, base64.b64encode(body).decode()]
                                             for path, (status, headers, body) in recorded.items()}))
            rows = [(path, path, ()) for path in paths]
            if etag:
                rows.append(("304 of /", "/", (f"If-None-Match: {etag}",)))
            with gunicorn("raw_wsgi:app", {"RAW_RESPONSES": str(responses)}, cwd=BENCH) as raw:
                print(f"seeded {args.components} components, {args.incidents} incidents; wrk -c{args.connections} "
                      f"-d{args.seconds:g}s, median of {args.runs} interleaved runs, gunicorn gthread 2x4")
                print("/ ETag: " + (f"{etag}; {statuses.count('304')} of 20 conditional GETs answered 304 "
                                    f"(the rest {sorted(set(statuses) - {'304'})})" if etag else "none"))
                print(f"\n{'path':<30}{'bytes':>8}{'project req/s':>15}{'raw req/s':>12}{'ratio':>8}{'errors':>8}")
                for label, path, headers in rows:
                    mine, theirs, errors = [], [], 0
                    for _ in range(args.runs):
                        for base, into in ((project, mine), (raw, theirs)):
                            if headers and base == project:
                                # The ETag a browser holds now: a page that shows an ongoing outage changes with
                                # the clock window (a minute; today's uptime moves), and an old ETag is rightly
                                # answered with the new page. So a run starts with the current ETag and ends
                                # before the window does.
                                if time.time() % 60 > 60 - args.seconds - 2:
                                    time.sleep(61 - time.time() % 60)
                                headers = (f"If-None-Match: {etag_of(record(project, path)[1])}",)
                            result = wrk(base + path, args.seconds, args.connections, headers=headers
                                         if base == project or not headers else (f"If-None-Match: {etag}",))
                            into.append(result["rps"])
                            errors += result["socket_errors"] + (result["non_2xx_3xx"] if base == project else 0)
                    name = label if len(label) < 29 else "/incidents/<id>"
                    size = len(recorded[path][2]) if not headers else 0
                    print(f"{name:<30}{size:>8}{statistics.median(mine):>15.0f}{statistics.median(theirs):>12.0f}"
                          f"{statistics.median(mine) / statistics.median(theirs):>8.2f}{errors:>8}")


if __name__ == "__main__":
    main()

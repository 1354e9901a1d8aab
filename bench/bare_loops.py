"""The bare loops `bench_fanout.py` compares the worker with: the same clients and connection strategy, and
nothing else (no database, no rendering, no signing per message).

A webhook loop POSTs the request a worker sends for one delivery, byte for byte (``webhook_request``: the body
of a real delivery of the benchmark's incident and its header lines, signature included), so that the ratio
measures the worker and not the receiver reading a bigger request. ``SMALL`` is the 146-byte JSON with one header
that the loops posted before, reported for context.
"""
import json
import smtplib
import threading
import time
from email.message import EmailMessage

import pycurl
import urllib3

BODY = "We are investigating elevated error rates on the API. Next update in 30 minutes."
HTML = f"<p>{BODY}</p>" * 6
SMALL = (json.dumps({"incident": {"name": "API errors", "body": BODY}, "meta": {"n": 0}}).encode(),
         ["Content-Type: application/json"])


def webhook_request(url: str) -> tuple[bytes, list[str]]:
    """(body, header lines) of the worker's POST of the benchmark's incident to one subscriber at ``url``
    (an app context is active; the caller resets the tables afterwards)."""
    from flask import current_app

    from notifiers.webhook import signed_lines
    from statuspage import dispatch
    from statuspage.domain.incidents import open_incident
    from statuspage.domain.recording import SYSTEM
    from statuspage.extensions import db
    from statuspage.jobs import NotifierSender, load_jobs
    from statuspage.models import Delivery, Subscriber
    from statuspage.models.columns import utcnow

    db.session.add(Subscriber(channel="webhook", target=url, audience="public", secret="s", confirmed_at=utcnow()))
    db.session.commit()
    open_incident(SYSTEM, name="API errors", body=BODY)
    dispatch.expand_events()
    [job], _ = load_jobs([db.session.scalars(db.select(Delivery.id)).one()])
    _, body = NotifierSender(current_app.config).prepare(job)
    return body, signed_lines(body, job.secret, job.idempotency_key)


def bare_smtp(port: int, count: int) -> float:
    """Messages/s: text + HTML alternative, one smtplib connection for all."""
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for n in range(count):
            message = EmailMessage()
            message["From"], message["To"] = "status@example.com", f"user{n}@example.com"
            message["Subject"] = "[Investigating] API errors"
            message.set_content(BODY * 6)
            message.add_alternative(HTML, subtype="html")
            smtp.send_message(message)
    return count / (time.perf_counter() - start)


def bare_http(url: str, count: int, request: tuple[bytes, list[str]]) -> float:
    """Requests/s: ``request`` (body, header lines) POSTed over one kept-alive libcurl handle (pycurl),
    checking the status."""
    body, lines = request
    curl = pycurl.Curl()
    curl.setopt(pycurl.WRITEFUNCTION, lambda data: None)
    curl.setopt(pycurl.HTTPHEADER, lines)
    start = time.perf_counter()
    for n in range(count):
        curl.setopt(pycurl.URL, f"{url}/{n}")
        curl.setopt(pycurl.POSTFIELDS, body)
        curl.perform()
        assert curl.getinfo(pycurl.RESPONSE_CODE) == 200
    return count / (time.perf_counter() - start)


def bare_urllib3(url: str, count: int, request: tuple[bytes, list[str]]) -> float:
    """Requests/s: ``request`` POSTed over urllib3's kept-alive pool (the webhook client before pycurl)."""
    body, lines = request
    headers = dict(line.split(": ", 1) for line in lines if ": " in line)
    pool = urllib3.PoolManager()
    start = time.perf_counter()
    for n in range(count):
        pool.request("POST", f"{url}/{n}", body=body, headers=headers)
    return count / (time.perf_counter() - start)


def bare_http_threads(url: str, count: int, threads: int, request: tuple[bytes, list[str]]) -> float:
    """Requests/s of ``threads`` threads, each its own kept-alive handle: the worker's lane strategy with
    nothing but the POST."""
    body, lines = request
    share = count // threads

    def loop() -> None:
        curl = pycurl.Curl()
        curl.setopt(pycurl.WRITEFUNCTION, lambda data: None)
        curl.setopt(pycurl.HTTPHEADER, lines)
        for n in range(share):
            curl.setopt(pycurl.URL, f"{url}/{n}")
            curl.setopt(pycurl.POSTFIELDS, body)
            curl.perform()

    runners = [threading.Thread(target=loop) for _ in range(threads)]
    start = time.perf_counter()
    for runner in runners:
        runner.start()
    for runner in runners:
        runner.join()
    return share * threads / (time.perf_counter() - start)

"""Deliveries per second to local sinks: email (bare smtplib, stock Apprise mailto, our send()) and webhooks
(stock Apprise json://, our signed send()). Everything stays on 127.0.0.1.

    .venv/bin/python bench/bench_email.py [--messages 1000] [--profile]

Each email opens a new SMTP connection (as every delivery does); ``--profile`` prints where our send() spends
its time.
"""
from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import smtplib
import sys
import time
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import apprise  # noqa: E402
from sinks import HttpSink, SmtpSink  # noqa: E402
from test_notifiers_render import TEMPLATES, incident_context  # noqa: E402

from notifiers import SendConfig, render, send  # noqa: E402

TO = "reader@example.com"


def rate(label: str, count: int, deliver) -> float:
    start = time.perf_counter()
    for _ in range(count):
        deliver()
    per_second = count / (time.perf_counter() - start)
    print(f"{label:<38} {per_second:8.1f} /s")
    return per_second


def bare_smtplib(sink: SmtpSink, message) -> None:
    mail = EmailMessage()
    mail["Subject"], mail["From"], mail["To"] = message.subject, "status@example.com", TO
    mail.set_content(message.text)
    mail.add_alternative(message.html, subtype="html")
    with smtplib.SMTP("127.0.0.1", sink.port) as smtp:
        smtp.send_message(mail)


def stock_apprise(url: str, body: str, title: str, body_format: str) -> None:
    notifier = apprise.Apprise()
    notifier.add(url)
    assert notifier.notify(body=body, title=title, body_format=body_format)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    count = args.messages
    email = render("incident.updated", "email", incident_context(), TEMPLATES)
    webhook = render("incident.updated", "webhook", incident_context(), TEMPLATES)

    sink = SmtpSink()
    sink.controller.start()
    try:
        config = SendConfig(smtp_url=sink.url())
        print(f"email, {count} messages each, new SMTP connection per message (aiosmtpd on 127.0.0.1)")
        rate("bare smtplib loop", count, lambda: bare_smtplib(sink, email))
        rate("stock Apprise mailto://", count, lambda: stock_apprise(
            f"{sink.url()}&to={TO}", email.html, email.subject, apprise.NotifyFormat.HTML))
        rate("notifiers.send (email)", count, lambda: send(email, TO, config))
        expected = 3 * count
        sink.wait_for(expected, timeout=30)
        assert len(sink.messages) == expected, f"the sink received {len(sink.messages)} of {expected}"
        if args.profile:
            profiler = cProfile.Profile()
            profiler.runcall(lambda: [send(email, TO, config) for _ in range(200)])
            pstats.Stats(profiler).sort_stats("tottime").print_stats(12)
    finally:
        sink.controller.stop()

    http = HttpSink().start()
    try:
        print(f"\nwebhooks, {count} requests each (threaded HTTP sink on 127.0.0.1)")
        json_url = http.url("/json").replace("http://", "json://")
        body = json.dumps(webhook.payload)
        rate("stock Apprise json://", count,
             lambda: stock_apprise(json_url, body, "", apprise.NotifyFormat.TEXT))
        config = SendConfig(allow_loopback_webhooks=True, webhook_secret="bench-secret", idempotency_key="k")
        rate("notifiers.send (signed webhook)", count, lambda: send(webhook, http.url("/hook"), config))
        http.wait_for(2 * count)
        assert len(http.requests) == 2 * count
    finally:
        http.stop()


if __name__ == "__main__":
    main()

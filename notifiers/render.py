"""Render one notification event for one channel into a `Message`.

Templates live in ``<template_dir>/notifications/<channel>/<event>.<part>`` (or
``<template_dir>/<channel>/...`` when ``template_dir`` is the notifications folder itself) and fall back
to ``<channel>/_default.<part>``:

- email: ``.subject.txt``, ``.txt`` (plain part) and ``.html`` (HTML part, autoescaped)
- sms: ``.txt``, cut to one segment by `notifiers.channels.fit_sms`, always keeping ``context["short_url"]``
- chat: ``.title.txt`` and ``.md`` (Markdown)
- webhook: no template; a Statuspage-shaped JSON payload built from ``context``

Undefined template data raises (StrictUndefined), so a context missing a key fails loudly.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound, select_autoescape

from .channels import CHANNELS, fit_sms

EVENTS = (
    "incident.opened", "incident.updated", "incident.resolved", "incident.postmortem",
    "maintenance.scheduled", "maintenance.updated", "maintenance.cancelled", "maintenance.reminder",
    "maintenance.started", "maintenance.completed", "subscription.confirm",
    # Internal only (the leadership audience and owners): see statuspage.domain.leadership and leader_clock.
    "incident.major", "incident.summary", "incident.update_due", "incident.summary_due", "incident.sla",
    "leadership.digest",
)


@dataclass
class Message:
    """What one channel sends: the parts a channel does not use stay empty."""

    channel: str
    subject: str = ""  # email subject, chat title
    text: str = ""  # email plain part, SMS text, chat fallback
    html: str = ""  # email HTML part
    markdown: str = ""  # chat body
    payload: dict | None = None  # webhook JSON body
    body: bytes | None = None  # the webhook JSON already serialized (shared renders, notifiers.render_once)
    headers: dict[str, str] = field(default_factory=dict)  # extra email headers (List-Unsubscribe, ...)
    sender_name: str = ""  # display name for the From address when the SMTP URL names none


def render(kind: str, channel: str, context: dict, template_dir: str | Path) -> Message:
    """Render event ``kind`` for ``channel`` from ``context`` (filtered for the subscriber's audience).

    Raises ValueError for an unknown event or channel, jinja2.UndefinedError for missing context data.
    """
    if kind not in EVENTS:
        raise ValueError(f"unknown notification event {kind!r}")
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    context = dict(context, event=kind)
    context.setdefault("payload", {})
    if channel == "webhook":
        return Message(channel, payload=webhook_payload(context))
    env = _environment(str(template_dir))
    # The one-line summary, rendered once as plain text so that HTML templates escape it like any other value.
    headline = env.get_template("_partials/headline.txt").module.headline
    context["headline"] = " ".join(str(headline(kind, context.get("incident"), context.get("update"),
                                                context["site"], context.get("payload") or {})).split())
    part = _PartRenderer(env, channel, kind, context)
    if channel == "email":
        return Message(channel, subject=_one_line(part("subject.txt")), text=_tidy(part("txt")),
                       html=part("html"), headers=_email_headers(context),
                       sender_name=context["site"]["name"])
    if channel == "sms":
        return Message(channel, text=fit_sms(_one_line(part("txt")), context["short_url"] or ""))
    markdown = _tidy(part("md"))
    return Message(channel, subject=_one_line(part("title.txt")), markdown=markdown, text=markdown)


def webhook_payload(context: dict) -> dict:
    """Statuspage's webhook shape: ``meta``, ``page`` (when the site names it) and ``incident``."""
    site, subscriber = context["site"], context["subscriber"]
    payload: dict = {"meta": {
        "unsubscribe": subscriber["unsubscribe_url"],
        "documentation": site.get("documentation_url") or f"{site['url'].rstrip('/')}/api",
        "generated_at": _now_iso(),
        "event": context["event"],
    }}
    if site.get("page_id"):
        payload["page"] = {"id": site["page_id"], "status_indicator": site.get("status_indicator"),
                           "status_description": site.get("status_description")}
    incident = context.get("incident")
    if incident is not None:
        payload["incident"] = incident.get("statuspage") or {"id": incident["id"], "name": incident["name"]}
    for key in ("component_update", "component"):
        if context.get(key) is not None:
            payload[key] = context[key]
    return payload


class _PartRenderer:
    def __init__(self, env: Environment, channel: str, kind: str, context: dict):
        self.env, self.channel, self.kind, self.context = env, channel, kind, context

    def __call__(self, suffix: str) -> str:
        names = [f"{self.channel}/{self.kind}.{suffix}", f"{self.channel}/_default.{suffix}"]
        return self.env.select_template(names).render(self.context)


@lru_cache(maxsize=8)
def template_version(template_dir: str) -> str:
    """A digest of the notification templates' names, sizes and modification times, taken once per process
    (as the environment is built once): part of the key of renders shared across deliveries."""
    root = _environment(template_dir).loader.searchpath[0]
    digest = hashlib.sha256()
    for path in sorted(Path(root).rglob("*")):
        if path.is_file():
            stat = path.stat()
            digest.update(f"{path.relative_to(root)}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    return digest.hexdigest()[:16]


@lru_cache(maxsize=8)
def _environment(template_dir: str) -> Environment:
    root = Path(template_dir)
    if (root / "notifications").is_dir():
        root = root / "notifications"
    if not root.is_dir():
        raise TemplateNotFound(f"no notification templates in {template_dir}")
    env = Environment(  # noqa: S701 - autoescape is on for .html, text parts are never HTML
        loader=FileSystemLoader(str(root)),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False, default=False),
        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False,
    )
    env.filters["plain_markdown"] = _plain_markdown
    return env


def _email_headers(context: dict) -> dict[str, str]:
    """RFC 8058 one-click unsubscribe, auto-generated markers, and the incident's thread: ``context["thread"]``
    gives this update's Message-ID and the id of the incident's first message, which every later message
    names in In-Reply-To and References so that mail clients show one conversation per incident."""
    headers = {"Auto-Submitted": "auto-generated"}
    thread = context.get("thread") or {}
    if thread.get("message_id"):
        headers["Message-ID"] = thread["message_id"]
        root = thread.get("root_id")
        if root and root != thread["message_id"]:
            headers["In-Reply-To"] = headers["References"] = root
    post_url = context["subscriber"].get("unsubscribe_post_url")
    if post_url:
        headers["List-Unsubscribe"] = f"<{post_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return headers


def _plain_markdown(text: str | None) -> str:
    """Escape characters that chat services would read as Markdown in a plain string (names, labels)."""
    return re.sub(r"([\\`*_\[\]<>|])", r"\\\1", text or "")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _tidy(text: str) -> str:
    """Collapse runs of blank lines left by template conditionals; end with one newline."""
    return re.sub(r"\n{3,}", "\n\n", text.strip()) + "\n"


def _now_iso() -> str:
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"

"""Render once per event, channel and audience; fill in the subscriber per delivery.

A fan-out sends the same words to every subscriber of an audience: only the subscriber's own links (manage,
unsubscribe, one-click unsubscribe, confirm), public id and confirmation code differ. `RenderCache.message`
renders an event once with a marker in place of each of those values, keeps the result in a bounded LRU
keyed by (event, channel, audience, which personal values are set, template version), and per delivery
replaces the markers with the subscriber's values: raw in subjects, text, Markdown and headers, HTML-escaped
in the HTML part (as Jinja's autoescape would have), JSON-escaped in the webhook body, which is serialized
once. The signature, timestamp and idempotency key are added per delivery by `notifiers.send`.

A marker is letters and digits only, so no escaping or Markdown filter alters it. Should a template ever
transform a personal value (``|upper``, cutting an SMS), a marker would survive the fill: that render is
then not shared, and every delivery of that key renders on its own (correct, only slower). SMS texts are cut
to one segment by length, so an SMS whose text carries a personal value is never shared either. Events sent
to one subscriber (``subscription.confirm``) have nothing to share and render directly.
"""
from __future__ import annotations

import re
import secrets
import threading
from collections import OrderedDict
from dataclasses import replace
from json.encoder import encode_basestring
from pathlib import Path

from markupsafe import escape

from .render import Message, render, template_version
from .webhook import serialize

ONE_OFF_EVENTS = frozenset({"subscription.confirm"})
_PREFIX = f"SPFILL{secrets.token_hex(4)}"
_PREFIX_BYTES = _PREFIX.encode()
_MARKER_BYTES = re.compile(re.escape(_PREFIX_BYTES) + rb"N(\d+)X")
_UNSHARED = object()  # a key whose render cannot be shared (see the module docstring)


def _marker(index: int) -> str:
    return f"{_PREFIX}N{index}X"


class RenderCache:
    """A bounded, thread-safe LRU of renders shared by the deliveries of one event, channel and audience."""

    def __init__(self, maxsize: int = 256):
        self.maxsize = maxsize
        self._renders: OrderedDict[tuple, object] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def message(self, kind: str, channel: str, context: dict, template_dir: str | Path,
                event_key: object = None) -> Message:
        """The `Message` that ``render(kind, channel, context, template_dir)`` would give, rendered once per
        ``event_key`` (the event's id; None renders directly) and audience and filled for this subscriber."""
        if event_key is None or kind in ONE_OFF_EVENTS:
            return render(kind, channel, context, template_dir)
        key, shared, values = self._shared(kind, channel, context, template_dir, event_key)
        if shared is not _UNSHARED:
            filled = _fill(shared, values)
            if filled is not None:
                return filled
            self._put(key, _UNSHARED)
        return render(kind, channel, context, template_dir)

    def webhook_body(self, kind: str, context: dict, template_dir: str | Path, event_key: object = None) -> bytes:
        """The webhook body (serialized JSON) that ``message(kind, "webhook", ...)`` would carry, without a
        `Message` per delivery: a fan-out's share is the body cut at its markers, joined with this
        subscriber's values."""
        if event_key is not None and kind not in ONE_OFF_EVENTS:
            _, shared, values = self._shared(kind, "webhook", context, template_dir, event_key)
            if isinstance(shared, _SharedBody):
                return shared.fill(values)
        message = self.message(kind, "webhook", context, template_dir, event_key)
        return message.body if message.body is not None else serialize(message.payload or {})

    def _shared(self, kind: str, channel: str, context: dict, template_dir: str | Path, event_key: object):
        """(key, shared render, this subscriber's personal values): the render from the cache, or made now."""
        subscriber = context.get("subscriber") or {}
        personal = sorted(k for k, v in subscriber.items() if k not in ("channel", "audience") and v)
        key = (event_key, kind, channel, context.get("audience"), subscriber.get("channel"),
               subscriber.get("audience"), tuple(personal), template_version(str(template_dir)))
        shared = self._get(key)
        if shared is None:
            shared = self._render_shared(kind, channel, context, template_dir, personal)
            self._put(key, shared)
        return key, shared, [str(subscriber[k]) for k in personal]

    def clear(self) -> None:
        with self._lock:
            self._renders.clear()

    def _render_shared(self, kind, channel, context, template_dir, personal: list[str]):
        markers = {name: _marker(i) for i, name in enumerate(personal)}
        message = render(kind, channel, context | {"subscriber": {**context["subscriber"], **markers}},
                         template_dir)
        if channel == "sms" and _PREFIX in message.text:
            return _UNSHARED  # cut to one segment by length: a marker's length is not the value's
        if message.payload is not None:
            message = replace(message, payload=None, body=serialize(message.payload))
        if channel == "webhook" and message.body is not None:
            return _SharedBody.of(message)
        return message

    def _get(self, key):
        with self._lock:
            shared = self._renders.get(key)
            if shared is None:
                self.misses += 1
            else:
                self.hits += 1
                self._renders.move_to_end(key)
            return shared

    def _put(self, key, shared) -> None:
        with self._lock:
            self._renders[key] = shared
            self._renders.move_to_end(key)
            while len(self._renders) > self.maxsize:
                self._renders.popitem(last=False)


class _SharedBody:
    """A shared webhook render: its `Message` and its body cut at the markers (bytes, marker index, bytes, …)."""

    __slots__ = ("message", "pieces")

    def __init__(self, message: Message, pieces: list):
        self.message, self.pieces = message, pieces

    @classmethod
    def of(cls, message: Message):
        """The share of ``message``, or _UNSHARED if a marker was altered on its way into the body."""
        pieces = _MARKER_BYTES.split(message.body)  # [bytes, "index", bytes, "index", ..., bytes]
        if any(_PREFIX_BYTES in piece for piece in pieces[::2]):
            return _UNSHARED
        pieces[1::2] = [int(index) for index in pieces[1::2]]
        return cls(message, pieces)

    def fill(self, values: list[str]) -> bytes:
        """The body with each marker replaced by its value as json.dumps(value, ensure_ascii=False) writes it."""
        pieces = self.pieces
        if len(pieces) == 1:
            return pieces[0]
        encoded = [encode_basestring(value)[1:-1].encode() for value in values]
        parts = [pieces[0]]
        for at in range(1, len(pieces), 2):
            parts.append(encoded[pieces[at]])
            parts.append(pieces[at + 1])
        return b"".join(parts)


def _fill(shared, values: list[str]) -> Message | None:
    """``shared`` with each marker replaced by the subscriber's value, or None if a marker was altered."""
    if isinstance(shared, _SharedBody):
        return replace(shared.message, body=shared.fill(values))

    def plain(text: str) -> str:
        if _PREFIX not in text:
            return text
        for index, value in enumerate(values):
            text = text.replace(_marker(index), value)
        return text

    def html(text: str) -> str:
        if _PREFIX not in text:
            return text
        for index, value in enumerate(values):
            text = text.replace(_marker(index), str(escape(value)))
        return text

    filled = replace(shared, subject=plain(shared.subject), text=plain(shared.text), html=html(shared.html),
                     markdown=plain(shared.markdown),
                     headers={name: plain(value) for name, value in shared.headers.items()})
    leftovers = (filled.subject, filled.text, filled.html, filled.markdown, *filled.headers.values())
    if any(_PREFIX in part for part in leftovers):
        return None
    return filled


RENDERS = RenderCache()


def render_for(kind: str, channel: str, context: dict, template_dir: str | Path,
               event_key: object = None) -> Message:
    """`RenderCache.message` on this process's shared cache."""
    return RENDERS.message(kind, channel, context, template_dir, event_key)


def webhook_body_for(kind: str, context: dict, template_dir: str | Path, event_key: object = None) -> bytes:
    """`RenderCache.webhook_body` on this process's shared cache."""
    return RENDERS.webhook_body(kind, context, template_dir, event_key)

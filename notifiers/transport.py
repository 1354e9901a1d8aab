"""Webhook POSTs over kept-alive connections, through libcurl (pycurl) and under the egress guard.

A libcurl handle holds one connection to one host, and handles are kept per host and egress policy, as urllib3
kept pools: a sending thread takes a host's idle handle for one POST and gives it back, so a host's deliveries
reuse its few connections whichever thread sends them (with a handle per thread, 32 threads sending round the
hosts of a fan-out kept 32 connections to each and reused few). A connection left unused for IDLE_SECONDS is
closed. libcurl runs the whole exchange (send, wait, parse) without holding the GIL, so eight threads posting at
once cost little more than one; urllib3 took the GIL back for every read and header, and its threads queued for
it (a lane's eight threads sent fewer webhooks a second than one).

The egress guard stays in Python: a host is resolved once through `egress.resolve` (checked: any non-public
answer refuses it) and the checked answers are pinned into libcurl (CURLOPT_RESOLVE), so libcurl never looks
the name up itself. Every connection is opened by `_open_socket`, which checks the address again and connects
to it from Python, then hands libcurl the connected socket. A checked answer and the connections opened to it
live POOL_MAX_AGE seconds: after that the host is resolved and checked again, so a DNS change (to a private
address, say) takes effect within that time and never through a connection opened before it.
"""
from __future__ import annotations

import ipaddress
import os
import socket
import ssl
import threading
import time
from collections import OrderedDict
from functools import cache
from urllib.parse import urlsplit

import pycurl

from . import egress
from .urls import scheme_host_port

POOL_MAX_AGE = 60.0
MAX_IDLE = 256  # idle kept-alive connections (handles) in all; the least recently used host's go first
# A kept-alive connection unused this long is closed (servers' own keep-alive timeouts: Apache and Node 5 s,
# gunicorn 2 s). An idle connection held open blocks a receiver that serves one connection at a time (Python's
# http.server): its other connection's POSTs timed out until the worker restarted.
IDLE_SECONDS = 4.0
MAX_PINS = 4096  # hosts whose checked answers are kept (each for POOL_MAX_AGE at most)


@cache
def _ca_options() -> tuple[tuple[int, str], ...]:
    """Where libcurl finds trusted CAs: the system's store, as Python's default TLS context uses (certifi
    when the system names none)."""
    paths = ssl.get_default_verify_paths()
    options = [(option, path) for option, path in ((pycurl.CAINFO, paths.cafile), (pycurl.CAPATH, paths.capath))
               if path and os.path.exists(path)]
    if not options:
        import certifi

        options = [(pycurl.CAINFO, certifi.where())]
    return tuple(options)


class _Thread(threading.local):
    """The state of one sending thread's current request (read by `Transport._open_socket`)."""

    def __init__(self):
        self.guard: egress.Guard | None = None
        self.connect_timeout = 10.0
        self.connect_error: str | None = None


class Transport:
    """POSTs over kept-alive connections; thread-safe (a handle serves one thread at a time)."""

    def __init__(self, max_age: float = POOL_MAX_AGE):
        self.max_age = max_age
        self._pins: dict[tuple, tuple[list[str], float]] = {}  # (host, port, loopback) -> (RESOLVE, at)
        # (generation, handle, idle since) by (policy, host...), each host's oldest first
        self._idle: OrderedDict[tuple, list[tuple[int, pycurl.Curl, float]]] = OrderedDict()
        self._idle_count = 0
        self._generation = 0  # handles made before a clear() are closed when they come back
        self._thread = _Thread()
        self._lock = threading.Lock()

    def clear(self) -> None:
        """Forget every checked answer and close every kept-alive connection (those in use when they return)."""
        with self._lock:
            self._pins = {}
            self._generation += 1
            idle, self._idle, self._idle_count = self._idle, OrderedDict(), 0
        for handles in idle.values():
            for _, curl, _ in handles:
                curl.close()

    def post(self, url: str, body: bytes, headers: list[str], connect_timeout: float,
             read_timeout: float, guard: egress.Guard | None = None) -> tuple[int, str]:
        """POST ``body`` once under ``guard`` (else the active `egress.guard`, if any); returns (status,
        Location). Raises `EgressRefused` (the guard refused the host), `socket.gaierror` (it does not
        resolve) or `pycurl.error`."""
        state, guard = self._thread, guard or egress.active()
        parsed = scheme_host_port(url)
        scheme, host, port = parsed if parsed is not None else (None, None, urlsplit(url).port)  # (raises)
        port = port or _PORTS[scheme]
        policy = (guard is not None, guard.allow_loopback if guard else None)  # never share across policies
        pins = self._pin(host, port, guard) if guard is not None else []
        key = (policy, scheme, host, port)
        generation, curl = self._checkout(key)
        if pins:  # pin the checked answers: libcurl must not look the name up again
            curl.setopt(pycurl.RESOLVE, pins)
        state.guard, state.connect_timeout, state.connect_error = guard, connect_timeout, None
        curl.setopt(pycurl.URL, url)
        curl.setopt(pycurl.POSTFIELDS, body)
        curl.setopt(pycurl.HTTPHEADER, headers)
        curl.setopt(pycurl.TIMEOUT_MS, int((connect_timeout + read_timeout) * 1000))
        try:
            curl.perform()
            code = curl.getinfo(pycurl.RESPONSE_CODE)
            location = (curl.getinfo(pycurl.REDIRECT_URL) or "") if 300 <= code < 400 else ""
        finally:
            state.guard = None
            self._checkin(key, generation, curl)
        return code, location

    def connect_error(self) -> str | None:
        """Why this thread's last connection attempt failed (our own connect's error), if it did."""
        return self._thread.connect_error

    def _pin(self, host: str, port: int, guard: egress.Guard) -> list[str]:
        key = (host, port, guard.allow_loopback)
        entry = self._pins.get(key)
        if entry is None or time.monotonic() - entry[1] > self.max_age:
            try:
                answers = egress.resolve(host, port, guard.allow_loopback)
            except egress.EgressRefused as refused:
                guard.refusal = guard.refusal or refused.reason
                raise
            addresses = ",".join(dict.fromkeys(f"[{a[4][0]}]" if ":" in a[4][0] else a[4][0] for a in answers))
            literal = egress.literal_address(host) is not None  # an address: nothing to look up, nothing to pin
            # "+": libcurl drops the pin after DNS_CACHE_TIMEOUT like any answer (plain pins stay for good, and a
            # fan-out to 100,000 hosts would keep them all); every POST to the host pins it again.
            entry = ([] if literal else [f"+{host}:{port}:{addresses}"], time.monotonic())
            with self._lock:
                self._pins[key] = entry
                while len(self._pins) > MAX_PINS:  # the oldest checked answers go first
                    self._pins.pop(next(iter(self._pins)), None)
        return entry[0]

    def _checkout(self, key: tuple) -> tuple[int, pycurl.Curl]:
        """This host's most recently used idle handle (with its kept-alive connection), or a new one; its
        handles idle for IDLE_SECONDS are closed."""
        closing = []
        with self._lock:
            handles = self._idle.get(key)
            if handles:
                stale = time.monotonic() - IDLE_SECONDS
                while handles and handles[0][2] < stale:  # (oldest first)
                    closing.append(handles.pop(0)[1])
                self._idle_count -= len(closing)
            if handles:
                self._idle_count -= 1
                generation, curl, _ = handles.pop()
                if not handles:
                    del self._idle[key]
            else:
                self._idle.pop(key, None)
                generation, curl = self._generation, None
        for handle in closing:
            handle.close()
        return generation, curl or self._new_handle()

    def _checkin(self, key: tuple, generation: int, curl: pycurl.Curl) -> None:
        closing = []
        with self._lock:
            if generation != self._generation:
                closing.append(curl)
            else:
                now = time.monotonic()
                self._idle.setdefault(key, []).append((generation, curl, now))
                self._idle.move_to_end(key)
                self._idle_count += 1
                while self._idle_count > MAX_IDLE or self._idle_count and (
                        next(iter(self._idle.values()))[0][2] < now - IDLE_SECONDS):
                    # the least recently used host's oldest handle goes: too many, or idle too long
                    oldest, handles = next(iter(self._idle.items()))
                    closing.append(handles.pop(0)[1])
                    self._idle_count -= 1
                    if not handles:
                        del self._idle[oldest]
        for handle in closing:
            handle.close()

    def _new_handle(self) -> pycurl.Curl:
        curl = pycurl.Curl()
        for option, value in ((pycurl.NOSIGNAL, 1), (pycurl.PROTOCOLS, pycurl.PROTO_HTTP | pycurl.PROTO_HTTPS),
                              (pycurl.FOLLOWLOCATION, 0), (pycurl.PROXY, ""),  # no redirects, no proxy
                              (pycurl.HTTP_VERSION, pycurl.CURL_HTTP_VERSION_1_1),
                              (pycurl.MAXCONNECTS, 1), (pycurl.DNS_CACHE_TIMEOUT, int(self.max_age)),
                              (pycurl.MAXLIFETIME_CONN, max(int(self.max_age), 1)),
                              (pycurl.WRITEFUNCTION, _discard), (pycurl.OPENSOCKETFUNCTION, self._open_socket),
                              (pycurl.SOCKOPTFUNCTION, _already_connected), *_ca_options()):
            curl.setopt(option, value)
        return curl

    def _open_socket(self, purpose, address):
        """libcurl's every new connection: the address checked (when a guard is active), connected here."""
        state = self._thread
        family, kind, protocol, socket_address = address
        guard = state.guard
        if guard is not None:
            ip = ipaddress.ip_address(str(socket_address[0]).split("%", 1)[0])
            refused = egress.refused_address(ip, guard.allow_loopback)
            if refused:
                guard.refusal = guard.refusal or f"The webhook's address {ip} is not public ({refused})."
                return pycurl.SOCKET_BAD
        sock = socket.socket(family, kind & ~getattr(socket, "SOCK_CLOEXEC", 0), protocol)
        sock.settimeout(state.connect_timeout)
        try:
            sock.connect(socket_address)
        except OSError as error:
            sock.close()
            state.connect_error = "timed out" if isinstance(error, TimeoutError) else short_error(error)
            return pycurl.SOCKET_BAD
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock  # (pycurl keeps a duplicate of its descriptor)


_PORTS = {"http": 80, "https": 443}


def _discard(data: bytes) -> None:
    """The receiver's answer body is not needed (libcurl would print it otherwise)."""


def _already_connected(descriptor: int, purpose: int) -> int:
    return pycurl.SOCKOPT_ALREADY_CONNECTED


TRANSPORT = Transport()


def short_error(error: Exception | str) -> str:
    """An error (or libcurl's message) as one short line for the console."""
    text = str(error)
    if "Connection refused" in text:
        return "connection refused"
    return text[:300]

"""The one place that decides the public address every absolute link starts with (feeds, emails, calendar,
the v2 API's shortlinks, subscription links).

In order: the STATUSPAGE_PUBLIC_URL environment variable (config ``PUBLIC_URL``) when set, the console's
"Public URL" setting when filled, the address ``statuspage serve`` is serving on (config ``SERVED_URL``), and
last ``DEFAULT_URL``. The request's Host header is never used: a stranger chooses it, and these links go into
shared snapshots and emails."""
from dataclasses import dataclass

from flask import current_app

from ..models import Site

DEFAULT_URL = "http://127.0.0.1:5000"

SOURCES = {
    "environment": "the environment variable STATUSPAGE_PUBLIC_URL, which takes precedence over the setting",
    "setting": "the Public URL setting on this page",
    "served": "the address this server is serving on",
    "default": "the built-in default; set the Public URL here or STATUSPAGE_PUBLIC_URL",
}


@dataclass(frozen=True)
class PublicAddress:
    url: str  # without a trailing slash
    source: str  # a key of SOURCES

    @property
    def explanation(self) -> str:
        return SOURCES[self.source]


def served_url(host: str, port: int) -> str:
    """The address a server bound to ``host``:``port`` is reached at (a wildcard host names this machine)."""
    if host in {"", "0.0.0.0", "::", "[::]"}:  # noqa: S104 - naming the wildcard, not binding to it
        import socket

        host = socket.gethostname() or "127.0.0.1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


def public_address(site: Site | None = None) -> PublicAddress:
    """The public address in effect and where it comes from."""
    config = current_app.config
    if (config.get("PUBLIC_URL") or "").strip():
        return PublicAddress(config["PUBLIC_URL"].strip().rstrip("/"), "environment")
    site = site if site is not None else Site.get()
    if (site.url or "").strip():
        return PublicAddress(site.url.strip().rstrip("/"), "setting")
    if config.get("SERVED_URL"):
        return PublicAddress(config["SERVED_URL"].rstrip("/"), "served")
    return PublicAddress(DEFAULT_URL, "default")


def public_url(path: str = "") -> str:
    """The absolute public address of ``path`` (e.g. "/incidents/abc"); the site's root when not given."""
    return public_address().url + path

"""``GET /metrics``: the Prometheus text format, never public and never a snapshot.

With ``STATUSPAGE_METRICS_TOKEN`` set, a scrape must send ``Authorization: Bearer <token>`` (401 otherwise, from
anywhere). Without it, only a client on this machine's loopback may scrape, and only directly: a request that
came through a proxy (it carries X-Forwarded-For, X-Real-IP or Forwarded) is refused, since behind a reverse
proxy on the same machine every visitor would look local (403). Under gunicorn with ``PROMETHEUS_MULTIPROC_DIR``
the counters of every worker process of the machine are added up.
"""
import hmac
import ipaddress

from flask import Blueprint, Response, current_app, request
from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.exposition import choose_encoder

from . import HOT_HITS, MULTIPROCESS
from .collector import DatabaseCollector

bp = Blueprint("prometheus", __name__)
FORWARDING_HEADERS = ("X-Forwarded-For", "X-Real-IP", "Forwarded")


def _is_loopback(address: str | None) -> bool:
    try:
        ip = ipaddress.ip_address((address or "").split("%")[0])
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return (mapped or ip).is_loopback


def refusal() -> Response | None:
    """None when this request may read the metrics, else the 401 or 403 to send."""
    token = current_app.config.get("METRICS_TOKEN") or ""
    if token:
        scheme, _, given = request.headers.get("Authorization", "").strip().partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
            return None
        return _plain("Send the metrics token: Authorization: Bearer <STATUSPAGE_METRICS_TOKEN>.\n", 401,
                      {"WWW-Authenticate": 'Bearer realm="metrics"'})
    if _is_loopback(request.remote_addr) and not any(h in request.headers for h in FORWARDING_HEADERS):
        return None
    return _plain("Metrics are served to this machine's loopback only; set STATUSPAGE_METRICS_TOKEN to scrape "
                  "from elsewhere.\n", 403)


def _plain(text: str, status: int, headers: dict | None = None) -> Response:
    response = Response(text, status=status, mimetype="text/plain", headers=headers or {})
    response.headers["Cache-Control"] = "no-store"
    return response


class _ThisProcess:
    """Forwards the process-wide registry (this process's counters, process and GC metrics)."""

    def describe(self):
        return []

    def collect(self):
        HOT_HITS.flush()
        return REGISTRY.collect()


def registry() -> CollectorRegistry:
    """A registry for one scrape: the counters (of every process, in multiprocess mode) and the database gauges."""
    scrape = CollectorRegistry(auto_describe=False)
    if MULTIPROCESS:
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(scrape)
    else:
        scrape.register(_ThisProcess())
    scrape.register(DatabaseCollector())
    return scrape


@bp.get("/metrics")
def metrics():
    refused = refusal()
    if refused is not None:
        return refused
    encoder, content_type = choose_encoder(request.headers.get("Accept", ""))  # text, or OpenMetrics if asked
    response = Response(encoder(registry()), content_type=content_type)
    response.headers["Cache-Control"] = "no-store"
    return response

"""A URL's scheme, host and port as ``urllib.parse.urlsplit`` reads them, read without it for the plain URLs a
fan-out is made of: the worker reads every delivery's URL (its breaker's name, its check, its connection), and
urlsplit with its properties costs more than the rest of that reading put together."""
import re
from functools import lru_cache
from urllib.parse import urlsplit

# scheme://[userinfo@]host[:port] followed by the path, query, fragment or nothing; anything else (an IPv6
# address, a zone, a character urlsplit would drop) goes through urlsplit.
_AUTHORITY = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://(?:[^\[\]/?#]*@)?([^\[\]@:/?#%]*)(?::([0-9]{1,5}))?"
                        r"(?=[/?#]|$)")


@lru_cache(maxsize=8192)  # a delivery's URL is read three times within a lane's depth of deliveries
def scheme_host_port(url: str) -> tuple[str, str, int | None] | None:
    """``urlsplit(url)``'s scheme, hostname ("" for none) and port, or None where urlsplit raises (a bad port,
    a bad bracket)."""
    match = _AUTHORITY.match(url) if url.isprintable() else None  # urlsplit drops tabs and newlines
    if match is not None:
        scheme, host, port = match.groups()
        port = int(port) if port else None
        if port is None or port <= 65535:
            return scheme.lower(), host.lower(), port
    try:
        parts = urlsplit(url or "")
        return parts.scheme, parts.hostname or "", parts.port
    except ValueError:
        return None

"""Security headers on every response: no sniffing, no framing by others (but for the embeddable notice),
scripts only from this site."""
from flask import request

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",  # the site's accent colour is one inline custom property
    "img-src 'self' data: https:",  # a logo may live on another https host
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'self'",
])

# The pages any site may frame (the embeddable notice): no script at all, inline styles, nothing else.
FRAMEABLE_PATHS = frozenset({"/embed/frame"})
FRAMEABLE_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; "
                    "form-action 'none'; frame-ancestors *")

_NOT_SNIFFED = [("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "strict-origin-when-cross-origin")]
_COMMON = [*_NOT_SNIFFED, ("X-Frame-Options", "SAMEORIGIN")]


def headers_for(mimetype: str, path: str = "") -> list[tuple[str, str]]:
    """The security headers a response of ``mimetype`` for ``path`` carries (the snapshot hot path adds them
    itself): a page in FRAMEABLE_PATHS drops X-Frame-Options and lets any site frame it."""
    if path in FRAMEABLE_PATHS:
        return [*_NOT_SNIFFED, ("Content-Security-Policy", FRAMEABLE_POLICY)]
    if mimetype == "text/html":
        return [*_COMMON, ("Content-Security-Policy", CONTENT_SECURITY_POLICY)]
    return list(_COMMON)


def init_app(app) -> None:
    @app.after_request
    def security_headers(response):
        for name, value in headers_for(response.mimetype, request.path):
            response.headers.setdefault(name, value)
        return response

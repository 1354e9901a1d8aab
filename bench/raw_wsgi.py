"""The raw WSGI limit for bench_hotpath.py: answers recorded responses of the project, nothing else.

``RAW_RESPONSES`` names a JSON file {"/path?query": [status line, [[header, value], ...], base64 body]}; a
request with ``If-None-Match`` equal to the recorded ETag gets a 304 with the ETag and caching headers, as the
project answers it. Everything is prepared at import, so a request costs a dict lookup.
"""
import base64
import json
import os

CONDITIONAL_HEADERS = {"etag", "cache-control", "last-modified", "vary"}


def _load(path: str) -> dict:
    with open(path) as file:
        recorded = json.load(file)
    prepared = {}
    for key, (status, headers, body) in recorded.items():
        headers = [tuple(pair) for pair in headers]
        etag = next((value for name, value in headers if name.lower() == "etag"), None)
        not_modified = [pair for pair in headers if pair[0].lower() in CONDITIONAL_HEADERS]
        prepared[key] = (status, headers, [base64.b64decode(body)], etag, not_modified)
    return prepared


RESPONSES = _load(os.environ["RAW_RESPONSES"])
NOT_FOUND = ("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", "9")], [b"not found"], None, [])


def app(environ, start_response):
    query = environ.get("QUERY_STRING")
    status, headers, body, etag, not_modified = RESPONSES.get(
        environ["PATH_INFO"] + ("?" + query if query else ""), NOT_FOUND)
    if etag is not None and environ.get("HTTP_IF_NONE_MATCH") == etag:
        start_response("304 Not Modified", not_modified)
        return []
    start_response(status, headers)
    return body

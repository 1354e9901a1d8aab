"""The bounds the management API enforces, in one place so the OpenAPI document states the same numbers the
request parsers check (``api.v1.bodies``) without importing the API's views."""

MAX_PER_PAGE = 100
MAX_PAGE = 100_000  # 10 million rows deep: far past any real list, far below SQLite's 64-bit OFFSET
# A revision in If-Match: digits, quoted or not, weak or not; "*" or nothing means "any revision".
IF_MATCH_PATTERN = r'^(\*|(W/)?"?[0-9]{1,18}"?)?$'

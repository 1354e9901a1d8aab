"""Request bodies of the management API: the resource envelope and typed, validated fields.

A body is JSON wrapped in the resource's name (``{"incident": {...}}``) or form-encoded with the same shape
in brackets (``incident[name]=...``, ``incident[components][<id>]=major_outage``,
``incident[component_ids][]=...``). Malformed JSON is 400; a body of any other media type is 415; a missing
envelope, a wrong type or an unknown value is a ``DomainError`` (422) naming the field; an id naming nothing
is 404. Fields the API does not know are ignored, as Statuspage clients send some (``wants_twitter_update``).
Every number a client sends is bounded (``MAX_PAGE``, ``MAX_PER_PAGE``, revisions of at most 18 digits), so
no value reaches the database as an integer it cannot hold.
"""
import re
from datetime import UTC, date, datetime

from flask import abort, request

from ...domain.recording import DomainError, NotFound
from ...domain.text import has_unsafe_characters
from ...extensions import db
from ...models import COMPONENT_STATUSES, Component
from ..limits import IF_MATCH_PATTERN, MAX_PAGE, MAX_PER_PAGE

_BRACKETS = re.compile(r"\[([^\]]*)\]")
TRUE = ("true", "1", "yes", "on")
FALSE = ("false", "0", "no", "off", "")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_WHOLE_NUMBER = re.compile(r"[0-9]{1,18}")
RFC3339 = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?"
                     r"([Zz]|[+-][0-9]{2}:[0-9]{2})")
FULL_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _form_path(key: str) -> list[str]:
    head, _, rest = key.partition("[")
    return [head] + _BRACKETS.findall("[" + rest) if rest else [head]


def parse_form(form) -> dict:
    """Nest ``a[b][c]=v`` keys into dicts; ``a[b][]=v`` collects a list."""
    document: dict = {}
    for key in form:
        path = _form_path(key)
        values = form.getlist(key)
        node = document
        for part in path[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        last = path[-1]
        if last == "" and len(path) > 1:  # a[b][] = list under b
            parent = document
            for part in path[:-2]:
                parent = parent[part]
            parent[path[-2]] = values
        else:
            node[last] = values if len(values) > 1 else values[0]
    return document


def document() -> dict:
    """The whole request body as a dict (JSON object or nested form)."""
    if request.is_json:
        raw = request.get_data(cache=True)
        if not raw.strip():
            return {}
        data = request.get_json(silent=True)
        if data is None:
            abort(400, "The request body is not valid JSON.")
        if not isinstance(data, dict):
            raise DomainError("the body must be a JSON object", field="body")
        return data
    if request.mimetype in FORM_TYPES or not request.get_data(cache=True):
        return parse_form(request.form)
    abort(415, "Send the body as application/json (or form-encoded as resource[field]=value).")


def envelope(name: str, doc: dict | None = None) -> dict:
    """The resource object under ``name``; 422 when it is missing or not an object."""
    doc = document() if doc is None else doc
    inner = doc.get(name)
    if not isinstance(inner, dict):
        raise DomainError(f"wrap the fields in {name!r}: {{\"{name}\": {{...}}}} or {name}[field]=...",
                          field=name)
    return inner


def text(obj: dict, key: str, max_length: int | None = None) -> str | None:
    """A string field; None when absent (null is kept as absent)."""
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise DomainError(f"{key} must be text", field=key)
    if max_length and len(value) > max_length:
        raise DomainError(f"{key} is longer than {max_length} characters", field=key)
    return value


def _from_form() -> bool:
    """Whether the body came form-encoded, where every value is text: JSON bodies are held to JSON types."""
    return not request.is_json


def boolean(obj: dict, key: str) -> bool | None:
    """true/false, or (form bodies only) the words a form sends (true, false, 1, 0); None when absent."""
    value = obj.get(key)
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and _from_form() and value.strip().lower() in TRUE + FALSE:
        return value.strip().lower() in TRUE
    raise DomainError(f"{key} must be true or false", field=key)


def timestamp(obj: dict, key: str) -> datetime | None:
    """An RFC 3339 date and time (in a form body, any ISO 8601 one, no offset meaning UTC); None when
    absent or empty."""
    value = obj.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not (_from_form() or RFC3339.fullmatch(value)):
        raise DomainError(f"{key} must be an RFC 3339 date and time like 2026-05-01T22:00:00Z", field=key)
    try:
        parsed = datetime.fromisoformat(value.strip().upper())
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: an offset that moves year 1 before year 1 in UTC
        raise DomainError(f"{key} must be an ISO-8601 date and time like 2026-05-01T22:00:00Z in the "
                          f"years 1 to 9999", field=key) from None


def choice(obj: dict, key: str, allowed: tuple) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if value not in allowed:
        raise DomainError(f"unknown {key} {value!r}; use one of {', '.join(allowed)}", field=key)
    return value


def mapping(obj: dict, key: str) -> dict | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise DomainError(f"{key} must be an object", field=key)
    return value


def id_list(obj: dict, key: str) -> list[str] | None:
    """A list of ids (a form's single value counts as a list of one); None when absent."""
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, str) and _from_form():
        value = [value] if value else []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DomainError(f"{key} must be a list of ids", field=key)
    return list(dict.fromkeys(value))


def check_component_ids(ids, field: str) -> list[str]:
    """Every id must name an existing component (422 naming ``field`` otherwise)."""
    ids = list(ids)
    if not ids:
        return ids
    for candidate in ids:
        if has_unsafe_characters(candidate):  # names nothing, and must not reach the database (NUL)
            raise NotFound(f"no component with id {candidate!r}", field=field)
    found = set(db.session.scalars(db.select(Component.id).where(Component.id.in_(ids))))
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound(f"no component with id {missing[0]!r}", field=field)
    return ids


def component_statuses(obj: dict, key: str = "components") -> dict[str, str] | None:
    """A map of existing component id to component status; None when absent."""
    value = mapping(obj, key)
    if value is None:
        return None
    for status in value.values():
        if status not in COMPONENT_STATUSES:
            raise DomainError(f"unknown component status {status!r}; use one of "
                              f"{', '.join(COMPONENT_STATUSES)}", field=key)
    check_component_ids(value, key)
    return {str(k): v for k, v in value.items()}


def pagination() -> tuple[int, int]:
    """``page`` (1..MAX_PAGE, default 1) and ``per_page``/``limit`` (1..100, default 100) from the query
    string; anything else (a sign, a fraction, digits past the bounds, an empty value) is 422."""
    values = {}
    bounds = {"page": MAX_PAGE, "per_page": MAX_PER_PAGE, "limit": MAX_PER_PAGE}
    for name, default in (("page", 1), ("per_page", None), ("limit", None)):
        raw = request.args.get(name)
        if raw is None:
            values[name] = default
            continue
        if not _WHOLE_NUMBER.fullmatch(raw) or not 1 <= int(raw) <= bounds[name]:
            raise DomainError(f"{name} must be a whole number from 1 to {bounds[name]}", field=name)
        values[name] = int(raw)
    return values["page"], values["per_page"] or values["limit"] or MAX_PER_PAGE


def if_match_revision() -> int | None:
    """The revision in ``If-Match`` (a number, quoted or not; ``*`` or empty means any) for optimistic
    concurrency; None if absent. Anything else is 422."""
    raw = request.headers.get("If-Match", "").strip()
    if not re.fullmatch(IF_MATCH_PATTERN, raw):
        raise DomainError("If-Match must be the revision number from the ETag", field="If-Match")
    digits = raw.removeprefix("W/").strip('"')
    return int(digits) if digits and digits != "*" else None


def optional_envelope(name: str) -> dict:
    """The fields under ``name`` when the body gives them; an empty body (an action with no options) is {}."""
    doc = document()
    return envelope(name, doc) if doc else {}


MAX_ID = 2**31 - 1  # the largest integer id a database column holds


def whole_number(obj: dict, key: str) -> int | None:
    """A positive integer id (JSON number; a form's digits); None when absent."""
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, str) and _from_form() and _WHOLE_NUMBER.fullmatch(value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        raise DomainError(f"{key} must be a whole number from 1 to {MAX_ID}", field=key)
    return value


def day(obj: dict, key: str) -> date | None:
    """A full date, YYYY-MM-DD; None when absent or empty."""
    value = obj.get(key)
    if value is None or value == "":
        return None
    try:
        if not isinstance(value, str) or not FULL_DATE.fullmatch(value):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise DomainError(f"{key} must be a date like 2026-05-01", field=key) from None

"""Text a stranger can type, cleaned once where it is written.

Every domain write that stores typed text (incident names and update bodies, postmortems, component and group
names and descriptions, templates, site settings, users' names) passes it through ``clean_text`` (several
lines) or ``clean_line`` (one line). Both are total: any ``str`` comes out as text that every renderer (HTML,
XML feeds, iCalendar, JSON, e-mail) and every database accepts. What they remove can never be seen anyway:

- C0 control characters other than tab and newline, DEL, and NUL (XML 1.0 forbids them; PostgreSQL refuses NUL);
- lone surrogates (a JSON ``"\\ud800"`` decodes to one; UTF-8 cannot encode it) and the non-characters
  U+FFFE and U+FFFF (XML forbids them);
- newline forms other than ``\\n`` (CR, CRLF, NEL, U+2028, U+2029) become ``\\n``.

Addresses are not cleaned but refused when they carry such characters (``has_unsafe_characters``): silently
changing where we send would be worse than saying no.
"""
import re

_NEWLINES = re.compile("\r\n|[\r\x85\u2028\u2029]")
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_LINE_BREAKS = re.compile("[\t\n\r\x85\u2028\u2029]+")


def clean_text(value: str) -> str:
    """Several lines of text: newline forms made ``\\n``, unsafe characters removed, ends stripped."""
    return _UNSAFE.sub("", _NEWLINES.sub("\n", value)).strip()


def clean_line(value: str) -> str:
    """One line (a name, a title): like ``clean_text``, with tabs and line breaks folded into one space."""
    return _UNSAFE.sub("", _LINE_BREAKS.sub(" ", value)).strip()


def has_unsafe_characters(value: str) -> bool:
    """Whether ``value`` holds a character ``clean_line`` would remove or change (control, surrogate...)."""
    return bool(_UNSAFE.search(value) or _LINE_BREAKS.search(value))


def xml_safe(value: str) -> str:
    """``value`` without the characters XML 1.0 cannot carry: the feeds' second line of defence against a
    record written before cleaning existed (or by raw SQL)."""
    return _XML_INVALID.sub("", value)


def clean_data(value):
    """A JSON-like value (an incident's metadata) with every string in it, keys included, ``clean_text``-ed
    but not stripped; PostgreSQL's jsonb refuses NUL and lone surrogates."""
    if isinstance(value, str):
        return _UNSAFE.sub("", _NEWLINES.sub("\n", value))
    if isinstance(value, dict):
        return {clean_data(str(k)): clean_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_data(v) for v in value]
    return value

"""One SMS segment: 160 GSM-7 characters (extension-table characters count double), or 70 UCS-2 code units as
soon as one character is outside GSM-7 (an emoji takes two units). `fit_sms` cuts a text on a word so that the
text plus its link fit one segment, and never drops the link.
"""
from __future__ import annotations

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = set("^{}\\[~]|€\f")
GSM7_LIMIT = 160
UCS2_LIMIT = 70
ELLIPSIS = "..."
# Typography that would force UCS-2 (70 characters) for no good reason.
_GSM_FRIENDLY = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-",
    "\u2026": "...", "\u00a0": " ", "\u2022": "-",
})


def sms_encoding(text: str) -> str:
    """'gsm7' when every character is in the GSM 03.38 alphabet (with its extension table), else 'ucs2'."""
    return "gsm7" if all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text) else "ucs2"


def sms_units(text: str) -> int:
    """Length as the carrier counts it for the text's encoding."""
    if sms_encoding(text) == "gsm7":
        return sum(2 if c in GSM7_EXTENSION else 1 for c in text)
    return len(text.encode("utf-16-le")) // 2


def fits_one_segment(text: str) -> bool:
    limit = GSM7_LIMIT if sms_encoding(text) == "gsm7" else UCS2_LIMIT
    return sms_units(text) <= limit


def fit_sms(text: str, link: str) -> str:
    """``text`` then ``link`` in one segment: the text cut on a word (with '...'), the link always."""
    text = " ".join(text.translate(_GSM_FRIENDLY).split())
    link = link.strip()
    whole = f"{text} {link}".strip()
    if fits_one_segment(whole):
        return whole
    kept = ""
    for word in text.split(" "):
        candidate = f"{kept} {word}".strip()
        if not fits_one_segment(f"{candidate}{ELLIPSIS} {link}".strip()):
            break
        kept = candidate
    if not kept:
        return link
    return f"{kept.rstrip(',;:-.')}{ELLIPSIS} {link}".strip()

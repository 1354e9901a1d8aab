"""Targets per channel (normalized or refused with a reason) and the one-segment SMS rule."""
import pytest

from notifiers.channels import InvalidTarget, fit_sms, sms_encoding, sms_units, validate_target

LINK = "https://s.t/i/abc"


def test_short_sms_keeps_the_whole_text_and_the_link():
    assert fit_sms("Acme: API errors - Resolved.", LINK) == f"Acme: API errors - Resolved. {LINK}"


def test_long_sms_is_cut_on_a_word_and_keeps_the_link():
    text = "Acme: API errors - Identified. " + "We are rolling back the gateway deploy everywhere. " * 5
    sms = fit_sms(text, LINK)
    assert sms_units(sms) <= 160
    assert sms.endswith(f"... {LINK}")
    kept = sms[: -len(f"... {LINK}")]
    assert text.startswith(kept)
    assert text[len(kept)] == " "  # the cut fell between two words
    assert len(kept) > 120  # and used the segment rather than giving up early


def test_gsm7_extension_characters_count_double():
    assert sms_units("{[€]}") == 10
    text = "Braces {} cost two: " + "{x} " * 60
    sms = fit_sms(text, LINK)
    assert sms_encoding(sms) == "gsm7"
    assert sms_units(sms) <= 160
    assert len(sms) < 160  # fewer characters than units
    assert sms.endswith(LINK)


def test_an_emoji_switches_to_ucs2_with_70_units_and_counts_two():
    assert sms_units("🔥") == 2
    text = "🔥 API errors - Identified. We are rolling back the gateway deploy now, stand by."
    sms = fit_sms(text, LINK)
    assert sms_encoding(sms) == "ucs2"
    assert sms_units(sms) <= 70
    assert sms.startswith("🔥 API errors") and sms.endswith(LINK)


def test_typographic_punctuation_does_not_force_ucs2():
    sms = fit_sms("Acme: API errors — Identified. We’re on it… “soon”", LINK)
    assert sms_encoding(sms) == "gsm7"
    assert sms == f"Acme: API errors - Identified. We're on it... \"soon\" {LINK}"


def test_the_link_survives_even_when_no_word_fits():
    assert fit_sms("x" * 300, LINK) == LINK


def test_email_targets_are_normalized():
    assert validate_target("email", "  Ops.Team@EXAMPLE.com ") == "Ops.Team@example.com"


@pytest.mark.parametrize("address", ["not-an-address", "ops@", "ops@example", "a b@example.com"])
def test_invalid_email_addresses_are_refused_with_a_reason(address):
    with pytest.raises(InvalidTarget) as error:
        validate_target("email", address)
    assert error.value.reason.startswith("Not a valid email address")


def test_phone_numbers_are_normalized_to_e164():
    assert validate_target("sms", "+1 (415) 555-2671") == "+14155552671"
    assert validate_target("sms", "+49 151 12345678") == "+4915112345678"


@pytest.mark.parametrize("number, reason", [
    ("4155552671", "international format"),
    ("+1 555 123 4567", "not a valid phone number"),
    ("+49 30 12345678", "use a mobile number"),
    ("call me", "international format"),
])
def test_invalid_phone_numbers_are_refused_with_a_reason(number, reason):
    with pytest.raises(InvalidTarget, match=reason):
        validate_target("sms", number)


@pytest.mark.parametrize("url", [
    "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
    "discord://123456789012345678/abcdefghijklmnopqrstuvwxyz0123456789",
    "ntfy://ntfy.sh/acme-status",
])
def test_chat_urls_apprise_accepts_are_valid(url):
    assert validate_target("chat", url) == url


@pytest.mark.parametrize("url, reason", [
    ("slack://", "not supported"),
    ("nonsense://whatever", "not supported"),
    ("just some text", "Enter a chat URL"),
    ("dbus://", "not a chat service"),
    ("mailto://user:pass@example.com", "not a chat service"),
    ("json://127.0.0.1:8080/hook", "local address"),
    ("json://10.1.2.3/hook", "private or local address"),
])
def test_chat_urls_are_refused_with_a_reason(url, reason):
    with pytest.raises(InvalidTarget, match=reason):
        validate_target("chat", url)


def test_chat_urls_with_control_characters_are_refused():
    with pytest.raises(InvalidTarget, match="spaces or control characters"):
        validate_target("chat", "json://hooks.example.com/hook\x00")


def test_loopback_chat_urls_are_allowed_for_tests():
    assert validate_target("chat", "json://127.0.0.1:8080/hook", allow_loopback=True)


def test_https_webhooks_are_valid():
    assert validate_target("webhook", "HTTPS://hooks.example.com/status?token=abc#frag") == \
        "https://hooks.example.com/status?token=abc"


@pytest.mark.parametrize("url, reason", [
    ("http://hooks.example.com/status", "must use https"),
    ("ftp://hooks.example.com/status", "must use https"),
    ("https:///status", "needs a host"),
    ("https://localhost/hook", "local address"),
    ("https://127.0.0.1/hook", "local address"),
    ("https://10.0.0.5/hook", "private or local address"),
    ("https://192.168.1.10/hook", "private or local address"),
    ("https://169.254.169.254/latest/meta-data", "private or local address"),
    ("https://[::1]/hook", "local address"),
    ("https://[::ffff:10.0.0.1]/hook", "private or local address"),
    ("https://hooks.example.com:99999/x", "not a valid URL"),
    ("https://hooks.example.com/a b", "spaces or control characters"),
    ("https://hooks.example.com/\x00x", "spaces or control characters"),
    ("https://hooks.example.com/x\r\nX-Injected: 1", "spaces or control characters"),
    ("https://hooks.example.com/\u200bx", "spaces or control characters"),
])
def test_webhook_urls_are_refused_with_a_reason(url, reason):
    with pytest.raises(InvalidTarget, match=reason):
        validate_target("webhook", url)


def test_loopback_webhooks_over_http_are_allowed_only_when_asked():
    with pytest.raises(InvalidTarget):
        validate_target("webhook", "http://127.0.0.1:8080/hook")
    assert validate_target("webhook", "http://127.0.0.1:8080/hook", allow_loopback=True) == \
        "http://127.0.0.1:8080/hook"
    with pytest.raises(InvalidTarget, match="must use https"):
        validate_target("webhook", "http://hooks.example.com/hook", allow_loopback=True)


@pytest.mark.parametrize("channel", ["email", "sms", "chat", "webhook"])
def test_empty_targets_are_refused(channel):
    with pytest.raises(InvalidTarget, match="Enter where"):
        validate_target(channel, "   ")


def test_unknown_channels_are_refused():
    with pytest.raises(InvalidTarget, match="Unknown channel"):
        validate_target("pager", "123")


@pytest.mark.parametrize("target, stored", [
    ("https://hooks.example.com/status?team=ops", "https://hooks.example.com/status?team=ops"),
    ("HTTPS://Hooks.Example.com/status", "https://Hooks.Example.com/status"),
    ("https://hooks.example.com/status#section", "https://hooks.example.com/status"),
    ("https://hooks.example.com/status?", "https://hooks.example.com/status"),
    ("https://user:pw@hooks.example.com:8443//a/b", "https://user:pw@hooks.example.com:8443//a/b"),
])
def test_a_webhook_url_is_kept_as_typed_but_for_its_scheme_and_fragment(target, stored):
    """What the subscriber typed is what receives the POST (a quick reading serves the plain URLs of a fan-out,
    urlsplit the rest): the scheme in lower case, a fragment or an empty query dropped, nothing else."""
    assert validate_target("webhook", target) == stored

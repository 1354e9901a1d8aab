"""Rendering notifications per channel: subjects, both email parts, SMS segments, chat Markdown, webhook JSON,
and nothing internal in a public render."""
from pathlib import Path

import pytest
from jinja2 import UndefinedError

from notifiers import CHANNELS, EVENTS, render
from notifiers.channels import sms_encoding, sms_units

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def incident_context(audience="public", event="incident.updated", kind="incident", internal_note=False,
                     body="We found the cause: a bad deploy of the API gateway. Rolling back now."):
    """A context as the worker builds it from the database, for ``audience``."""
    maintenance = kind == "maintenance"
    incident = {
        "id": "inc1", "name": "Database upgrade" if maintenance else "API errors", "kind": kind,
        "status": "scheduled" if maintenance else "identified",
        "status_label": "Scheduled" if maintenance else "Identified",
        "impact": "major", "impact_label": "Major",
        "url": "https://status.acme.test/incidents/inc1", "started_at": "2026-11-25T15:00:00Z",
        "resolved_at": None, "scheduled_for": "2026-11-28T01:00:00Z" if maintenance else None,
        "scheduled_until": "2026-11-28T03:00:00Z" if maintenance else None,
        "window_local": "Sat 28 Nov 02:00–04:00 CET" if maintenance else None,
        "components": [{"id": "c1", "name": "API", "status": "partial_outage", "status_label": "Partial outage"},
                       {"id": "c2", "name": "Dashboard", "status": "degraded_performance",
                        "status_label": "Degraded performance"}],
        "priority_label": "P1 Critical" if audience == "internal" else None,
        "owner": "Dana Oncall" if audience == "internal" else None,
        "statuspage": {"id": "inc1", "name": "API errors", "status": "identified", "impact": "major",
                       "shortlink": "https://s.t/i/abc", "incident_updates": []},
    }
    update = {
        "id": "upd1", "status": incident["status"], "status_label": incident["status_label"],
        "body": body.replace("bad deploy", "**bad deploy**"),
        "body_html": "<p>" + body.replace("bad deploy", "<strong>bad deploy</strong>") + "</p>",
        "body_text": body, "display_at": "2026-11-25T15:04:00Z", "display_at_local": "25 Nov 2026, 16:04 CET",
        "internal": internal_note,
    }
    return {
        "event": event, "audience": audience,
        "site": {"name": "Acme Status", "url": "https://status.acme.test", "time_zone": "Europe/Berlin",
                 "page_id": "pg1", "status_indicator": "major", "status_description": "Partial System Outage"},
        "incident": incident, "update": update,
        "subscriber": {"id": "sub1", "channel": "email", "audience": audience,
                       "manage_url": "https://status.acme.test/subscriptions/tok1",
                       "unsubscribe_url": "https://status.acme.test/subscriptions/tok1/unsubscribe",
                       "unsubscribe_post_url": "https://status.acme.test/subscriptions/tok1/unsubscribe?one-click=1",
                       "confirm_url": None, "confirm_code": None},
        "short_url": "https://s.t/i/abc",
    }


def confirm_context(audience="public"):
    context = incident_context(audience, event="subscription.confirm")
    context.update(incident=None, update=None, short_url=None)
    context["subscriber"].update(confirm_url="https://status.acme.test/subscriptions/tok1/confirm",
                                 confirm_code="482913")
    return context


def render_for(event, channel, context):
    return render(event, channel, context, TEMPLATES)


def test_email_subject_names_the_site_the_status_and_the_incident():
    message = render_for("incident.updated", "email", incident_context())
    assert message.subject == "[Acme Status] Identified: API errors"


def test_maintenance_email_subject_says_scheduled_maintenance():
    context = incident_context(event="maintenance.scheduled", kind="maintenance")
    message = render_for("maintenance.scheduled", "email", context)
    assert message.subject == "[Acme Status] Scheduled maintenance: Database upgrade"
    assert "Sat 28 Nov 02:00–04:00 CET" in message.text
    assert "Sat 28 Nov 02:00–04:00 CET" in message.html


def test_email_text_and_html_both_carry_update_components_link_and_footer():
    message = render_for("incident.updated", "email", incident_context())
    for part in (message.text, message.html):
        assert "We found the cause" in part
        assert "API" in part and "Partial outage" in part
        assert "Dashboard" in part and "Degraded performance" in part
        assert "https://status.acme.test/incidents/inc1" in part
        assert "https://status.acme.test/subscriptions/tok1" in part  # manage
        assert "https://status.acme.test/subscriptions/tok1/unsubscribe" in part
    assert "<strong>bad deploy</strong>" in message.html  # the sanitized HTML body, not escaped
    assert "<" not in message.text


def test_email_headers_offer_rfc8058_one_click_unsubscribe():
    message = render_for("incident.resolved", "email", incident_context(event="incident.resolved"))
    assert message.headers["List-Unsubscribe"] == "<https://status.acme.test/subscriptions/tok1/unsubscribe?one-click=1>"
    assert message.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_html_part_escapes_names_from_the_database():
    context = incident_context()
    context["incident"]["name"] = "<script>alert(1)</script> errors"
    context["incident"]["components"][0]["name"] = "API & <b>Web</b>"
    message = render_for("incident.updated", "email", context)
    assert "<script>" not in message.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; errors" in message.html
    assert "API &amp; &lt;b&gt;Web&lt;/b&gt;" in message.html
    assert "<script>alert(1)</script> errors" in message.subject  # plain text stays plain


def test_internal_email_shows_priority_owner_and_marks_the_internal_note():
    message = render_for("incident.updated", "email", incident_context("internal", internal_note=True))
    for part in (message.text, message.html):
        assert "P1 Critical" in part
        assert "Dana Oncall" in part
        assert "Internal note" in part


@pytest.mark.parametrize("channel", ["email", "sms", "chat", "webhook"])
def test_public_renders_never_show_internal_data(channel):
    internal = incident_context("internal", internal_note=True)
    public = incident_context("public")
    # Even if a public context carried internal fields by mistake, the public render must not show them.
    leaky = incident_context("public", internal_note=True)
    leaky["incident"].update(priority_label="P1 Critical", owner="Dana Oncall")
    for context in (public, leaky):
        message = render_for("incident.updated", channel, context)
        rendered = " ".join([message.subject, message.text, message.html, message.markdown, str(message.payload)])
        for secret in ("P1 Critical", "Dana Oncall", "Internal note"):
            assert secret not in rendered
    if channel in ("email", "chat"):
        message = render_for("incident.updated", channel, internal)
        rendered = " ".join([message.text, message.html, message.markdown])
        assert "P1 Critical" in rendered and "Dana Oncall" in rendered and "Internal note" in rendered


def test_sms_fits_one_gsm7_segment_and_ends_with_the_short_link():
    body = "We found the cause: a bad deploy of the API gateway. " * 6
    message = render_for("incident.updated", "sms", incident_context(body=body))
    assert sms_encoding(message.text) == "gsm7"
    assert sms_units(message.text) <= 160
    assert message.text.startswith("Acme Status: API errors - Identified. We found the cause")
    assert message.text.endswith("... https://s.t/i/abc")


def test_sms_with_an_emoji_fits_one_ucs2_segment_of_70():
    context = incident_context(body="Rolling back now and watching error rates closely for the next hour.")
    context["incident"]["name"] = "API errors 🔥"
    message = render_for("incident.updated", "sms", context)
    assert "🔥" in message.text
    assert sms_encoding(message.text) == "ucs2"
    assert sms_units(message.text) <= 70
    assert message.text.endswith(" https://s.t/i/abc")


def test_chat_message_has_a_title_markdown_body_and_the_link():
    message = render_for("incident.updated", "chat", incident_context())
    assert message.subject == "Acme Status: Identified: API errors"
    assert "**bad deploy**" in message.markdown
    assert "[View incident](https://status.acme.test/incidents/inc1)" in message.markdown
    assert "**Affected:** API (Partial outage), Dashboard (Degraded performance)" in message.markdown


def test_webhook_payload_has_statuspage_shape():
    context = incident_context()
    message = render_for("incident.updated", "webhook", context)
    payload = message.payload
    assert payload["meta"]["unsubscribe"] == "https://status.acme.test/subscriptions/tok1/unsubscribe"
    assert payload["meta"]["generated_at"].endswith("Z")
    assert payload["page"] == {"id": "pg1", "status_indicator": "major",
                               "status_description": "Partial System Outage"}
    assert payload["incident"] == context["incident"]["statuspage"]


def test_confirmation_uses_its_own_templates_with_link_and_code():
    email = render_for("subscription.confirm", "email", confirm_context())
    assert email.subject == "[Acme Status] Confirm your subscription to Acme Status"
    assert "https://status.acme.test/subscriptions/tok1/confirm" in email.text
    assert 'href="https://status.acme.test/subscriptions/tok1/confirm"' in email.html
    assert "incident" not in email.text.lower()
    sms = render_for("subscription.confirm", "sms", confirm_context())
    assert "482913" in sms.text and sms_units(sms.text) <= 160


@pytest.mark.parametrize("event", EVENTS)
@pytest.mark.parametrize("channel", CHANNELS)
def test_every_event_renders_for_every_channel(event, channel):
    if event == "subscription.confirm":
        context = confirm_context()
    else:
        kind = "maintenance" if event.startswith("maintenance.") else "incident"
        context = incident_context(event=event, kind=kind)
        if event == "leadership.digest":  # about the day, not one incident
            context = dict(context, incident=None, update=None)
    message = render_for(event, channel, context)
    assert message.channel == channel
    if channel == "webhook":
        assert message.payload["meta"]["event"] == event
    else:
        assert (message.text or message.markdown).strip()
    if channel == "email":
        assert message.subject.startswith("[Acme Status] ") and message.html.startswith("<!DOCTYPE html>")
    if context["incident"] is not None:  # reminders and scheduler-driven events may come without an update
        without_update = render_for(event, channel, dict(context, update=None))
        if channel != "webhook":
            assert "https://status.acme.test/incidents/inc1" in without_update.text + without_update.markdown \
                or without_update.text.endswith("https://s.t/i/abc")


def test_missing_context_data_fails_loudly():
    context = incident_context()
    del context["incident"]["url"]
    with pytest.raises(UndefinedError):
        render_for("incident.updated", "email", context)


def test_unknown_event_or_channel_is_refused():
    with pytest.raises(ValueError, match="unknown notification event"):
        render_for("incident.exploded", "email", incident_context())
    with pytest.raises(ValueError, match="unknown channel"):
        render_for("incident.updated", "pager", incident_context())

"""Render one notification for one channel and send it to one target through Apprise.

Independent of Flask and of the statuspage package (jinja2, apprise, phonenumbers, email-validator,
requests and the standard library only), so the worker, the CLI and benchmarks use it alike::

    from notifiers import render, send, SendConfig, TransportError
    message = render("incident.updated", "email", context, template_dir)
    send(message, "ops@example.com", SendConfig(smtp_url="mailto://smtp.example.com?from=status@example.com"))
"""
from .channels import CHANNELS, InvalidTarget, fit_sms, validate_target
from .render import EVENTS, Message, render
from .send import SendConfig, TransportError, send

__all__ = ["CHANNELS", "EVENTS", "InvalidTarget", "Message", "SendConfig", "TransportError", "fit_sms",
           "render", "send", "validate_target"]

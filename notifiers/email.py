"""Our email transport: Apprise's email plugin with our own multipart message and a shared TLS context.

`StatusEmail` is Apprise's `NotifyEmail` (so the operator's ``mailto://``/``mailtos://`` URL is parsed by
Apprise: host, port, mode, user, password, from, +Headers, cto) with these differences:

- it sends OUR plain-text and HTML parts as multipart/alternative (Apprise derives the text from the HTML);
- it reuses one TLS context per process instead of building one per message (``ssl.create_default_context()``
  loads the CA store each time: 25-50 ms, most of a stock Apprise send) and the local host name for EHLO;
- it builds the MIME message with the compat32 classes as Apprise does, not EmailMessage (8x slower).

A failed send leaves ``failure`` = (reason, permanent): a 5xx reply to RCPT TO (mailbox unknown) is permanent;
connection errors, timeouts, 4xx replies and problems with our own sender or login are transient.
"""
from __future__ import annotations

import smtplib
import socket
import ssl
from email.charset import QP, Charset
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import formataddr, formatdate, make_msgid
from functools import cache, lru_cache

from apprise.plugins.email import NotifyEmail
from apprise.plugins.email.smtp import SMTPSecureMode

_UTF8_QP = Charset("utf-8")
_UTF8_QP.body_encoding = QP  # quoted-printable keeps the text part readable in raw form
# SMTP wants CRLF (smtplib does not convert bytes); long ASCII headers (List-Unsubscribe URLs) stay unfolded.
_SMTP_LINES = compat32.clone(linesep="\r\n", max_line_length=998)


@lru_cache(maxsize=4)
def parse_sender_url(smtp_url: str) -> dict:
    """Apprise's parse of the operator's sender URL (cached: one parse per process)."""
    parsed = NotifyEmail.parse_url(smtp_url)
    if not parsed:
        raise ValueError("the SMTP URL is not a valid Apprise mailto:// URL")
    return parsed


@cache
def tls_context(verify: bool) -> ssl.SSLContext:
    """One client TLS context per verification mode, shared by all connections (SSLContext is thread-safe)."""
    context = ssl.create_default_context()
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


@cache
def local_hostname() -> str:
    """The EHLO name; smtplib would otherwise call socket.getfqdn() for every connection."""
    return socket.getfqdn()


class StatusEmail(NotifyEmail):
    """One email (text + HTML alternative) to the targets of this instance, over one SMTP connection."""

    service_name = "Email (status notifications)"
    request_rate_per_sec = 0  # one instance per delivery; pacing belongs to the worker

    def __init__(self, text: str = "", sender_name: str = "", **kwargs):
        super().__init__(**kwargs)
        self.text = text
        if sender_name and not self.from_addr[0]:
            self.from_addr = [sender_name, self.from_addr[1]]
        self.failure: tuple[str, bool] | None = None

    def send(self, body, title="", notify_type=None, attach=None, body_format=None, **kwargs):
        """Send ``title`` as the subject, ``self.text`` as the plain part and ``body`` as the HTML part."""
        if not self.targets:
            return self._failed("There is no email recipient.", permanent=True)
        try:
            with self._connect() as smtp:
                for name, address in self.targets:
                    message = self._message(title, body, name, address)
                    smtp.sendmail(self.from_addr[1], [address], message.as_bytes(policy=_SMTP_LINES))
                    self.logger.info("Sent Email to %s", address)
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = next(iter(error.recipients.values()))
            return self._failed(f"The mail server refused the recipient: {code} {_text(reply)}",
                                permanent=500 <= code < 600)
        except smtplib.SMTPResponseException as error:
            return self._failed(f"The mail server answered {error.smtp_code} {_text(error.smtp_error)}",
                                permanent=False)
        except (OSError, smtplib.SMTPException) as error:
            return self._failed(f"Could not deliver to the mail server {self.smtp_host}:{self.port}: "
                                f"{error or type(error).__name__}", permanent=False)
        return True

    def _connect(self) -> smtplib.SMTP:
        timeout = self.socket_connect_timeout
        if self.secure_mode == SMTPSecureMode.SSL:
            smtp = smtplib.SMTP_SSL(self.smtp_host, self.port, local_hostname(), timeout=timeout,
                                    context=tls_context(self.verify_certificate))
        else:
            smtp = smtplib.SMTP(self.smtp_host, self.port, local_hostname(), timeout=timeout)
        try:
            if self.secure_mode == SMTPSecureMode.STARTTLS:
                smtp.starttls(context=tls_context(self.verify_certificate))
            if self.user and self.password:
                smtp.login(self.user, self.password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _message(self, subject: str, html: str, name, address: str) -> MIMEMultipart:
        # The compat32 MIME classes (as Apprise uses) build and serialize ~8x faster than EmailMessage.
        message = MIMEMultipart("alternative")
        message["Subject"] = _header(subject)
        message["From"] = formataddr((self.from_addr[0] or "", self.from_addr[1]), charset="utf-8")
        message["To"] = formataddr((name or "", address), charset="utf-8")
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = make_msgid(domain=self.from_addr[1].rpartition("@")[2] or None)
        message["X-Application"] = self.app_id
        for header, value in self.headers.items():
            message[header] = _header(value)
        message.attach(MIMEText(self.text or "", "plain", _UTF8_QP))
        if html:
            message.attach(MIMEText(html, "html", _UTF8_QP))
        return message

    def _failed(self, reason: str, permanent: bool) -> bool:
        self.failure = (reason, permanent)
        self.logger.warning(reason)
        return False


def _header(value: str) -> str | Header:
    return value if value.isascii() else Header(value, "utf-8")


def _text(reply) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)

"""Our email transport: Apprise's email plugin with our own multipart message and a shared TLS context.

`StatusEmail` is Apprise's `NotifyEmail` (so the operator's ``mailto://``/``mailtos://`` URL is parsed by
Apprise: host, port, mode, user, password, from, +Headers, cto) with these differences:

- it sends OUR plain-text and HTML parts as multipart/alternative (Apprise derives the text from the HTML);
- it reuses one TLS context per process instead of building one per message (``ssl.create_default_context()``
  loads the CA store each time: 25-50 ms, most of a stock Apprise send) and the local host name for EHLO;
- it builds the MIME message with the compat32 classes as Apprise does, not EmailMessage (8x slower);
- it keeps the SMTP connection open after a message (`KeptConnections`, one per sending thread and server)
  and sends the thread's next messages over it, reconnecting once when the server has dropped it; a message
  that fails fails alone: those accepted before it stay sent.

Apprise's custom-plugin mechanism is a `NotifyBase` subclass added to ``Apprise()`` (what `notifiers.send`
does); the ``@notify`` decorator would give us only a function per message, with no place to keep the
connection or the message's own parts.

A failed send leaves ``failure`` = (reason, permanent): a 5xx reply to RCPT TO (mailbox unknown) is permanent;
connection errors, timeouts, 4xx replies and problems with our own sender or login are transient.
"""
from __future__ import annotations

import contextlib
import smtplib
import socket
import ssl
import threading
import time
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
            for name, address in self.targets:
                message = self._message(title, body, name, address)
                self._deliver(address, message.as_bytes(policy=_SMTP_LINES))
                self.logger.debug("Sent Email to %s", address)
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

    def _deliver(self, address: str, raw: bytes) -> None:
        """Send one message over this thread's kept connection to the server, opening one if needed. A kept
        connection the server has closed meanwhile is replaced once; any other failure fails this message only
        (the ones sent before were accepted) and the next message opens a new connection."""
        key = (self.smtp_host, self.port, self.secure_mode, self.user, self.password, self.verify_certificate)
        smtp = _KEPT.take(key)
        reused = smtp is not None
        for last_try in (not reused, True):
            if smtp is None:
                smtp = self._connect()
            try:
                smtp.sendmail(self.from_addr[1], [address], raw)
            except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused) as error:
                # smtplib reset the transaction after a refusal: the connection stays usable unless closing
                if getattr(error, "smtp_code", None) != 421:
                    _KEPT.put(key, smtp)
                else:
                    _close(smtp)
                raise
            except (smtplib.SMTPServerDisconnected, ConnectionError):
                _close(smtp)  # the server dropped the kept connection: the message was not accepted
                if last_try:
                    raise
                smtp = None
                continue
            except BaseException:
                _close(smtp)
                raise
            _KEPT.put(key, smtp)
            return

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
        if "Message-ID" not in self.headers:  # our renders set it (threading per incident, see render.py)
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


class KeptConnections:
    """Each sending thread's open SMTP connections, by server and login: one connection carries many
    messages. One idle for ``max_idle`` seconds, or that has carried ``max_messages``, is closed (QUIT) and
    replaced (servers drop idle clients and limit messages per connection)."""

    def __init__(self, max_idle: float = 30.0, max_messages: int = 500, max_servers: int = 4):
        self.max_idle, self.max_messages, self.max_servers = max_idle, max_messages, max_servers
        self._local = threading.local()

    def take(self, key) -> smtplib.SMTP | None:
        kept = self._held().pop(key, None)
        if kept is None:
            return None
        smtp, last_used, sent = kept
        if time.monotonic() - last_used > self.max_idle or sent >= self.max_messages:
            _quit(smtp)
            return None
        smtp._statuspage_sent = sent  # noqa: SLF001 - our own counter on the connection
        return smtp

    def put(self, key, smtp: smtplib.SMTP) -> None:
        sent = getattr(smtp, "_statuspage_sent", 0) + 1
        previous = self._held().get(key)
        if previous is not None and previous[0] is not smtp:
            _quit(previous[0])
        held = self._held()
        held[key] = (smtp, time.monotonic(), sent)
        while len(held) > self.max_servers:  # the oldest server's connection goes
            _quit(held.pop(next(iter(held)))[0])

    def close_all(self) -> None:
        """QUIT this thread's connections (the end of a batch, or of the worker)."""
        held = self._held()
        for smtp, _, _ in held.values():
            _quit(smtp)
        held.clear()

    def _held(self) -> dict:
        held = getattr(self._local, "held", None)
        if held is None:
            held = self._local.held = {}
        return held


_KEPT = KeptConnections()


def _quit(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        _close(smtp)


def _close(smtp: smtplib.SMTP) -> None:
    with contextlib.suppress(OSError):
        smtp.close()


def _header(value: str) -> str | Header:
    return value if value.isascii() else Header(value, "utf-8")


def _text(reply) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)

"""Signed links that let a subscriber act without an account: confirm, manage, unsubscribe, enter an SMS code.

A token carries the subscriber's ``public_id`` signed with the app's SECRET_KEY and a salt per purpose, so a
manage token cannot confirm and a confirmation token cannot unsubscribe. Confirmation and code-entry
tokens expire (CONFIRM_MAX_AGE, CODE_MAX_AGE); manage and unsubscribe tokens do not, as they sit in every
message ever sent. An SMS code is stored nowhere, neither in the subscriber's row nor in the outbox: the row
keeps a random seed and the code is an HMAC of it keyed by the SECRET_KEY, derived when the SMS is rendered and
again when the code is checked.
"""
import binascii
import hashlib
import hmac
import secrets
from functools import cached_property, lru_cache

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, Signer, URLSafeSerializer, URLSafeTimedSerializer

from ..extensions import db
from ..models import Subscriber
from .public_address import public_url
from .recording import DomainError, NotFound

CONFIRM_MAX_AGE = 7 * 24 * 3600
CODE_MAX_AGE = 24 * 3600
SALTS = {"manage": "subscriber-manage", "confirm": "subscriber-confirm", "code": "subscriber-code"}
TIMED = {"confirm": CONFIRM_MAX_AGE, "code": CODE_MAX_AGE}
CODE_SEED_PREFIX = "seed:"


class InvalidLink(DomainError):
    """The link is damaged, expired, or meant for something else (400)."""

    status_code = 400


def _serializer(purpose: str):
    return _serializer_for(current_app.config["SECRET_KEY"], purpose)


class _KeyOnceSigner(Signer):
    """itsdangerous' Signer with its signing key derived once, not for every signature (same tokens)."""

    @cached_property
    def _key(self) -> bytes:
        return super().derive_key()

    def derive_key(self, secret_key=None) -> bytes:
        return self._key if secret_key is None else super().derive_key(secret_key)


def _plain_id(text: str) -> bool:
    """True for up to 18 ASCII letters and digits in which no three characters in a row occur twice (a
    public_id): zlib cannot shorten its JSON (nothing to match, too short for a Huffman table to pay), so
    itsdangerous sends it uncompressed. Anything else goes the generic way: starting a deflate stream
    costs more than the signature itself."""
    if len(text) > 18 or not (text.isascii() and text.isalnum()):
        return False
    quoted = f'"{text}"'
    return len(set(zip(quoted, quoted[1:], quoted[2:], strict=False))) == len(quoted) - 2


_URLSAFE = bytes.maketrans(b"+/", b"-_")


def _b64(data: bytes) -> bytes:
    """itsdangerous' ``base64_encode`` (URL-safe, unpadded) for bytes, in one pass of C."""
    return binascii.b2a_base64(data, newline=False).translate(_URLSAFE).rstrip(b"=")


class _LinkSerializer(URLSafeSerializer):
    """The manage-link serializer, signing with one `_KeyOnceSigner` (itsdangerous makes a signer, and derives
    its key, for every token: a fan-out signs a link for every subscriber)."""

    @cached_property
    def _signer(self) -> Signer:
        return super().make_signer()

    @cached_property
    def _mac(self):
        """The signer's HMAC with its key set, copied for each token (the key is not hashed again). Built from
        the digest's name: given itsdangerous' digest function, hmac falls back to its pure-Python HMAC."""
        signer = self._signer
        return hmac.new(signer._key, digestmod=signer.digest_method().name)

    def dumps(self, obj, salt=None):
        """``URLSafeSerializer.dumps``'s very token; a public_id is signed directly with the derived key (a
        fan-out signs one per subscriber: a fifth of the generic path's cost)."""
        if salt is not None or not isinstance(obj, str) or not _plain_id(obj):
            return super().dumps(obj, salt)
        payload = _b64(f'"{obj}"'.encode())  # its compact JSON, base64
        # an HMAC object, not the one-shot hmac.digest, which lets go of the interpreter: the worker's main thread
        # then waited for the sending threads to give it back, once per subscriber of a fan-out
        mac = self._mac.copy()
        mac.update(payload)
        return (payload + self._signer.sep + _b64(mac.digest())).decode()

    def make_signer(self, salt=None) -> Signer:
        return self._signer if salt is None else super().make_signer(salt)


@lru_cache(maxsize=16)
def _serializer_for(secret: str, purpose: str):
    """One serializer per key and purpose (a fan-out signs a link for every subscriber)."""
    if purpose in TIMED:
        return URLSafeTimedSerializer(secret, salt=SALTS[purpose])
    return _LinkSerializer(secret, salt=SALTS[purpose], signer=_KeyOnceSigner)


def make_token(subscriber: Subscriber, purpose: str) -> str:
    """A signed token for ``purpose`` (manage, confirm or code) naming ``subscriber``."""
    return _serializer(purpose).dumps(subscriber.public_id)


def subscriber_for_token(token: str, purpose: str) -> Subscriber:
    """The subscriber a valid token names. InvalidLink when the token is bad or expired; NotFound when it was
    valid but the subscriber is gone (unsubscribed or deleted)."""
    serializer = _serializer(purpose)
    try:
        if purpose in TIMED:
            public_id = serializer.loads(token, max_age=TIMED[purpose])
        else:
            public_id = serializer.loads(token)
    except SignatureExpired:
        raise InvalidLink("This link has expired. Subscribe again to get a new one.", field="token") from None
    except BadSignature:
        raise InvalidLink("This link is not valid. Check that it was copied whole.", field="token") from None
    subscriber = db.session.scalar(db.select(Subscriber).where(Subscriber.public_id == str(public_id)))
    if subscriber is None:
        raise NotFound("This subscription no longer exists: it was cancelled.", field="token")
    return subscriber


def subscription_links(subscriber: Subscriber, confirm: bool = True, base: str | None = None) -> dict[str, str | None]:
    """Absolute links for messages to ``subscriber``: manage_url, unsubscribe_url (a page with one button),
    unsubscribe_post_url (RFC 8058 one-click target for List-Unsubscribe) and confirm_url (expires in 7
    days; None unless ``confirm``, for messages that ask for no confirmation). ``base``: what `links_base`
    gives, when the caller makes links for many subscribers."""
    base = base or links_base()
    manage = base + make_token(subscriber, "manage")
    return {
        "manage_url": manage,
        "unsubscribe_url": f"{manage}/unsubscribe",
        "unsubscribe_post_url": f"{manage}/unsubscribe",
        "confirm_url": f"{base}{make_token(subscriber, 'confirm')}/confirm" if confirm else None,
    }


def links_base() -> str:
    """The address every subscription link starts with."""
    return public_url("/subscriptions/")


def new_code_seed() -> str:
    """A fresh seed for a subscriber's SMS code (kept in ``confirmation_code_hash``); a new seed is a new
    code, and the previous one stops working."""
    return CODE_SEED_PREFIX + secrets.token_hex(16)


def confirmation_code(subscriber: Subscriber) -> str | None:
    """The six-digit code of the subscriber's pending SMS confirmation, or None when none is pending."""
    seed = subscriber.confirmation_code_hash or ""
    if not seed.startswith(CODE_SEED_PREFIX):
        return None
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"sms-code:{subscriber.public_id}:{seed}".encode(), hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 1_000_000:06d}"


def _legacy_code_hash(subscriber: Subscriber, code: str) -> str:
    """How a code sent before seeds existed was stored (an HMAC of the code itself)."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{subscriber.public_id}:{code}".encode(), hashlib.sha256).hexdigest()


def code_matches(subscriber: Subscriber, code: str) -> bool:
    if not subscriber.confirmation_code_hash:
        return False
    cleaned = "".join(ch for ch in (code or "") if ch.isdigit())
    expected = confirmation_code(subscriber)
    if expected is None:
        return hmac.compare_digest(subscriber.confirmation_code_hash, _legacy_code_hash(subscriber, cleaned))
    return hmac.compare_digest(expected, cleaned)

"""API keys: issued once in clear, stored as SHA-256, revocable, last use recorded."""
import hashlib
import secrets

from ..extensions import db
from ..models import ApiToken, User
from ..models.columns import utcnow
from .recording import Actor, DomainError, NotFound, change, record


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue_token(actor: Actor, user: User, name: str) -> tuple[ApiToken, str]:
    """Create an API key for ``user``; returns the row and the key, which is never shown again."""
    name = (name or "").strip()
    if not name:
        raise DomainError("give the key a name", field="name")
    key = "sp_" + secrets.token_urlsafe(32)
    with change():
        token = ApiToken(user_id=user.id, name=name[:120], token_hash=hash_key(key), prefix=key[:10])
        db.session.add(token)
        db.session.flush()
        record(actor, "token.create", "api_token", token.id, f"{user.email}: {token.name}",
               after={"user": user.email, "name": token.name, "prefix": token.prefix})
    return token, key


def authenticate(key: str | None) -> User | None:
    """The active user a valid, unrevoked key belongs to (its last use is recorded), else None."""
    if not key:
        return None
    token = db.session.scalar(db.select(ApiToken).where(ApiToken.token_hash == hash_key(key.strip())))
    if token is None or token.revoked_at is not None or not token.user.active:
        return None
    now = utcnow()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        token.last_used_at = now
        db.session.commit()
    return token.user


def revoke_token(actor: Actor, token_id: int) -> ApiToken:
    with change():
        token = db.session.get(ApiToken, token_id)
        if token is None:
            raise NotFound(f"no API key with id {token_id}")
        if token.revoked_at is None:
            token.revoked_at = utcnow()
            record(actor, "token.revoke", "api_token", token.id, f"{token.user.email}: {token.name}",
                   after={"revoked_at": token.revoked_at})
    return token

"""People who run the page: create them, change their role or password, switch them off, sign them in.

Every change is audited (``user.*`` entries), and so is every sign-in, good or bad, with the client's address.
Passwords are hashed with werkzeug's scrypt and never stored or logged in clear. ``sign_in`` applies the
per-account lockout: after ``MAX_FAILED_SIGN_INS`` wrong passwords in a row the account refuses every password
for ``LOCKOUT``, and it tells the caller nothing more than "no".

A change of password or role and a deactivation end the user's sessions everywhere (``User.end_sessions``). A
password someone else chose (the first admin's printed one, an admin's reset) is temporary: the user must
replace it at the next sign-in before doing anything else.
"""
import secrets
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import ROLES, User
from ..models.columns import utcnow
from .recording import SYSTEM, Actor, DomainError, NotFound, change, record
from .text import clean_line

MIN_PASSWORD_LENGTH = 12
MAX_FAILED_SIGN_INS = 5
LOCKOUT = timedelta(minutes=15)
# Checked against when the email is unknown, so a miss costs as much time as a wrong password: a hash of a
# password nobody holds, made with werkzeug's default scrypt parameters (making it at import cost every
# command and worker start a tenth of a second and 32 MB).
_DUMMY_HASH = ("scrypt:32768:8:1$oNLeuVo3BnNDdL3r$48cdb3bb7022041dc1efea05ff421483edc2ac526699396bdee3d21a54965224"
               "ec843e315e48dbf39f4ee944aafc95e585b45c375db3498fb25f7fe6a23e9aea")


def describe_user(user: User) -> dict:
    return {"email": user.email, "name": user.name, "role": user.role, "active": user.active}


def normalize_email(email: str) -> str:
    """The address as stored (domain lower-cased), or DomainError(field="email")."""
    email = (email or "").strip()
    if not email:
        raise DomainError("enter an email address", field="email")
    local, _, domain = email.rpartition("@")
    # The first admin is admin@localhost on a fresh machine; email-validator refuses that reserved name.
    on_localhost = domain.lower() == "localhost"
    try:
        # Deliverability would need DNS, which staff sign-in must not depend on.
        result = validate_email(f"{local}@example.com" if on_localhost else email,
                                check_deliverability=False, test_environment=True)
    except EmailNotValidError as error:
        raise DomainError(f"that email address is not valid: {error}", field="email") from None
    if on_localhost:
        return f"{result.local_part}@localhost".lower()
    return result.normalized.lower()


def check_password_rules(password: str, field: str = "password") -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise DomainError(f"use at least {MIN_PASSWORD_LENGTH} characters", field=field)


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise DomainError(f"role must be one of {', '.join(ROLES)}", field="role")
    return role


def find_user(email: str) -> User | None:
    wanted = (email or "").strip().lower()
    return db.session.scalar(db.select(User).where(db.func.lower(User.email) == wanted))


def get_user(user_id) -> User:
    try:
        user = db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        user = None
    if user is None:
        raise NotFound(f"no user with id {user_id}")
    return user


def create_user(actor: Actor, email: str, role: str, password: str, name: str = "",
                temporary: bool = False) -> User:
    """Create an active user; DomainError on a bad or taken email, unknown role or short password.

    ``temporary``: the password only opens the page that replaces it (see ``must_change_password``)."""
    email = normalize_email(email)
    _check_role(role)
    check_password_rules(password)
    if find_user(email) is not None:
        raise DomainError("a user with this email already exists", field="email")
    with change():
        user = User(email=email, name=clean_line(name or "")[:120], role=role,
                    password_hash=generate_password_hash(password), active=True,
                    session_generation=0, must_change_password=temporary)
        db.session.add(user)
        db.session.flush()
        record(actor, "user.create", "user", user.id, user.email, after=describe_user(user))
    return user


def _last_admin(user: User) -> bool:
    others = db.session.scalar(db.select(db.func.count(User.id)).where(
        User.role == "admin", User.active.is_(True), User.id != user.id))
    return user.role == "admin" and user.active and not others


def set_role(actor: Actor, user_id, role: str) -> User:
    """Change a user's role; the last active admin cannot be demoted (nobody could manage users then)."""
    _check_role(role)
    with change():
        user = get_user(user_id)
        if user.role == role:
            return user
        if role != "admin" and _last_admin(user):
            raise DomainError("this is the last active admin; make someone else admin first", field="role")
        before = describe_user(user)
        user.role = role
        user.end_sessions()  # a session must not keep the rights of the role it was opened with
        record(actor, "user.role", "user", user.id, user.email, before=before, after=describe_user(user))
    return user


def set_password(actor: Actor, user_id, password: str) -> User:
    """Replace a user's password, lift any lockout and end all their sessions (the caller re-signs its own in).

    Set by the user themself, the password must differ from the current one; set by anyone else (an admin's
    reset), it is temporary: the user must replace it at the next sign-in. The audit entry says it changed,
    never what to."""
    check_password_rules(password)
    with change():
        user = get_user(user_id)
        own = actor.user_id == user.id
        if own and check_password(user, password):
            raise DomainError("choose a password different from the current one", field="password")
        user.password_hash = generate_password_hash(password)
        user.failed_logins = 0
        user.locked_until = None
        user.must_change_password = not own
        user.end_sessions()
        record(actor, "user.password", "user", user.id, user.email,
               after={"password": "changed" if own else "reset (temporary)"})
    return user


def set_active(actor: Actor, user_id, active: bool) -> User:
    """Deactivate (cannot sign in, API keys stop working) or reactivate a user."""
    with change():
        user = get_user(user_id)
        if user.active == active:
            return user
        if not active and _last_admin(user):
            raise DomainError("this is the last active admin; it cannot be deactivated", field="active")
        if not active and actor.user_id == user.id:
            raise DomainError("you cannot deactivate yourself", field="active")
        before = describe_user(user)
        user.active = active
        if not active:
            user.end_sessions()
        record(actor, "user.activate" if active else "user.deactivate", "user", user.id, user.email,
               before=before, after=describe_user(user))
    return user


def deactivate(actor: Actor, user_id) -> User:
    return set_active(actor, user_id, False)


def activate(actor: Actor, user_id) -> User:
    return set_active(actor, user_id, True)


def check_password(user: User, password: str) -> bool:
    """Whether ``password`` is the user's current one (no lockout bookkeeping: for re-confirmation)."""
    return bool(user.password_hash) and check_password_hash(user.password_hash, password or "")


def _sign_in_failed(email: str, address: str | None) -> None:
    """Audit a refused sign-in. The entry reads the same whether or not the email has an account: every role
    may read the audit log, and it must not tell who has one."""
    typed = (email or "").strip()[:254]
    record(Actor(label=typed or "(no email)", source="web"), "user.sign_in_failed", "sign_in", "-", typed,
           after={"address": address})


def sign_in(email: str, password: str, address: str | None = None) -> User | None:
    """The active user these credentials belong to (last sign-in recorded), else None.

    A wrong password counts towards the lockout; a locked, inactive or unknown account answers None whatever
    the password, after spending the same hashing time, so the caller cannot tell which case it was. Every
    attempt, good or bad, is audited with the client's ``address``.
    """
    with change():
        user = find_user(email)
        if user is None:
            check_password_hash(_DUMMY_HASH, password or "")
            _sign_in_failed(email, address)
            return None
        now = utcnow()
        locked = user.locked_until is not None and user.locked_until > now
        good = check_password_hash(user.password_hash, password or "") if user.password_hash else False
        if locked or not user.active or not good:
            if user.active and not locked:
                _count_failure(user, now)
            _sign_in_failed(email, address)
            return None
        user.failed_logins = 0
        user.locked_until = None
        user.last_login_at = now
        record(Actor.for_user(user, "web"), "user.sign_in", "user", user.id, user.email,
               after={"address": address})
    return user


def _count_failure(user: User, now) -> None:
    """One more wrong password; the last allowed one locks the account for ``LOCKOUT``."""
    user.failed_logins = (user.failed_logins or 0) + 1
    if user.failed_logins >= MAX_FAILED_SIGN_INS:
        user.locked_until = now + LOCKOUT
        user.failed_logins = 0
        record(SYSTEM, "user.locked", "user", user.id, user.email, after={"locked_until": user.locked_until})


def ensure_first_admin() -> tuple[str, str] | None:
    """When nobody can sign in yet, create the first admin with a one-time password and return
    (email, password); otherwise None. The email is config ``ADMIN_EMAIL`` (env STATUSPAGE_ADMIN_EMAIL)."""
    if db.session.scalar(db.select(db.func.count(User.id))):
        return None
    email = current_app.config["ADMIN_EMAIL"]
    password = secrets.token_urlsafe(12)
    user = create_user(Actor(label="setup", source="cli"), email, "admin", password, temporary=True)
    return user.email, password

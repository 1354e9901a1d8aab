"""Sign-in and sign-out for staff, and changing one's own password.

``/login`` answers one generic message for every failure (unknown email, wrong password, locked or inactive
account) so it cannot be used to find out who has an account. Attempts are throttled per client address
(Flask-Limiter) and per account (lockout in ``domain.users.sign_in``), and audited with that address. ``next``
is honoured only when it is a path on this site. ``/logout`` is a POST guarded by CSRF, so a link or image
elsewhere cannot sign anyone out.

A session holds "<user id>:<session generation>" (``User.get_id``): when the generation moves on (password or
role change, deactivation) every older session and remember-me cookie stops loading. A user whose password
someone else chose is sent to ``/account/password`` from every page until they choose their own.
"""
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from ..domain import users
from ..domain.recording import Actor, DomainError
from ..extensions import db, limiter, login_manager
from ..models import User

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to open the console."
login_manager.login_message_category = "info"

WRONG_CREDENTIALS = ("Email or password is wrong. After several failed attempts an account is locked "
                     "for 15 minutes.")


@login_manager.user_loader
def load_user(session_id: str):
    """The user a session or remember-me cookie names, while that session is current and the user active."""
    user_id, _, _ = str(session_id).partition(":")
    try:
        user = db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        return None
    if user is None or not user.active or not user.holds_session(session_id):
        return None
    return user


# Reachable while the password is temporary: the page that replaces it, signing out, and the key-authenticated
# management API (a key is not a session).
OPEN_WITH_TEMPORARY_PASSWORD = {"auth.password", "auth.logout", "static"}
KEY_AUTHENTICATED = {"api_v1"}


@bp.before_app_request
def replace_temporary_password_first():
    """Send a user signed in with a password someone else chose to the page that replaces it, from anywhere."""
    if request.endpoint in OPEN_WITH_TEMPORARY_PASSWORD or request.blueprint in KEY_AUTHENTICATED:
        return None
    cookies = request.cookies
    if (current_app.config["SESSION_COOKIE_NAME"] not in cookies
            and current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") not in cookies):
        return None  # nobody signed in: load no session (no Vary: Cookie) and no user
    if current_user.is_authenticated and current_user.must_change_password:
        return redirect(url_for("auth.password", next=safe_next(request.full_path.rstrip("?"))))
    return None


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired("Enter your email address."), Length(max=254)],
                       render_kw={"autocomplete": "username", "autofocus": True})
    password = PasswordField("Password", validators=[DataRequired("Enter your password.")],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()


TOO_SHORT = f"Use at least {users.MIN_PASSWORD_LENGTH} characters."


class ChoosePasswordForm(FlaskForm):
    """Replacing a temporary password: the user has just typed it to sign in, so it is not asked again."""

    password = PasswordField("New password", validators=[
        DataRequired("Choose a new password."),
        Length(min=users.MIN_PASSWORD_LENGTH, message=TOO_SHORT)],
        render_kw={"autocomplete": "new-password"})
    confirm = PasswordField("New password again", validators=[
        DataRequired("Type the new password again."), EqualTo("password", "The two passwords differ.")],
        render_kw={"autocomplete": "new-password"})
    next = HiddenField()


class PasswordForm(ChoosePasswordForm):
    current = PasswordField("Current password", validators=[DataRequired("Enter your current password.")],
                            render_kw={"autocomplete": "current-password"})


def safe_next(target: str | None) -> str | None:
    """``target`` when it is a path on this site ("/admin/x?y"), else None: no open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in target):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def login():
    """Show the sign-in form; on good credentials start a session and go to ``next`` or the dashboard."""
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
        if current_user.is_authenticated:
            return redirect(safe_next(form.next.data) or url_for("admin.dashboard"))
    if form.validate_on_submit():
        user = users.sign_in(form.email.data, form.password.data, address=request.remote_addr)
        if user is not None:
            target = safe_next(form.next.data) or url_for("admin.dashboard")
            session.clear()  # a fresh session for the signed-in user (no fixation of a prior one)
            login_user(user)
            if user.must_change_password:
                return redirect(url_for("auth.password", next=target))
            return redirect(target)
        form.password.errors = [WRONG_CREDENTIALS]
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form), (422 if form.errors else 200)


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


def _stay_signed_in(user: User) -> None:
    """Carry this session over to the user's new session generation; every other one has ended."""
    remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
    login_user(user, remember=remembered)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    """Change one's own password; ends the user's other sessions. A temporary password (the first admin's
    printed one, an admin's reset) is replaced here without asking for it again, before anything else."""
    temporary = current_user.must_change_password
    form = ChoosePasswordForm() if temporary else PasswordForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        if not temporary and not users.check_password(current_user, form.current.data):
            form.current.errors = ["That is not your current password."]
        else:
            try:
                user = users.set_password(Actor.for_user(current_user, "web"), current_user.id,
                                          form.password.data)
            except DomainError as error:
                form.password.errors = [error.message]
            else:
                _stay_signed_in(user)
                flash("Your password is changed; any other session of yours is signed out.", "success")
                return redirect(safe_next(form.next.data) or url_for("admin.dashboard"))
    template = "auth/choose_password.html" if temporary else "auth/password.html"
    return render_template(template, form=form), (422 if form.errors else 200)

"""Sign-in and sign-out for staff, and changing one's own password.

``/login`` answers one generic message for every failure (unknown email, wrong password, locked or inactive
account) so it cannot be used to find out who has an account. Attempts are throttled per client address
(Flask-Limiter) and per account (lockout in ``domain.users.sign_in``). ``next`` is honoured only when it is a
path on this site. ``/logout`` is a POST guarded by CSRF, so a link or image elsewhere cannot sign anyone out.
"""
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
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
def load_user(user_id: str):
    try:
        return db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        return None


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired("Enter your email address."), Length(max=254)],
                       render_kw={"autocomplete": "username", "autofocus": True})
    password = PasswordField("Password", validators=[DataRequired("Enter your password.")],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()


TOO_SHORT = f"Use at least {users.MIN_PASSWORD_LENGTH} characters."


class PasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired("Enter your current password.")],
                            render_kw={"autocomplete": "current-password"})
    password = PasswordField("New password", validators=[
        DataRequired("Choose a new password."),
        Length(min=users.MIN_PASSWORD_LENGTH, message=TOO_SHORT)],
        render_kw={"autocomplete": "new-password"})
    confirm = PasswordField("New password again", validators=[
        DataRequired("Type the new password again."), EqualTo("password", "The two passwords differ.")],
        render_kw={"autocomplete": "new-password"})


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
        user = users.sign_in(form.email.data, form.password.data)
        if user is not None:
            target = safe_next(form.next.data) or url_for("admin.dashboard")
            session.clear()  # a fresh session for the signed-in user (no fixation of a prior one)
            login_user(user)
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


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    """Change one's own password (the first admin's one-time password is meant to be replaced here)."""
    form = PasswordForm()
    if form.validate_on_submit():
        if not users.check_password(current_user, form.current.data):
            form.current.errors = ["That is not your current password."]
        else:
            try:
                users.set_password(Actor.for_user(current_user, "web"), current_user.id, form.password.data)
            except DomainError as error:
                form.password.errors = [error.message]
            else:
                flash("Your password is changed.", "success")
                return redirect(url_for("admin.dashboard"))
    return render_template("auth/password.html", form=form), (422 if form.errors else 200)

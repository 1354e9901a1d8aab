"""Users and their API keys (admins only): list, create, change role, reset password, deactivate; issue
keys (shown once, on the response to the POST that made them, never stored in clear) and revoke them.

Views validate the form, call one function of ``domain.users`` or ``domain.tokens``, and render; a
``DomainError`` lands on the form field it names, with what was typed kept."""
from flask import flash, make_response, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from ...domain import tokens, users
from ...domain.recording import DomainError
from ...extensions import db
from ...models import ROLES, ApiToken, User
from ..access import require, web_actor
from . import bp

ROLE_CHOICES = [("viewer", "Viewer: reads the console"),
                ("manager", "Manager: runs incidents, maintenance and the page"),
                ("admin", "Admin: also users, API keys and settings")]
assert {value for value, _ in ROLE_CHOICES} == set(ROLES)
TOO_SHORT = f"Use at least {users.MIN_PASSWORD_LENGTH} characters."


def valid_email(form, field) -> None:
    """The domain's email rule, checked with the other fields so every mistake shows at once."""
    try:
        users.normalize_email(field.data)
    except DomainError as error:
        raise ValidationError(error.message) from None


class UserForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired("Enter an email address."), Length(max=254),
                                            valid_email],
                       render_kw={"autocomplete": "off"})
    name = StringField("Name", validators=[Length(max=120)], render_kw={"autocomplete": "off"})
    role = SelectField("Role", choices=ROLE_CHOICES, default="viewer")
    password = PasswordField("Password", validators=[
        DataRequired("Choose a password."), Length(min=users.MIN_PASSWORD_LENGTH, message=TOO_SHORT)],
        render_kw={"autocomplete": "new-password"})


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES)


class PasswordResetForm(FlaskForm):
    password = PasswordField("New password", validators=[
        DataRequired("Choose a password."), Length(min=users.MIN_PASSWORD_LENGTH, message=TOO_SHORT)],
        render_kw={"autocomplete": "new-password"})


class TokenForm(FlaskForm):
    name = StringField("Key name", validators=[DataRequired("Say what the key is for."), Length(max=120)],
                       render_kw={"placeholder": "e.g. monitoring"})


def _show_error(form: FlaskForm, error: DomainError) -> None:
    """Put a domain rule's message on the field it names, or flash it when the form has no such field."""
    field = form._fields.get(error.field) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        flash(error.message, "error")


def _render_list(form: UserForm, status: int = 200):
    everyone = db.session.scalars(db.select(User).order_by(User.active.desc(), User.email)).all()
    return render_template("admin/users.html", users=everyone, form=form), status


@bp.route("/users", methods=["GET"], endpoint="users")
@require("admin")
def users_list():
    return _render_list(UserForm())


@bp.route("/users", methods=["POST"])
@require("admin")
def user_create():
    form = UserForm()
    if form.validate_on_submit():
        try:
            # The admin chose this password: the new user replaces it at their first sign-in.
            user = users.create_user(web_actor(), form.email.data, form.role.data, form.password.data,
                                     name=form.name.data, temporary=True)
        except DomainError as error:
            _show_error(form, error)
        else:
            flash(f"{user.email} can now sign in as {user.role} and will choose their own password.", "success")
            return redirect(url_for("admin.user_detail", user_id=user.id))
    return _render_list(form, 422)


def _render_detail(user: User, status: int = 200, *, role_form=None, password_form=None, token_form=None,
                   new_key: str | None = None, new_token: ApiToken | None = None):
    role_form = role_form or RoleForm(role=user.role)
    keys = db.session.scalars(db.select(ApiToken).where(ApiToken.user_id == user.id)
                              .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc())).all()
    response = make_response(render_template(
        "admin/user_detail.html", user=user, keys=keys, role_form=role_form,
        password_form=password_form or PasswordResetForm(), token_form=token_form or TokenForm(),
        new_key=new_key, new_token=new_token), status)
    response.headers["Cache-Control"] = "no-store"  # a new key must not linger in any cache
    return response


@bp.route("/users/<int:user_id>")
@require("admin")
def user_detail(user_id: int):
    return _render_detail(users.get_user(user_id))


def _change_user(user, form, form_name: str, save, success):
    """Validate ``form``, make one domain call, then back to the user's page; errors re-render it (422)."""
    if form.validate_on_submit():
        try:
            save(form)
        except DomainError as error:
            _show_error(form, error)
        else:
            flash(success(), "success")
            return redirect(url_for("admin.user_detail", user_id=user.id))
    return _render_detail(user, 422, **{form_name: form})


@bp.route("/users/<int:user_id>/role", methods=["POST"])
@require("admin")
def user_role(user_id: int):
    user = users.get_user(user_id)
    return _change_user(user, RoleForm(), "role_form",
                        lambda form: users.set_role(web_actor(), user.id, form.role.data),
                        lambda: f"{user.email} is now {user.role}.")


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@require("admin")
def user_password(user_id: int):
    user = users.get_user(user_id)
    return _change_user(user, PasswordResetForm(), "password_form",
                        lambda form: users.set_password(web_actor(), user.id, form.password.data),
                        lambda: f"New password set for {user.email}; give it to them through a safe channel.")


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@require("admin")
def user_deactivate(user_id: int):
    return _set_active(user_id, False)


@bp.route("/users/<int:user_id>/activate", methods=["POST"])
@require("admin")
def user_activate(user_id: int):
    return _set_active(user_id, True)


def _set_active(user_id: int, active: bool):
    try:
        user = users.set_active(web_actor(), user_id, active)
    except DomainError as error:
        if error.status_code == 404:
            raise
        flash(error.message, "error")
    else:
        flash(f"{user.email} is {'active again' if active else 'deactivated: no sign-in, no API keys'}.",
              "success")
    return redirect(url_for("admin.user_detail", user_id=user_id))


@bp.route("/users/<int:user_id>/tokens", methods=["POST"])
@require("admin")
def user_token_create(user_id: int):
    """Issue a key and show it on this response only; reloading the page does not show it again."""
    user = users.get_user(user_id)
    form = TokenForm()
    if not user.active:
        flash(f"{user.email} is deactivated; activate them before issuing keys.", "error")
        return redirect(url_for("admin.user_detail", user_id=user.id))
    if form.validate_on_submit():
        try:
            token, key = tokens.issue_token(web_actor(), user, form.name.data)
        except DomainError as error:
            _show_error(form, error)
        else:
            return _render_detail(user, 201, new_key=key, new_token=token)
    return _render_detail(user, 422, token_form=form)


@bp.route("/users/<int:user_id>/tokens/<int:token_id>/revoke", methods=["POST"])
@require("admin")
def user_token_revoke(user_id: int, token_id: int):
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user_id:
        return render_template("errors/error.html", code=404, message="No such API key."), 404
    tokens.revoke_token(web_actor(), token.id)
    flash(f"API key “{token.name}” is revoked; requests using it now fail.", "success")
    return redirect(url_for("admin.user_detail", user_id=user_id))

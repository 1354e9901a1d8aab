"""Commands for people and API keys: create-user, list-users, create-token, revoke-token.

``create-token`` prints the new key alone on stdout, so ``KEY=$(statuspage create-token ...)`` works;
everything else a command says goes to stderr. Bad input is one line on stderr and exit code 2, never a
traceback.
"""
import sys

import click
from flask.cli import with_appcontext

from ..domain import tokens, users
from ..domain.recording import Actor, DomainError
from ..extensions import db
from ..models import ROLES, ApiToken, User

CLI_ACTOR = Actor(label="cli", source="cli")


def fail(message: str):
    """Stop with one line on stderr and exit code 2."""
    click.echo(f"Error: {message}", err=True)
    click.get_current_context().exit(2)


def _user_or_fail(email: str) -> User:
    user = users.find_user(email)
    if user is None:
        fail(f"no user with email {email}")
    return user


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            fail("no password on stdin")
        return password
    return click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)


@click.command("create-user")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), default="viewer", show_default=True,
              help="admin: users, keys, settings; manager: incidents and the page; viewer: read-only.")
@click.option("--name", default="", help="Display name.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@click.option("--temporary", is_flag=True,
              help="The user must choose a new password at the first sign-in (for a password you hand over).")
@with_appcontext
def create_user_command(email: str, role: str, name: str, password_stdin: bool, temporary: bool):
    """Create a console user (the password is asked for twice, hidden)."""
    password = _read_password(password_stdin)
    try:
        user = users.create_user(CLI_ACTOR, email, role, password, name=name, temporary=temporary)
    except DomainError as error:
        fail(f"{error.field}: {error.message}" if error.field else error.message)
    click.echo(f"created {user.role} {user.email} (id {user.id})", err=True)


@click.command("list-users")
@with_appcontext
def list_users():
    """List users with their role, state, last sign-in and active API keys."""
    rows = db.session.scalars(db.select(User).order_by(User.email)).all()
    if not rows:
        click.echo("no users yet (run `statuspage create-user EMAIL --role admin`)", err=True)
        return
    for user in rows:
        keys = [t for t in user.tokens if t.revoked_at is None]
        last = user.last_login_at.strftime("%Y-%m-%d %H:%M UTC") if user.last_login_at else "never"
        state = "active" if user.active else "deactivated"
        click.echo(f"{user.id:>4}  {user.email:<36} {user.role:<8} {state:<12} last sign-in {last}")
        for token in keys:
            used = token.last_used_at.strftime("%Y-%m-%d %H:%M UTC") if token.last_used_at else "never"
            click.echo(f"      key {token.id}: {token.name} ({token.prefix}…) last used {used}")


@click.command("create-token")
@click.argument("email")
@click.option("--name", required=True, help="What the key is for, e.g. 'monitoring'.")
@with_appcontext
def create_token(email: str, name: str):
    """Issue an API key for a user and print it (alone on stdout; it is never shown again)."""
    user = _user_or_fail(email)
    if not user.active:
        fail(f"{user.email} is deactivated; activate the user first")
    try:
        token, key = tokens.issue_token(CLI_ACTOR, user, name)
    except DomainError as error:
        fail(f"{error.field}: {error.message}" if error.field else error.message)
    click.echo(key)
    click.echo(f"API key {token.id} '{token.name}' for {user.email}; store it now, it is not shown again.",
               err=True)


@click.command("revoke-token")
@click.argument("token_id", type=int)
@with_appcontext
def revoke_token(token_id: int):
    """Revoke an API key by its id (see list-users); requests with it fail from now on."""
    if db.session.get(ApiToken, token_id) is None:
        fail(f"no API key with id {token_id}")
    token = tokens.revoke_token(CLI_ACTOR, token_id)
    click.echo(f"revoked API key {token.id} '{token.name}' of {token.user.email}", err=True)


COMMANDS = [create_user_command, list_users, create_token, revoke_token]

"""Incident and component commands for the person on call:

    statuspage incident open NAME [--status S] [--impact I] [--component ID=STATUS ...] [--body TEXT]
                                  [--no-notify]
    statuspage incident update ID [--status S] [--body TEXT] [--component ID=STATUS ...] [--no-notify]
    statuspage incident resolve ID [--body TEXT]
    statuspage incident list [--all]
    statuspage incident ack ID
    statuspage incident assign ID EMAIL
    statuspage component list
    statuspage component set-status ID STATUS

Writes go through the domain as ``cli:<login>`` (source cli), or as a console user with ``--as EMAIL``.
Bad input (unknown id, status or impact, a malformed ID=STATUS) is one line on stderr and exit code 2.
"""
import getpass
from datetime import datetime

import click
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..domain import command as command_domain
from ..domain import components as component_domain
from ..domain import incidents as incident_domain
from ..domain import users
from ..domain.recording import Actor, DomainError
from ..extensions import db
from ..models import CLOSED_STATUSES, Component, ComponentGroup, Incident
from ..models.columns import utcnow
from ..rendering import human_duration


def fail(message: str):
    """Stop with one line on stderr and exit code 2."""
    click.echo(f"Error: {message}", err=True)
    click.get_current_context().exit(2)


def run(action):
    """Call a domain function; a broken rule becomes a one-line error."""
    try:
        return action()
    except DomainError as error:
        fail(error.message)


def actor_for(email: str | None) -> Actor:
    """The login running the command, or the console user named by ``--as``."""
    if not email:
        return Actor(label=f"cli:{getpass.getuser()}", source="cli")
    user = users.find_user(email)
    if user is None or not user.active:
        fail(f"no active user with email {email}")
    if not user.can("manage"):
        fail(f"{user.email} is a {user.role} and may not change incidents or components")
    return Actor.for_user(user, "cli")


def parse_components(pairs: tuple[str, ...]) -> dict[str, str]:
    """``ID=STATUS`` pairs as a map (statuses and ids are checked by the domain)."""
    components = {}
    for pair in pairs:
        component_id, sep, status = pair.partition("=")
        if not sep or not component_id.strip() or not status.strip():
            fail(f"give a component as ID=STATUS, e.g. abc123=major_outage (got {pair!r})")
        components[component_id.strip()] = status.strip()
    return components


def table(headers: list[str], rows: list[list[str]]) -> str:
    """A plain, aligned text table."""
    widths = [max(len(str(v)) for v in column) for column in zip(headers, *rows, strict=False)]
    lines = ["  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=False)).rstrip()
             for row in [headers, ["-" * w for w in widths], *rows]]
    return "\n".join(lines)


def age(started: datetime | None, now: datetime) -> str:
    if started is None:
        return ""
    if started > now:
        return "in " + human_duration(started - now)
    return human_duration(now - started)


as_option = click.option("--as", "as_email", metavar="EMAIL",
                         help="Act as this console user (else cli:<login>).")
component_option = click.option("--component", "components", multiple=True, metavar="ID=STATUS",
                                 help="Put a component in a status; repeat for several.")


@click.group("incident")
def incident():
    """Open, update, resolve and list incidents."""


@incident.command("open")
@click.argument("name")
@click.option("--status", default="investigating", show_default=True,
              help="investigating, identified, monitoring or resolved.")
@click.option("--impact", default=None, help="none, minor, major or critical (default: from the components).")
@component_option
@click.option("--body", default="", help="The first update's text (Markdown).")
@click.option("--no-notify", is_flag=True, help="Do not notify subscribers.")
@as_option
@with_appcontext
def open_command(name, status, impact, components, body, no_notify, as_email):
    """Open an incident; prints its id."""
    actor = actor_for(as_email)
    affected = parse_components(components)
    opened = run(lambda: incident_domain.open_incident(
        actor, name=name, status=status, impact=impact, body=body, components=affected,
        deliver_notifications=not no_notify))
    click.echo(opened.id)


@incident.command("update")
@click.argument("incident_id")
@click.option("--status", default=None, help="The new status (default: unchanged).")
@click.option("--body", default="", help="What changed (Markdown).")
@component_option
@click.option("--no-notify", is_flag=True, help="Do not notify subscribers.")
@as_option
@with_appcontext
def update_command(incident_id, status, body, components, no_notify, as_email):
    """Post the next update of an incident or maintenance."""
    actor = actor_for(as_email)
    affected = parse_components(components)
    update = run(lambda: incident_domain.post_update(
        actor, incident_id, status=status, body=body, components=affected,
        deliver_notifications=not no_notify))
    click.echo(f"{incident_id} is {update.status}", err=True)


@incident.command("resolve")
@click.argument("incident_id")
@click.option("--body", default="", help="The closing update (default: a standard sentence).")
@click.option("--no-notify", is_flag=True, help="Do not notify subscribers.")
@as_option
@with_appcontext
def resolve_command(incident_id, body, no_notify, as_email):
    """Resolve an incident (complete a maintenance); its components return to operational."""
    actor = actor_for(as_email)
    update = run(lambda: incident_domain.resolve_incident(actor, incident_id, body=body,
                                                          deliver_notifications=not no_notify))
    click.echo(f"{incident_id} is {update.status}", err=True)


@incident.command("ack")
@click.argument("incident_id")
@as_option
@with_appcontext
def ack_command(incident_id, as_email):
    """Acknowledge an incident now (stops its time-to-acknowledge clock)."""
    actor = actor_for(as_email)
    acknowledged = run(lambda: command_domain.acknowledge(actor, incident_id))
    click.echo(f"{incident_id} acknowledged at {acknowledged.acknowledged_at:%Y-%m-%d %H:%M} UTC by {actor.label}",
               err=True)


@incident.command("assign")
@click.argument("incident_id")
@click.argument("email")
@as_option
@with_appcontext
def assign_command(incident_id, email, as_email):
    """Make the console user with EMAIL (a manager or admin) the incident's owner."""
    actor = actor_for(as_email)
    owner = users.find_user(email)
    if owner is None:
        fail(f"no user with email {email}")
    run(lambda: command_domain.assign_owner(actor, incident_id, owner.id))
    click.echo(f"{incident_id} is owned by {owner.email}", err=True)


@incident.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include resolved incidents and completed maintenance.")
@with_appcontext
def list_command(show_all):
    """Open incidents and maintenance (all of them with --all), newest first."""
    query = select(Incident).order_by(Incident.started_at.desc(), Incident.id)
    if not show_all:
        query = query.where(Incident.status.not_in(CLOSED_STATUSES))
    now = utcnow()
    rows = [[i.id, i.name, i.status, i.impact, i.started_at.strftime("%Y-%m-%d %H:%M UTC"),
             age(i.started_at, now)] for i in db.session.scalars(query)]
    if not rows:
        click.echo("No incidents." if show_all else "No open incidents.")
        return
    click.echo(table(["ID", "NAME", "STATUS", "IMPACT", "STARTED", "AGE"], rows))


@click.group("component")
def component():
    """List components and set their status."""


@component.command("list")
@with_appcontext
def component_list_command():
    """Every component with its group, status and visibility, in page order."""
    query = (select(Component).options(selectinload(Component.group)).outerjoin(ComponentGroup)
             .order_by(ComponentGroup.position.nulls_last(), Component.position, Component.id))
    rows = [[c.id, c.group.name if c.group else "", c.name, c.status, "public" if c.is_public else "internal"]
            for c in db.session.scalars(query)]
    if not rows:
        click.echo("No components.")
        return
    click.echo(table(["ID", "GROUP", "NAME", "STATUS", "VISIBILITY"], rows))


@component.command("set-status")
@click.argument("component_id")
@click.argument("status")
@as_option
@with_appcontext
def set_status_command(component_id, status, as_email):
    """Set one component's status (recorded in its history as a manual change)."""
    actor = actor_for(as_email)
    changed = run(lambda: component_domain.set_component_status(actor, component_id, status))
    click.echo(f"{changed.name} is {changed.status}", err=True)


COMMANDS = [incident, component]

"""``statuspage purge`` deletes delivered notifications and unconfirmed sign-ups older than the retention."""
import click
from flask.cli import with_appcontext

from ..domain import retention
from .incidents import actor_for, run


@click.command("purge")
@click.option("--days", type=click.IntRange(1), default=None,
              help="Keep this many days instead of STATUSPAGE_RETENTION_DAYS (default 90).")
@click.option("--as", "as_email", default=None, help="Record the purge as this console user.")
@with_appcontext
def purge_command(days, as_email):
    """Purge done deliveries, their events and never-confirmed sign-ups past the retention (audited)."""
    counts = run(lambda: retention.purge(actor_for(as_email), days=days, audit_empty=True))
    click.echo(f"purged {counts['deliveries']} deliveries, {counts['events']} events and "
               f"{counts['unconfirmed_subscribers']} unconfirmed subscribers, {counts['received_alerts']} old alerts")


COMMANDS = [purge_command]

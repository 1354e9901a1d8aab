"""``statuspage subscribers import FILE`` and ``statuspage subscribers export [FILE]``.

Import reads CSV (``channel,target[,audience,components,min_impact]``, optional header), shows a progress bar
on stderr, imports every valid line and reports each invalid one with its line number; it exits 2 when any
line was invalid (the valid ones are imported all the same). ``--confirmed`` imports a list whose people
already opted in elsewhere: no confirmation messages are sent. Export writes CSV to FILE or stdout.
"""
import sys

import click
from flask.cli import with_appcontext

from ..domain import subscriber_lists
from ..domain.recording import Actor

CLI_ACTOR = Actor(label="cli", source="cli")


@click.group("subscribers")
def subscribers_group():
    """Import and export subscribers as CSV."""


@subscribers_group.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8-sig"))
@click.option("--confirmed", is_flag=True,
              help="The people on this list already opted in: mark them confirmed, send no confirmation.")
@with_appcontext
def import_command(file, confirmed: bool):
    """Subscribe everyone in a CSV FILE ('-' for stdin)."""
    try:
        rows = subscriber_lists.numbered_rows(file)
    except (UnicodeDecodeError, ValueError) as error:
        click.echo(f"Error: cannot read {file.name} as CSV: {error}", err=True)
        raise click.exceptions.Exit(2) from None
    with click.progressbar(rows, label="Importing subscribers", file=sys.stderr,
                           show_pos=True) as progress:
        report = subscriber_lists.import_rows(progress, actor=CLI_ACTOR, confirmed=confirmed)
    for line, message in report.errors:
        click.echo(f"line {line}: {message}", err=True)
    click.echo(f"imported {report.imported} ({report.created} new, {report.updated} already there); "
               f"{len(report.errors)} invalid", err=True)
    if report.errors:
        raise click.exceptions.Exit(2)


@subscribers_group.command("export")
@click.argument("file", type=click.File("w", encoding="utf-8"), default="-")
@with_appcontext
def export_command(file):
    """Write every subscriber as CSV to FILE (stdout when omitted)."""
    written = subscriber_lists.write_export(file)
    click.echo(f"exported {written} subscribers", err=True)


COMMANDS = [subscribers_group]

"""``statuspage export DIR`` writes the whole public site to a directory a web server or CDN can serve alone."""
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError


@click.command("export")
@click.argument("directory", type=click.Path(path_type=Path))
@with_appcontext
def export_command(directory: Path):
    """Write every public page, incident, history page, v2 JSON, feed, calendar and asset (with .gz and .br
    beside each) to DIRECTORY, switched atomically; the README's nginx configuration serves it."""
    from ..export import ExportError, export_site

    try:
        result = export_site(current_app._get_current_object(), directory)
    except ExportError as exc:
        raise click.ClickException(str(exc)) from None
    except SQLAlchemyError as exc:
        reason = str(exc.orig if getattr(exc, "orig", None) else exc).splitlines()[0]
        raise click.ClickException(f"cannot read the database, the previous export is kept: {reason}") from None
    click.echo(f"exported {result.files} files (version {result.version}) to {result.directory} "
               f"-> {result.build.name}")


COMMANDS = [export_command]

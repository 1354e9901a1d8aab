"""The ``statuspage`` command: Flask's CLI plus the project's commands, each group in its own module."""
import click
from flask.cli import FlaskGroup


def init_app(app) -> None:
    from . import export, incidents, retention, setup, subscribers, users, worker

    for module in (setup, users, incidents, worker, subscribers, retention, export):
        for command in module.COMMANDS:
            app.cli.add_command(command)


def _create_app():
    from .. import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=True)
def main():
    """Status page and incident communication."""

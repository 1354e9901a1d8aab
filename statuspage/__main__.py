"""The ``statuspage`` command (also ``python -m statuspage``): Flask's CLI around the app factory, with the
project's commands that ``statuspage.cli`` adds to every app. It lives here, outside ``statuspage.cli``, so that the
factory (which registers the CLI) and the CLI never import each other."""
import click
from flask.cli import FlaskGroup

from . import create_app


@click.group(cls=FlaskGroup, create_app=create_app, add_default_commands=True)
def main():
    """Status page and incident communication."""


if __name__ == "__main__":
    main()

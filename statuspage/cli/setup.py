"""Set-up commands: migrate the database, seed the demo page, serve."""
import click
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade
from werkzeug.serving import run_simple

from ..domain.public_address import public_address, served_url
from ..extensions import db
from ..models import Component, Site


@click.command("init-db")
@with_appcontext
def init_db():
    """Create or upgrade the database schema to the latest migration."""
    upgrade()
    Site.get()
    db.session.commit()
    click.echo("database is up to date")


@click.command("seed-demo")
@click.option("--force", is_flag=True, help="Seed even if components exist.")
@with_appcontext
def seed_demo(force: bool):
    """Fill an empty database with a realistic demo page."""
    from ..demo import seed

    if Component.query.first() is not None and not force:
        click.echo("database already has components; not seeding (use --force)")
        return
    summary = seed()
    click.echo(f"seeded demo: {summary}")


@click.command("setup")
@with_appcontext
def setup_command():
    """Migrate, seed the demo when empty, and make sure a first admin exists."""
    upgrade()
    Site.get()
    db.session.commit()
    if Component.query.first() is None:
        from ..demo import seed

        click.echo(f"seeded demo: {seed()}")
    try:
        from ..domain.users import ensure_first_admin
    except ImportError:
        return
    created = ensure_first_admin()
    if created:
        email, password = created
        click.echo("\n" + "=" * 64)
        click.echo(f" First admin created: {email}")
        click.echo(f" One-time password:   {password}")
        click.echo(" Sign in at /login with it to choose your own; it opens nothing else.")
        click.echo("=" * 64 + "\n")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--worker/--no-worker", default=True, show_default=True,
              help="Run the notification worker in a thread of this process.")
@with_appcontext
def serve(host: str, port: int, worker: bool):
    """Serve the site (threaded) with the notification worker in-process."""
    app = current_app._get_current_object()
    app.config["SERVED_URL"] = served_url(host, port)  # links default to where this server answers
    if worker:
        try:
            from ..worker import start_in_thread
        except ImportError:
            click.echo("notification worker not available", err=True)
        else:
            start_in_thread(app)
            click.echo("notification worker running in-process")
    click.echo(f"serving on http://{host}:{port}")
    address = public_address()
    click.echo(f"public links start with {address.url} (from {address.explanation})")
    # Flask's app.run() refuses to run from inside the flask command line; werkzeug's server is the same one.
    run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)


COMMANDS = [init_db, seed_demo, setup_command, serve]

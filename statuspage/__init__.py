"""statuspage: a self-hosted status page and stakeholder communication service."""
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import cli, errors, fragments, rendering, security, snapshot, telemetry
from .api import init_app as init_api
from .config import build_config
from .extensions import csrf, db, limiter, login_manager, migrate
from .hotpath import HotPath
from .web import init_app as init_web

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    """Build the application; ``config`` overrides what the environment says (tests use it)."""
    settings = build_config(config)
    app = Flask(__name__, template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"),
                instance_path=settings["INSTANCE_PATH"])
    app.config.from_mapping(settings)
    app.json.sort_keys = False
    if hops := app.config["TRUSTED_PROXIES"]:  # the client's address, scheme and host as the proxies saw them
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    rendering.init_app(app)
    fragments.init_app(app)
    errors.init_app(app)
    security.init_app(app)
    snapshot.init_app(app)
    telemetry.init_app(app)
    init_web(app)
    init_api(app)
    cli.init_app(app)
    app.wsgi_app = HotPath(app, app.wsgi_app)
    return app

"""Blueprints that render HTML."""
from ..badges import bp as badges_bp
from ..embed import bp as embed_bp
from ..feeds import bp as feeds_bp
from . import admin, auth, health, metrics, public, reports, subscribe


def init_app(app) -> None:
    app.register_blueprint(public.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(subscribe.bp)
    app.register_blueprint(feeds_bp)
    app.register_blueprint(badges_bp)
    app.register_blueprint(embed_bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(metrics.bp)
    app.register_blueprint(reports.bp)

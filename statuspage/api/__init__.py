"""Blueprints that speak JSON: the public v2 API and the management v1 API."""
from ..extensions import csrf
from . import openapi, public_v2, v1


def init_app(app) -> None:
    app.register_blueprint(public_v2.bp)
    csrf.exempt(v1.bp)
    app.register_blueprint(v1.bp)
    app.register_blueprint(openapi.bp)

"""Errors as pages or JSON: API paths answer JSON, everything else a friendly HTML page."""
from flask import abort, jsonify, make_response, render_template, request
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from .domain.recording import DomainError
from .domain.text import has_unsafe_characters
from .extensions import db

JSON_PREFIXES = ("/api/", "/v1/")


def wants_json() -> bool:
    return request.path.startswith(JSON_PREFIXES) or request.path.endswith(".json")


def _respond(code: int, message: str, extra: dict | None = None):
    if wants_json():
        body = {"error": message} | (extra or {})
        return jsonify(body), code
    return render_template("errors/error.html", code=code, message=message), code


def _is_outage(error: SQLAlchemyError) -> bool:
    """Connection refused, reset or timed out, as opposed to a bug in a query."""
    return isinstance(error, OperationalError | InterfaceError)


def init_app(app) -> None:
    @app.url_value_preprocessor
    def refuse_unsafe_path_values(endpoint, values):
        """A path value holding a control character (NUL above all, which PostgreSQL refuses in a query) names
        nothing here: 404 before any view or query runs."""
        if values and any(isinstance(v, str) and has_unsafe_characters(v) for v in values.values()):
            abort(404)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        message = error.description if error.code not in (404, 405) else {
            404: "The page you asked for does not exist.", 405: "That method is not allowed here."}[error.code]
        body, code = _respond(error.code or 500, message)
        response = make_response(body, code)
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            response.headers["Allow"] = ", ".join(sorted(error.valid_methods))  # RFC 9110: a 405 says what is
        return response

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        extra = {"field": error.field} if error.field else {}
        if getattr(error, "current", None):
            extra["current"] = error.current
        return _respond(error.status_code, error.message, extra)

    @app.errorhandler(DBAPIError)
    def database_unreachable(error: DBAPIError):
        """The database is down or hung: say so (503, retry soon) rather than 'something went wrong'."""
        db.session.rollback()
        if not _is_outage(error):
            return unexpected(error)
        app.logger.warning("database unreachable: %s", str(error).splitlines()[0][:200])
        response = make_response(_respond(503, "The service cannot reach its database right now. "
                                               "Try again in a minute."))
        response.headers["Retry-After"] = "30"
        return response

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        app.logger.exception("unhandled error")
        return _respond(500, "Something went wrong on our side. It has been logged.")

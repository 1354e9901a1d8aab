"""Who may do what on the web: one decorator every internal route uses."""
from functools import wraps

from flask import abort
from flask_login import current_user

from ..domain.recording import Actor
from ..extensions import login_manager


def require(permission: str):
    """Allow the view only to signed-in users holding ``permission`` (read, manage or admin).

    Anonymous visitors are sent to the sign-in page; signed-in users without the permission get 403.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.can(permission):
                abort(403, "Your role does not allow this.")
            return view(*args, **kwargs)

        return wrapped

    return decorator


def web_actor() -> Actor:
    """The signed-in user as the actor of a change made through the web."""
    return Actor.for_user(current_user, "web")

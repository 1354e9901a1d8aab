"""The embeddable status notice: ``/embed/script.js``, which another site includes with a script tag, adds an
iframe of ``/embed/frame``, a small page saying the overall status or the active incident, linking to it.

``/embed/frame`` is the one page other origins may frame (``security.FRAMEABLE_PATHS``: its own policy, no
X-Frame-Options). It has no script, no form and no cookie (a snapshot answers anonymous readers without one),
and it is public only (``domain.visibility`` through ``load_overview``). Both are snapshots, once per version.
"""
from flask import Blueprint, current_app, render_template

from . import snapshot
from .domain.overview import load_overview
from .domain.visibility import PUBLIC, visible_updates
from .rendering import human_time

bp = Blueprint("embed", __name__, url_prefix="/embed")


def render_frame() -> str:
    """The notice: the overall sentence, then the newest active incident (or maintenance in progress) with its
    status and the time of its latest public update; with none, a link to the status page."""
    view = load_overview(PUBLIC, with_uptime=False)
    active = view.open_incidents + view.active_maintenance
    incident = active[0] if active else None
    updated_at = None
    if incident is not None:
        updates = visible_updates(incident, PUBLIC)
        updated_at = human_time(updates[0].display_at, view.site.time_zone) if updates else None
    return render_template("embed/frame.html", status=view.status, incident=incident, updated_at=updated_at,
                           more=max(0, len(active) - 1))


@bp.get("/frame")
def frame():
    """The notice other sites frame."""
    return snapshot.serve(lambda now: render_frame())


@bp.get("/script.js")
def script():
    """The script another site includes; it adds the framed notice where it stands."""
    return snapshot.serve(lambda now: render_template(
        "embed/script.js", base_url=current_app.config.get("PUBLIC_URL", "").rstrip("/")), "text/javascript")

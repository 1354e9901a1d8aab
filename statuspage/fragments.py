"""Rendered HTML fragments kept by the values they show, so a new public version renders again only what changed.

The 90-day bars are most of the status page: 50 components make 4,500 list items, most of a render's time, yet an
incident update rarely changes one of them. A template asks ``fragment(key, macro, *args)``: the macro runs when
``key`` (every value the fragment shows, hashable) has not been drawn before, and its HTML is reused otherwise.
One cache per application, bounded; equal keys always give equal HTML, so a cached fragment is never stale.
"""
from flask import current_app

MAX_FRAGMENTS = 4096


def fragment(key: tuple, macro, *args):
    cache: dict = current_app.extensions.setdefault("fragments", {})
    html = cache.get(key)
    if html is None:
        html = macro(*args)  # a Jinja macro returns Markup: escaped already
        if len(cache) >= MAX_FRAGMENTS:
            cache.clear()
        cache[key] = html
    return html


def init_app(app) -> None:
    app.jinja_env.globals["fragment"] = fragment

"""The console's create and edit pages (components, groups, update corrections) answer alike.

Valid and saved: a flash and a redirect. A broken rule: the page again, 422, with the reason on its field
and what was typed kept. A stale revision on an edit: the page again, 409, with what the object looks like
now; the form then carries the current revision, so saving again overwrites knowingly.
"""
from collections.abc import Callable

from flask import flash, redirect, render_template
from flask_wtf import FlaskForm

from ...domain.recording import Conflict, DomainError
from ...extensions import db
from .forms import show_domain_error


def form_page(form: FlaskForm, save: Callable[[], object], *, template: str, done: str, success: str,
              edited=None, **context):
    """Validate ``form`` and run ``save()`` (one domain call); then redirect to ``done`` flashing ``success``,
    formatted with the saved object as ``saved`` ("Group “{saved.name}” created."), or render ``template``
    with ``form``, ``conflict`` and ``context``. ``edited`` is the object an edit page changes (None on a
    create page): on a Conflict it is read again."""
    conflict = None
    if form.validate_on_submit():
        try:
            saved = save()
        except DomainError as error:
            if isinstance(error, Conflict) and edited is not None:
                conflict = error
                db.session.refresh(edited)
                form.revision.data = str(edited.revision)
            else:
                show_domain_error(form, error)
        else:
            flash(success.format(saved=saved), "success")
            return redirect(done)
    status = 409 if conflict else 422 if form.errors or form.form_errors else 200
    return render_template(template, form=form, conflict=conflict, **context), status

"""Site settings (admins only): name, public URL, time zone, logo, accent colour, support link.

One form, saved through ``domain.site_settings.update_site``. The form carries the revision it was opened at;
if someone else saved settings meanwhile the page answers 409, says what they changed, and keeps what was
typed so the user can decide and save again."""
from flask import flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from ...domain.public_address import public_address
from ...domain.recording import Conflict, DomainError
from ...domain.site_settings import FIELDS, LABELS, time_zones, update_site
from ...models import Site
from ..access import require, web_actor
from . import bp


class SettingsForm(FlaskForm):
    name = StringField(LABELS["name"], validators=[DataRequired("Give the site a name."), Length(max=120)])
    url = StringField(LABELS["url"], validators=[Length(max=300)],
                      render_kw={"inputmode": "url", "placeholder": "https://status.example.com"})
    time_zone = SelectField(LABELS["time_zone"], validate_choice=False)
    logo_url = StringField(LABELS["logo_url"], validators=[Length(max=500)],
                           render_kw={"inputmode": "url", "placeholder": "https://example.com/logo.svg"})
    accent_color = StringField(LABELS["accent_color"], validators=[DataRequired("Pick a colour.")],
                               render_kw={"placeholder": "#1f6feb", "size": 8})
    support_url = StringField(LABELS["support_url"], validators=[Length(max=300)],
                              render_kw={"placeholder": "https://example.com/support or mailto:…"})
    revision = HiddenField()


def _form(site: Site) -> SettingsForm:
    """The form filled from the posted data, or from the site (with its current revision) on GET."""
    form = SettingsForm(obj=site)
    form.time_zone.choices = [(tz, tz) for tz in time_zones()]
    return form


def _render(form: SettingsForm, site: Site, status: int = 200, conflict: dict | None = None):
    page = render_template("admin/settings.html", form=form, site=site, conflict=conflict, labels=LABELS,
                           address=public_address(site))
    return page, status


@bp.route("/settings", methods=["GET", "POST"])
@require("admin")
def settings():
    site = Site.get()
    form = _form(site)
    if not form.is_submitted():
        return _render(form, site)
    if not form.validate():
        return _render(form, site, 422)
    try:
        expected = int(form.revision.data) if (form.revision.data or "").isdigit() else None
        update_site(web_actor(), expected, **{field: form[field].data for field in FIELDS})
    except Conflict as conflict:
        form.revision.data = str(Site.get().revision)  # saving again now overrides, knowingly
        return _render(form, Site.get(), 409, conflict=conflict.current)
    except DomainError as error:
        form[error.field].errors = [*form[error.field].errors, error.message[:1].upper() + error.message[1:]
                                    + "."]
        return _render(form, site, 422)
    flash("Settings saved. The public page shows them now.", "success")
    return redirect(url_for("admin.settings"))

"""Forms of the public subscription pages: subscribe, preferences, SMS code.

Components offered are the public ones only (``domain.visibility``), grouped as on the status page.
"""
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, SelectMultipleField, StringField
from wtforms.validators import InputRequired, Length

from ..domain import visibility
from ..extensions import db
from ..models import Component, ComponentGroup

IMPACT_CHOICES = [
    ("none", "Every update"),
    ("minor", "Minor impact or worse"),
    ("major", "Major impact or worse"),
    ("critical", "Critical impact only"),
]
CHANNEL_CHOICES = [("email", "Email"), ("sms", "SMS"), ("chat", "Chat (Slack, Teams, Discord…)"),
                   ("webhook", "Webhook")]
TARGET_FIELD = {"email": "email", "sms": "phone", "chat": "chat_url", "webhook": "webhook_url"}


def component_sections(audience: str = visibility.PUBLIC) -> list[tuple[str | None, list[Component]]]:
    """(group name or None, components) in page order, only what ``audience`` may see."""
    query = db.select(Component).order_by(Component.position, Component.name)
    where = visibility.component_filter(audience)
    if where is not None:
        query = query.where(where)
    components = db.session.scalars(query).all()
    groups = {g.id: g for g in db.session.scalars(db.select(ComponentGroup)).all()}
    sections: dict[str | None, list[Component]] = {}
    for component in components:
        sections.setdefault(component.group_id, []).append(component)
    order = sorted(sections, key=lambda gid: (gid is None, groups[gid].position if gid else 0,
                                              groups[gid].name if gid else ""))
    return [(groups[gid].name if gid else None, sections[gid]) for gid in order]


class PreferencesForm(FlaskForm):
    """Which components, and how bad an incident must be to tell."""

    scope = RadioField("Which components?", choices=[("all", "All components"), ("some", "Only these:")],
                       default="all")
    components = SelectMultipleField("Components", choices=[], validate_choice=False)
    min_impact = SelectField("Tell me about", choices=IMPACT_CHOICES, default="none")

    def offer(self, sections) -> "PreferencesForm":
        self.sections = sections
        self.components.choices = [(c.id, c.name) for _, group in sections for c in group]
        return self

    def component_ids(self) -> list[str] | None:
        """None for all components, else the ticked ones (the domain rejects an empty or unknown list)."""
        return None if self.scope.data != "some" else list(self.components.data or [])


class SubscribeForm(PreferencesForm):
    channel = RadioField("How should we tell you?", choices=CHANNEL_CHOICES, default="email",
                         validators=[InputRequired("Choose how we should tell you.")])
    email = StringField("Email address", validators=[Length(max=254)])
    phone = StringField("Mobile number", validators=[Length(max=32)])
    chat_url = StringField("Chat address (Apprise URL)", validators=[Length(max=2000)])
    webhook_url = StringField("Webhook URL", validators=[Length(max=2000)])

    def target_field(self):
        return getattr(self, TARGET_FIELD.get(self.channel.data, "email"))


class CodeForm(FlaskForm):
    code = StringField("Confirmation code", validators=[InputRequired("Enter the code from the SMS."),
                                                        Length(max=12)])

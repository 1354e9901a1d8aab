"""Forms of the public subscription pages: subscribe, preferences, SMS code.

Components offered are the public ones only (``domain.visibility``), grouped as on the status page.
"""
from flask_wtf import FlaskForm
from wtforms import EmailField, RadioField, SelectField, SelectMultipleField, StringField, TelField
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
# Why a channel is not offered, in the visitor's words (the site's team sets SMTP_URL / SMS_URL).
UNAVAILABLE_REASON = {
    "email": "Email is not offered: this site has no mail server set up yet.",
    "sms": "Text messages (SMS) are not offered: this site has no SMS provider set up.",
}
# The chat services people use, each with where its address comes from and an address of the form it takes
# (any other Apprise URL works too). tests/test_subscribe_flow.py checks every example is accepted.
CHAT_SERVICES = [
    ("Slack", "an Incoming Webhook",
     "https://hooks.slack.com/services/T0123ABCD/B0456EFGH/abcdefghijklmnopqrstuvwx"),
    ("Microsoft Teams", "a Workflows webhook (“Post to a channel when a webhook request is received”)",
     "https://prod-12.westeurope.logic.azure.com:443/workflows/3fdb9f2a9c6a4f6b9a533c1d3e5e6f70/triggers/"
     "manual/paths/invoke?api-version=2016-06-01&sig=AbCdEf123"),
    ("Discord", "a channel webhook (Edit channel → Integrations → Webhooks)",
     "https://discord.com/api/webhooks/123456789012345678/abcdefghijklmnopqrstuvwxyz"),
    ("Google Chat", "a space webhook (Apps & integrations → Webhooks)",
     "https://chat.googleapis.com/v1/spaces/AAAAbcdEFGh/messages?key=AIzaSyExample&token=abcDEF123"),
    ("Telegram", "your bot's token and the chat's id",
     "tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/-1001234567890"),
    ("Mattermost", "an incoming webhook's token and your server's address",
     "mmosts://mattermost.example.com/abcdefghijklmnopqrstuvwxyz"),
]


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
    email = EmailField("Email address", validators=[Length(max=254)],
                       render_kw={"autocomplete": "email", "spellcheck": "false"})
    phone = TelField("Mobile number", validators=[Length(max=32)], render_kw={"autocomplete": "tel"})
    chat_url = StringField("Chat webhook address", validators=[Length(max=2000)],
                           render_kw={"inputmode": "url", "autocomplete": "off", "spellcheck": "false"})
    webhook_url = StringField("Webhook URL", validators=[Length(max=2000)])

    def target_field(self):
        return getattr(self, TARGET_FIELD.get(self.channel.data, "email"))


def chosen(component_ids: list[str] | None, min_impact: str) -> dict:
    """A choice in words: the names of the components (None for all of them) and the threshold."""
    names = None
    if component_ids is not None:
        names = list(db.session.scalars(db.select(Component.name).where(Component.id.in_(component_ids))
                                        .order_by(Component.position, Component.name))) if component_ids else []
    return {"components": names, "threshold": dict(IMPACT_CHOICES).get(min_impact, "Every update")}


def subscriber_choice(subscriber) -> dict:
    """What a subscriber chose, in words (only for the holder of its link)."""
    return chosen(None if subscriber.all_components else subscriber.component_ids, subscriber.min_impact)


class CodeForm(FlaskForm):
    code = StringField("Confirmation code", validators=[InputRequired("Enter the code from the SMS."),
                                                        Length(max=12)])

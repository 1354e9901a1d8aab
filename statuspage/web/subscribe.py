"""Subscribing, confirming, managing preferences and unsubscribing: the public pages, no account needed.

Links carry signed tokens (``domain.subscription_tokens``). A bad or expired link shows a friendly page (400,
or 404 when the subscription is gone), never an error trace. The unsubscribe POST is CSRF-exempt so that mail
clients can unsubscribe in one click (RFC 8058, body ``List-Unsubscribe=One-Click``). Form posts are rate
limited per client; chat and webhook sign-ups, which make the worker contact a host the visitor chose, also per
client and per target host (SUBSCRIBE_HOOK_LIMIT_PER_CLIENT, SUBSCRIBE_HOOK_LIMIT_PER_HOST).

The compact panel on the status page is part of a snapshot, the same bytes for every reader, so it cannot carry
a CSRF token: it posts the address to ``/subscribe/start``, which writes nothing and only shows the full form
(with its token, the components and the threshold) filled in; the subscription is made from there.
"""
from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_limiter.util import get_remote_address

from ..domain import subscriptions
from ..domain.recording import Actor, DomainError, NotFound
from ..domain.subscription_tokens import InvalidLink, make_token, subscriber_for_token
from ..extensions import csrf, limiter
from .subscribe_forms import (
    CHAT_SERVICES,
    TARGET_FIELD,
    UNAVAILABLE_REASON,
    CodeForm,
    PreferencesForm,
    SubscribeForm,
    chosen,
    component_sections,
    subscriber_choice,
)

bp = Blueprint("subscribe", __name__)

VISITOR = Actor(label="visitor", source="web")
SUBSCRIBE_LIMIT = "10 per minute"
HOOK_CHANNELS = ("chat", "webhook")
CLIENT_LIMIT_MESSAGE = ("Too many chat and webhook sign-ups from your network. Try again later, or ask the "
                        "site's team to add the subscription for you.")
HOST_LIMIT_MESSAGE = ("Too many chat and webhook sign-ups for this host. Try again later, or ask the site's "
                      "team to add the subscription for you.")


@bp.app_template_global()
def subscribe_channels() -> dict[str, bool]:
    """Which channels the site can send on, for the status page's subscribe panel."""
    return subscriptions.available_channels()


def _not_a_hook_signup() -> bool:
    return request.method != "POST" or request.form.get("channel") not in HOOK_CHANNELS


def _client() -> str:
    return "hook-client:" + get_remote_address()


def _target_host() -> str:
    """The host a chat or webhook sign-up names (lower case, no credentials or port): one budget per host."""
    from notifiers.channels import target_host

    channel = request.form.get("channel", "")
    return "hook-host:" + target_host(request.form.get(TARGET_FIELD.get(channel, ""), ""))


def _subscriber_actor(subscriber) -> Actor:
    return Actor(label=f"subscriber {subscriber.public_id}", source="web")


def _link_problem(error: DomainError):
    code = 404 if isinstance(error, NotFound) else 400
    return render_template("subscribe/link_problem.html", message=error.message), code


def _field_for(form, field: str | None):
    return {"target": form.target_field() if hasattr(form, "target_field") else None,
            "component_ids": form.components, "min_impact": form.min_impact,
            "channel": getattr(form, "channel", None)}.get(field or "")


def _show_error(form, error: DomainError) -> None:
    """Put the domain's reason under the field it names (or on the form when it names none)."""
    field = _field_for(form, error.field)
    if field is None:
        form.form_errors.append(error.message)
    else:
        field.errors = list(field.errors) + [error.message]


@bp.route("/subscribe", methods=["GET", "POST"])
@limiter.limit(SUBSCRIBE_LIMIT, methods=["POST"])
@limiter.limit(lambda: current_app.config["SUBSCRIBE_HOOK_LIMIT_PER_CLIENT"], key_func=_client,
               exempt_when=_not_a_hook_signup, error_message=CLIENT_LIMIT_MESSAGE)
@limiter.limit(lambda: current_app.config["SUBSCRIBE_HOOK_LIMIT_PER_HOST"], key_func=_target_host,
               exempt_when=_not_a_hook_signup, error_message=HOST_LIMIT_MESSAGE)
def index():
    """The subscribe form: a channel (radio tabs), its target, components and minimum impact."""
    available = subscriptions.available_channels()
    form = SubscribeForm()
    if request.method == "GET":
        form.channel.data = next((c for c, ok in available.items() if ok), "chat")
    form.offer(component_sections())
    if form.validate_on_submit():
        try:
            result = subscriptions.subscribe(
                form.channel.data, form.target_field().data or "", "public", form.component_ids(),
                form.min_impact.data, actor=VISITOR, trusted=False)
        except DomainError as error:
            _show_error(form, error)
        else:
            # The same answer whether the address is new, pending, active or disabled: a stranger must not
            # learn who is subscribed (so the status is the same too, and an SMS always goes to the code step);
            # the page repeats what was just chosen, never what an existing subscription holds.
            if result.subscriber.channel == "sms":
                return redirect(url_for(".code", token=make_token(result.subscriber, "code")))
            return render_template("subscribe/subscribed.html", result=result, subscriber=result.subscriber,
                                   chosen=chosen(form.component_ids(), form.min_impact.data))
    return _subscribe_page(form, available, 422 if request.method == "POST" else 200)


def _subscribe_page(form, available, status: int = 200):
    return render_template("subscribe/index.html", form=form, available=available, reasons=UNAVAILABLE_REASON,
                           chat_services=CHAT_SERVICES), status


@bp.post("/subscribe/start")
@csrf.exempt
@limiter.limit(SUBSCRIBE_LIMIT)
def start():
    """The status page's panel: the full subscribe form with the posted address filled in. Writes nothing, so
    it needs no CSRF token (the panel is in a snapshot shared by every reader and cannot have one)."""
    available = subscriptions.available_channels()
    form = SubscribeForm(formdata=None, data={"channel": "email" if available["email"] else "chat",
                                              "email": (request.form.get("email") or "").strip()[:254]})
    form.offer(component_sections())
    return _subscribe_page(form, available)


@bp.route("/subscriptions/<token>/confirm")
def confirm(token: str):
    """Confirm an email subscription by the link it was sent."""
    try:
        subscriber = subscriptions.confirm(token, actor=VISITOR)
    except DomainError as error:
        return _link_problem(error)
    return render_template("subscribe/confirmed.html", subscriber=subscriber, chosen=subscriber_choice(subscriber),
                           manage_token=make_token(subscriber, "manage"))


@bp.route("/subscriptions/<token>/code", methods=["GET", "POST"])
@limiter.limit(SUBSCRIBE_LIMIT, methods=["POST"])
def code(token: str):
    """Enter the code an SMS subscriber was sent. The page is the same for a number already subscribed (no code
    works for it), since anyone can reach it by signing that number up."""
    try:
        subscriber = subscriber_for_token(token, "code")
    except DomainError as error:
        return _link_problem(error)
    form = CodeForm()
    if form.validate_on_submit():
        try:
            subscriptions.confirm_code(subscriber, form.code.data, actor=_subscriber_actor(subscriber))
        except DomainError as error:
            form.code.errors = list(form.code.errors) + [error.message]
        else:
            return render_template("subscribe/confirmed.html", subscriber=subscriber,
                                   chosen=subscriber_choice(subscriber), manage_token=make_token(subscriber, "manage"))
    status = 422 if request.method == "POST" else 200
    return render_template("subscribe/code.html", subscriber=subscriber, form=form), status


@bp.route("/subscriptions/<token>", methods=["GET", "POST"])
@limiter.limit(SUBSCRIBE_LIMIT, methods=["POST"])
def manage(token: str):
    """Change which components and which impacts a subscriber hears about."""
    try:
        subscriber = subscriber_for_token(token, "manage")
    except DomainError as error:
        return _link_problem(error)
    form = PreferencesForm()
    if request.method == "GET":
        form.scope.data = "all" if subscriber.all_components else "some"
        form.components.data = subscriber.component_ids
        form.min_impact.data = subscriber.min_impact
    form.offer(component_sections(subscriber.audience))
    saved = False
    if form.validate_on_submit():
        try:
            subscriptions.update_preferences(subscriber, form.component_ids(), form.min_impact.data,
                                             actor=_subscriber_actor(subscriber))
            saved = True
        except DomainError as error:
            _show_error(form, error)
    status = 422 if request.method == "POST" and not saved else 200
    return render_template("subscribe/manage.html", subscriber=subscriber, form=form, token=token,
                           saved=saved), status


@bp.route("/subscriptions/<token>/unsubscribe", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe(token: str):
    """GET: a page with one button. POST (that button, or a mail client's RFC 8058 one-click): unsubscribe.
    A second POST is harmless: the subscription is already gone."""
    try:
        subscriber = subscriber_for_token(token, "manage")
    except NotFound:
        if request.method == "POST":
            return render_template("subscribe/unsubscribed.html")
        return render_template("subscribe/unsubscribed.html", already=True)
    except InvalidLink as error:
        return _link_problem(error)
    if request.method == "GET":
        return render_template("subscribe/unsubscribe.html", subscriber=subscriber, token=token)
    subscriptions.unsubscribe(subscriber, actor=_subscriber_actor(subscriber))
    return render_template("subscribe/unsubscribed.html")

"""Audit actions in words: ``subscriber.confirmed`` reads "confirmed the subscription". One mapping, used by
the dashboard's recent changes and the audit log (entries and the action filter). An action missing here still
reads as words (its code with the punctuation taken out), never as a code.
"""
from . import bp

ACTION_WORDS = {
    "incident.create": "opened the incident",
    "incident.update": "posted an update on",
    "incident.note": "added an internal note to",
    "incident.edit": "edited the incident",
    "incident.publish": "made public",
    "incident.delete": "deleted the incident",
    "incident.postmortem": "published the postmortem of",
    "incident.postmortem_draft": "drafted the postmortem of",
    "incident.postmortem_revert": "took back to draft the postmortem of",
    "incident.postmortem_delete": "deleted the postmortem of",
    "incident.problem": "linked a problem to",
    "incident.summary": "wrote the leadership summary of",
    "incident.acknowledge": "acknowledged",
    "incident.assign": "assigned",
    "incident.mitigate": "marked as mitigated",
    "incident.correct_times": "corrected the times of",
    "incident.major": "changed whether it is major:",
    "incident.sla": "changed the service levels of",
    "incident_update.edit": "corrected an update of",
    "incident_update.delete": "deleted an update of",
    "maintenance.schedule": "scheduled maintenance",
    "maintenance.reschedule": "rescheduled",
    "maintenance.cancel": "cancelled",
    "component.create": "added the component",
    "component.update": "edited the component",
    "component.delete": "deleted the component",
    "component.status": "changed the status of",
    "component.reorder": "reordered the components",
    "group.create": "added the group",
    "group.update": "edited the group",
    "group.delete": "deleted the group",
    "group.reorder": "reordered the groups",
    "subscriber.created": "subscribed",
    "subscriber.confirmed": "confirmed the subscription",
    "subscriber.confirmation_resent": "sent the confirmation again to",
    "subscriber.preferences_changed": "changed the preferences of",
    "subscriber.resubscribed": "subscribed again",
    "subscriber.unsubscribed": "unsubscribed",
    "subscriber.deleted": "deleted the subscription",
    "subscriber.disabled": "disabled the subscription",
    "subscriber.enabled": "enabled the subscription",
    "subscriber.disable": "disabled the subscription (messages kept failing):",
    "subscriber.leadership": "changed the leadership subscription of",
    "delivery.retry": "retried a delivery to",
    "delivery.discard": "discarded a delivery to",
    "template.create": "added the template",
    "template.update": "edited the template",
    "template.delete": "deleted the template",
    "problem.create": "opened the problem",
    "problem.edit": "edited the problem",
    "problem.state": "moved the problem",
    "problem.delete": "deleted the problem",
    "review.start": "started the review of",
    "review.edit": "edited the review of",
    "review.draft": "moved back to draft the review of",
    "review.in_review": "sent for review the review of",
    "review.published": "published the review of",
    "action_item.create": "added an action item to",
    "action_item.done": "completed an action item of",
    "action_item.reopen": "reopened an action item of",
    "user.create": "added the user",
    "user.role": "changed the role of",
    "user.password": "changed the password of",
    "user.activate": "reactivated",
    "user.deactivate": "deactivated",
    "user.locked": "locked out",
    "user.sign_in": "signed in as",
    "user.sign_in_failed": "failed to sign in as",
    "token.create": "created an API key for",
    "token.revoke": "revoked an API key of",
    "site.update": "changed the site settings",
    "integrations.settings": "changed how monitoring alerts map to components",
    "sla.targets": "changed the service-level targets",
    "cadence.set": "changed the update cadence",
    "retention.purge": "purged old records",
}


@bp.app_template_filter("action_words")
def action_words(action: str) -> str:
    """The action as words for a sentence "<who> <words> <what>"."""
    return ACTION_WORDS.get(action) or action.replace(".", " ").replace("_", " ")


def action_choices(actions) -> list[tuple[str, str]]:
    """Filter choices for the audit log: the codes as values (links keep working), words as labels."""
    return sorted(((a, action_words(a).capitalize()) for a in actions), key=lambda choice: choice[1])

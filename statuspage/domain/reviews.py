"""Post-incident reviews and their action items: start, edit, move through draft → in review → published.

A review is internal until published: starting, editing and moving it bump only the internal version. Publishing
composes the review into one Markdown document and publishes it as the incident's postmortem through
``incidents.write_postmortem`` (same transaction), so the public incident page, feeds and v2 show it and
subscribers may be told; that is the only public write here. Action items are tracked to done; one past its due
date and not done is overdue.
"""
from datetime import date, datetime

from sqlalchemy import select

from ..extensions import db
from ..models import REVIEW_SECTIONS, ActionItem, Incident, IncidentReview, Site, User
from ..models.columns import utcnow
from .incident_fields import check_body
from .incidents import write_postmortem
from .recording import Actor, DomainError, NotFound, bump_site_version, change, record
from .review_impact import impact_markdown, impact_of, timeline_seed
from .text import clean_line
from .visibility import PUBLIC

SECTION_TITLES = {"summary": "Summary", "timeline": "Timeline",
                  "contributing_factors": "Contributing factors", "root_cause": "Root cause",
                  "went_well": "What went well", "went_badly": "What went badly"}
STATE_LABEL = {"draft": "Draft", "in_review": "In review", "published": "Published"}
STATE_PHRASE = {"draft": "a draft", "in_review": "in review", "published": "published"}
# Where a review may go from each state; publishing again replaces the public postmortem.
MOVES = {"draft": ("in_review",), "in_review": ("draft", "published"), "published": ("in_review", "published")}
NEEDED_TO_PUBLISH = ("summary", "root_cause")


def describe_review(review: IncidentReview) -> dict:
    return {"state": review.state} | {s: getattr(review, s) for s in REVIEW_SECTIONS}


def _incident(incident_id: str) -> Incident:
    incident = db.session.get(Incident, incident_id)
    if incident is None or incident.is_maintenance:
        raise NotFound(f"no incident with id {incident_id!r}", field="incident_id")
    return incident


def review_of(incident_id: str) -> IncidentReview | None:
    return db.session.scalar(select(IncidentReview).where(IncidentReview.incident_id == incident_id))


def _review(incident_id: str) -> IncidentReview:
    review = review_of(incident_id)
    if review is None:
        raise NotFound("this incident has no review yet; start one", field="incident_id")
    return review


def start_review(actor: Actor, incident_id: str) -> IncidentReview:
    """Create the incident's review as a draft, its timeline seeded from the record (idempotent)."""
    with change():
        incident = _incident(incident_id)
        review = review_of(incident.id)
        if review is not None:
            return review
        review = IncidentReview(incident_id=incident.id, state="draft", author_id=actor.user_id,
                                summary="", timeline=timeline_seed(incident, Site.get().time_zone),
                                contributing_factors="", root_cause="", went_well="", went_badly="")
        db.session.add(review)
        db.session.flush()
        record(actor, "review.start", "incident", incident.id, incident.name, after=describe_review(review))
        bump_site_version(public=False)
    return review


def save_review(actor: Actor, incident_id: str, **sections: str) -> IncidentReview:
    """Replace the given sections' Markdown; a published review's public text changes only when it is
    published again."""
    unknown = set(sections) - set(REVIEW_SECTIONS)
    if unknown:
        raise DomainError(f"a review has no section {sorted(unknown)[0]!r}", field=sorted(unknown)[0])
    cleaned = {}
    for name, text in sections.items():
        try:
            cleaned[name] = check_body(text or "")
        except DomainError as error:
            raise DomainError(f"{SECTION_TITLES[name].lower()}: {error.message}", field=name) from None
    with change():
        review = _review(incident_id)
        before = describe_review(review)
        for name, text in cleaned.items():
            setattr(review, name, text)
        db.session.flush()
        record(actor, "review.edit", "incident", incident_id, review_label(review), before=before,
               after=describe_review(review))
        bump_site_version(public=False)
    return review


def review_label(review: IncidentReview) -> str:
    incident = db.session.get(Incident, review.incident_id)
    return f"Review of {incident.name}" if incident else "Review"


def compose(review: IncidentReview, incident: Incident, now: datetime | None = None) -> str:
    """The whole review as one Markdown document: the sections under headings, the impact computed now."""
    parts = [f"## Summary\n\n{review.summary.strip() or '_Not written yet._'}",
             f"## Impact\n\n{impact_markdown(impact_of(incident, now, PUBLIC))}"]
    for name in REVIEW_SECTIONS[1:]:
        parts.append(f"## {SECTION_TITLES[name]}\n\n{getattr(review, name).strip() or '_Not written yet._'}")
    items = db.session.scalars(select(ActionItem).where(ActionItem.incident_id == incident.id)
                               .order_by(ActionItem.id)).all()
    lines = [f"- [{'x' if item.done_at else ' '}] {item.title}"
             + (f" (due {item.due_date:%Y-%m-%d})" if item.due_date else "") for item in items]
    parts.append("## Action items\n\n" + ("\n".join(lines) if lines else "_None._"))
    return "\n\n".join(parts)


def move_review(actor: Actor, incident_id: str, state: str, notify: bool = False) -> IncidentReview:
    """Move the review to ``state``. Publishing needs a summary and a root cause and a resolved incident; it
    publishes the composed review as the incident's postmortem (``notify``: tell subscribers)."""
    with change():
        review = _review(incident_id)
        if state not in MOVES.get(review.state, ()):
            allowed = " or ".join(STATE_LABEL[s].lower() for s in MOVES[review.state] if s != review.state)
            raise DomainError(f"the review is {STATE_PHRASE.get(review.state, review.state)}: it can move to "
                              f"{allowed}" + (" or be published again" if review.state == "published" else ""),
                              field="state")
        before = describe_review(review)
        incident = _incident(incident_id)
        if state == "published":
            missing = [SECTION_TITLES[s].lower() for s in NEEDED_TO_PUBLISH if not getattr(review, s).strip()]
            if missing:
                raise DomainError("write the " + " and the ".join(missing) + " before publishing", field="state")
            write_postmortem(actor, incident, compose(review, incident), notify=notify)
            review.published_at = utcnow()
        review.state = state
        db.session.flush()
        record(actor, f"review.{state}", "incident", incident.id, review_label(review), before=before,
               after=describe_review(review))
        if state != "published":
            bump_site_version(public=False)
    return review


def _check_owner(owner_id: int | None) -> None:
    if owner_id is None:
        return
    owner = db.session.get(User, owner_id)
    if owner is None or not owner.active:
        raise DomainError("the owner must be an active user", field="owner_id")


def add_action_item(actor: Actor, incident_id: str, title: str, owner_id: int | None = None,
                    due_date: date | None = None, link: str | None = None) -> ActionItem:
    """A follow-up of the incident's review, open until marked done."""
    title = clean_line(title or "").strip()
    if not title:
        raise DomainError("say what must be done", field="title")
    if len(title) > 200:
        raise DomainError("keep the title under 200 characters", field="title")
    link = clean_line(link or "").strip() or None
    if link and not link.startswith(("https://", "http://")):
        raise DomainError("a link starts with https:// or http://", field="link")
    with change():
        incident = _incident(incident_id)
        _check_owner(owner_id)
        item = ActionItem(incident_id=incident.id, title=title, owner_id=owner_id, due_date=due_date,
                          link=link[:500] if link else None)
        db.session.add(item)
        db.session.flush()
        record(actor, "action_item.create", "action_item", item.id, title,
               after={"incident_id": incident.id, "owner_id": owner_id, "due_date": due_date, "link": link})
        bump_site_version(public=False)
    return item


def set_action_item_done(actor: Actor, item_id: int, done: bool) -> ActionItem:
    """Mark an action item done (now) or open again."""
    with change():
        item = db.session.get(ActionItem, item_id)
        if item is None:
            raise NotFound(f"no action item with id {item_id!r}", field="item_id")
        before = {"state": item.state}
        item.done_at = (item.done_at or utcnow()) if done else None
        db.session.flush()
        record(actor, "action_item.done" if done else "action_item.reopen", "action_item", item.id,
               item.title, before=before, after={"state": item.state})
        bump_site_version(public=False)
    return item


def overdue_action_items(today: date) -> list[tuple[ActionItem, Incident]]:
    """Open action items whose due date has passed, the most overdue first, with their incident."""
    return [tuple(row) for row in db.session.execute(
        select(ActionItem, Incident).join(Incident, ActionItem.incident_id == Incident.id)
        .where(ActionItem.done_at.is_(None), ActionItem.due_date < today)
        .order_by(ActionItem.due_date, ActionItem.id)).all()]

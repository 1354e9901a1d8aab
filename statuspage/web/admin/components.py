"""Components and groups in the console: list, create, edit, set status, reorder, delete.

Each view validates one form and calls one function of ``domain.components``; the create and edit pages
answer as ``form_page`` says (rule violations on their field, a stale revision 409 with the current object).
"""
from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select

from ...domain import components as domain
from ...domain import visibility
from ...domain.status import COMPONENT_STATUS_LABEL
from ...extensions import db
from ...models import Component, ComponentGroup
from ...web.access import require, web_actor
from . import bp
from .form_page import form_page
from .forms import (
    STATUS_CHOICES,
    ComponentForm,
    ComponentStatusForm,
    ConfirmForm,
    GroupDeleteForm,
    GroupForm,
    MoveForm,
    expected_revision,
)


def _groups() -> list[ComponentGroup]:
    query = select(ComponentGroup).order_by(ComponentGroup.position, ComponentGroup.name)
    return db.session.scalars(query).all()


def _components() -> list[Component]:
    return db.session.scalars(select(Component).order_by(Component.position, Component.name)).all()


def _component_or_404(component_id: str) -> Component:
    return db.get_or_404(Component, component_id, description="There is no such component.")


def _group_or_404(group_id: str) -> ComponentGroup:
    return db.get_or_404(ComponentGroup, group_id, description="There is no such group.")


@bp.get("/components")
@require("read")
def components():
    """Groups with their components, then ungrouped components, each with status and visibility."""
    groups = _groups()
    all_components = _components()
    ungrouped = [c for c in all_components if c.group_id is None]
    return render_template("admin/components.html", groups=groups, ungrouped=ungrouped,
                           component_count=len(all_components), status_choices=STATUS_CHOICES)


def _component_form(component: Component | None = None) -> ComponentForm:
    form = ComponentForm(obj=component) if request.method == "GET" and component else ComponentForm()
    form.group_id.choices = [("", "No group")] + [(g.id, g.name) for g in _groups()]
    if request.method == "GET" and component is None and request.args.get("group"):
        form.group_id.data = request.args["group"]
    if request.method == "GET" and component is not None:
        form.group_id.data = component.group_id or ""
        form.revision.data = str(component.revision)
    return form


def _component_fields(form: ComponentForm) -> dict:
    return {"name": form.name.data, "description": form.description.data or None,
            "group_id": form.group_id.data or None, "status": form.status.data,
            "visibility": form.visibility.data, "showcase": form.showcase.data,
            "only_show_if_degraded": form.only_show_if_degraded.data, "start_date": form.start_date.data}


@bp.route("/components/new", methods=["GET", "POST"])
@require("manage")
def component_new():
    form = _component_form()
    return form_page(form, lambda: domain.create_component(web_actor(), **_component_fields(form)),
                     template="admin/component_form.html", component=None,
                     done=url_for("admin.components"), success="Component “{saved.name}” created.")


@bp.route("/components/<component_id>", methods=["GET", "POST"])
@require("manage")
def component_edit(component_id: str):
    component = _component_or_404(component_id)
    form = _component_form(component)
    return form_page(form, lambda: domain.update_component(
        web_actor(), component.id, expected_revision=expected_revision(form), **_component_fields(form)),
        template="admin/component_form.html", component=component, edited=component,
        done=url_for("admin.components"), success="Component “{saved.name}” saved.")


@bp.post("/components/<component_id>/status")
@require("manage")
def component_status(component_id: str):
    """The quick status select on the list: one change, recorded as manual."""
    component = _component_or_404(component_id)
    form = ComponentStatusForm()
    if not form.validate_on_submit():
        flash(f"Choose one of the listed statuses for “{component.name}”.", "error")
        return redirect(url_for("admin.components"), 303)
    domain.set_component_status(web_actor(), component.id, form.status.data)
    flash(f"“{component.name}” is now {COMPONENT_STATUS_LABEL[form.status.data].lower()}.", "success")
    return redirect(url_for("admin.components", _anchor=f"component-{component.id}"))


def _moved(ids: list[str], object_id: str, direction: str) -> list[str]:
    index = ids.index(object_id)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(ids):
        ids[index], ids[other] = ids[other], ids[index]
    return ids


@bp.post("/components/<component_id>/move")
@require("manage")
def component_move(component_id: str):
    """Move a component one place up or down among its group's components (or the ungrouped ones)."""
    component = _component_or_404(component_id)
    form = MoveForm()
    if form.validate_on_submit():
        siblings = [c.id for c in _components() if c.group_id == component.group_id]
        domain.reorder(web_actor(), "component", _moved(siblings, component.id, form.direction.data))
    return redirect(url_for("admin.components", _anchor=f"component-{component.id}"))


@bp.route("/components/<component_id>/delete", methods=["GET", "POST"])
@require("manage")
def component_delete(component_id: str):
    component = _component_or_404(component_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        domain.delete_component(web_actor(), component.id)
        flash(f"Component “{component.name}” deleted.", "success")
        return redirect(url_for("admin.components"))
    return render_template("admin/component_confirm.html", form=form,
                           what=f"the component “{component.name}”",
                           consequence="Its status history and uptime go with it.",
                           back=url_for("admin.components"))


def _group_form(group: ComponentGroup | None = None) -> GroupForm:
    form = GroupForm(obj=group) if request.method == "GET" and group else GroupForm()
    form.component_ids.choices = [
        (c.id, c.name + (f" (now in {c.group.name})" if c.group and c.group is not group else ""))
        for c in _components()]
    if request.method == "GET" and group is not None:
        form.component_ids.data = [c.id for c in group.components]
        form.revision.data = str(group.revision)
    return form


def _group_fields(form: GroupForm) -> dict:
    return {"name": form.name.data, "description": form.description.data or None,
            "visibility": form.visibility.data, "collapsed": form.collapsed.data,
            "component_ids": form.component_ids.data or []}


@bp.route("/groups/new", methods=["GET", "POST"])
@require("manage")
def group_new():
    form = _group_form()
    return form_page(form, lambda: domain.create_group(web_actor(), **_group_fields(form)),
                     template="admin/group_form.html", group=None,
                     done=url_for("admin.components"), success="Group “{saved.name}” created.")


@bp.route("/groups/<group_id>", methods=["GET", "POST"])
@require("manage")
def group_edit(group_id: str):
    group = _group_or_404(group_id)
    form = _group_form(group)
    return form_page(form, lambda: domain.update_group(
        web_actor(), group.id, expected_revision=expected_revision(form),
        publish_components=form.publish_components.data, **_group_fields(form)),
        template="admin/group_form.html", group=group, edited=group,
        hidden=visibility.hidden_members(group) if group.visibility == "internal" else [],
        done=url_for("admin.components"), success="Group “{saved.name}” saved.")


@bp.post("/groups/<group_id>/move")
@require("manage")
def group_move(group_id: str):
    group = _group_or_404(group_id)
    form = MoveForm()
    if form.validate_on_submit():
        domain.reorder(web_actor(), "group", _moved([g.id for g in _groups()], group.id, form.direction.data))
    return redirect(url_for("admin.components", _anchor=f"group-{group.id}"))


@bp.route("/groups/<group_id>/delete", methods=["GET", "POST"])
@require("manage")
def group_delete(group_id: str):
    group = _group_or_404(group_id)
    hidden = visibility.hidden_members(group) if group.visibility == "internal" else []
    form = GroupDeleteForm()
    if form.validate_on_submit():
        domain.delete_group(web_actor(), group.id,
                            publish_components=bool(hidden and form.publish_components.data))
        flash(f"Group “{group.name}” deleted; its components are now ungrouped.", "success")
        return redirect(url_for("admin.components"))
    consequence = "Its components stay, without a group."
    if hidden:
        consequence += " These stay internal: " + ", ".join(f"“{c.name}”" for c in hidden) + "."
    return render_template("admin/component_confirm.html", form=form, what=f"the group “{group.name}”",
                           consequence=consequence, publish=form.publish_components if hidden else None,
                           back=url_for("admin.components"))

"""Screens and routes generated from app/workflow.py: one POST route per transition (for the
web page and the REST API alike), the application detail page with its status timeline,
pre-check list and the buttons the user may press now, and the queues."""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlparse

from flask import flash, jsonify, redirect, request, url_for
from flask_appbuilder.api import BaseApi
from flask_appbuilder.baseviews import expose
from flask_appbuilder.security.decorators import has_access, permission_name, protect
from flask_babel import gettext as _
from markupsafe import Markup

from ..audit import record
from ..dates import province_today
from ..enums import AuditResult
from ..extensions import db
from ..labels import COLUMN_LABELS
from ..models import ATTACHMENT_KINDS, IMAGE_COLUMNS, StoredFile
from ..scoping import acting_user, may_see_person_files
from ..view_base import file_preview
from ..workflow import BY_NAME, ENTERPRISE_CHECKS, TRANSITIONS, WORKFLOW_PERMISSION_VIEW
from . import api_docs
from .deadlines import is_provisional, working_days_between
from .effects import CORRECTABLE_FIELDS
from .return_answers import change_rows, label, returnable_items
from .rules import run_prechecks
from .transitions import Payload, TransitionError, available, fire


# ---------------------------------------------------------------- the transition routes
def _safe_target(field: str, default: str = "/") -> str:
    """A page of this site named by the form (never another site: an open redirect)."""
    target = request.form.get(field, "")
    parsed = urlparse(target)
    if target.startswith("/") and not target.startswith("//") and "\\" not in target \
            and not parsed.netloc:
        return target
    return default


def _respond(pk: int, name: str):
    # The CSRF token of a cookie-authenticated request is checked before this runs
    # (app/accounts/request_forgery.py), for the web form and the API alike.
    web = request.form.get("web") == "1"
    try:
        payload = Payload.from_mapping(request.form if web else request.get_json(silent=True),
                                       request.form.getlist if web else None)
        decision = fire(pk, name, acting_user(), payload)
    except TransitionError as error:
        if web:
            flash(error.shown(), "danger")
            return redirect(_safe_target("back", _safe_target("next")))  # where it was pressed
        return jsonify(message=error.message, details=error.details), error.status
    if web:
        flash(_("Done: %(action)s.", action=_(decision_label(name))), "success")
        return redirect(_safe_target("next"))  # the application, in its new state
    return jsonify(id=pk, state=decision.to_state.name, decision_id=decision.id), 200


def decision_label(name: str) -> str:
    return next(t.label for t in TRANSITIONS if t.name == name)


def _route_for(transition):
    def route(self, pk: int):
        return _respond(pk, transition.name)

    route.__name__ = f"fire_{transition.name}"
    route = permission_name(transition.permission)(route)
    route = protect(allow_browser_login=True)(route)
    return expose(f"/<int:pk>/{transition.name}", methods=["POST"])(route)


def _refused_by_permission(self):
    """FAB's permission check answers 403 before fire() is reached: record that attempt
    like the ones fire() refuses (app/applications/transitions.py)."""
    name = (request.endpoint or "").rsplit(".fire_", 1)[-1]
    record(f"transition:{name}", object_type="Application",
           object_id=(request.view_args or {}).get("pk"), result=AuditResult.denied,
           detail={"status": 403}, commit=True)
    return BaseApi.response_403(self)


def _operation_helper(self, path=None, operations=None, methods=None, func=None, **kwargs):
    """Each transition route's operation, from the transition table (api_docs.py)."""
    operations["post"] = api_docs.operation(BY_NAME[func.__name__.removeprefix("fire_")])


def _add_components(self, api_spec):
    BaseApi.add_apispec_components(self, api_spec)
    for name, schema in api_docs.components().items():
        if name not in api_spec.components.schemas:
            api_spec.components.schema(name, schema)


WorkflowApi = type("WorkflowApi", (BaseApi,), {
    "__doc__": "POST /api/v1/application/<id>/<transition>: one route per transition.",
    "resource_name": "application",
    "class_permission_name": WORKFLOW_PERMISSION_VIEW,
    "allow_browser_login": True,
    "openapi_spec_tag": "Application workflow",
    "base_permissions": [f"can_{t.permission}" for t in TRANSITIONS],
    "response_403": _refused_by_permission,
    "operation_helper": _operation_helper,
    "add_apispec_components": _add_components,
    **{f"fire_{t.name}": _route_for(t) for t in TRANSITIONS},
})


# ---------------------------------------------------------------- display helpers
def format_deadline(deadline: dt.date | None):
    """The date with the working days left, overdue ones in red."""
    if deadline is None:
        return ""
    today = province_today()
    left = working_days_between(today, deadline)
    if left < 0:
        text = _("%(d)s (overdue by %(n)s working days)", d=deadline, n=-left)
        shown = Markup('<span class="label label-danger">%s</span>') % text
    else:
        text = _("%(d)s (%(n)s working days left)", d=deadline, n=left)
        style = "label-warning" if left <= 2 else "label-default"
        shown = Markup('<span class="label %s">%s</span>') % (style, text)
    if is_provisional(max(deadline, today)):
        shown += Markup(' <span class="label label-info provisional" title="%s">%s</span>') % (
            _("The holidays of %(year)s are not published yet: counted over weekends only.",
              year=max(deadline, today).year), _("provisional"))
    return shown


def format_items(items) -> Markup:
    """A return's items, each with its reason; the label follows the reader's language."""
    if not items:
        return Markup("")
    rows = Markup("").join(
        Markup("<li><strong>%s</strong>：%s</li>") % (
            label(i["key"]) if i.get("key") else i.get("field", ""), i.get("reason", ""))
        for i in items)
    return Markup("<ul>%s</ul>") % rows


# What the applicant wrote besides the columns; everything else in Application.details is
# the system's own (pre-check results, corrections, snapshots) and shown in its own panel.
FILED_DETAILS = ("continuing_education", "change_reason", "cancellation_reason",
                 "correction_reason")


def filed_details(app) -> list[tuple[str, str]]:
    details = app.details or {}
    return [(label(key), str(details[key])) for key in FILED_DETAILS if details.get(key)]


def correction_rows(app) -> list[dict]:
    """What the application replaces in the registry once approved (a data correction, or a
    photo or signature sent in answer to a return): the current value beside the new one."""
    rows = []
    for field, new in ((app.details or {}).get("corrections") or {}).items():
        if field in IMAGE_COLUMNS or field in CORRECTABLE_FIELDS:
            rows.append({"label": COLUMN_LABELS[field.removesuffix("_id")],
                         "image": field in IMAGE_COLUMNS,
                         "old": getattr(app.practitioner, field), "new": new})
    return rows


def applicant_record(app) -> dict:
    """What the enterprise is asked to confirm and the reviewer checks: the person, their
    certificates of this qualification, and the employment with the enterprise."""
    person = app.practitioner
    employments = [e for e in person.employments if e.enterprise_id == app.enterprise_id]
    return {
        "person": person,
        "certificates": [c for c in person.certificates
                         if c.qualification_id == app.qualification_id],
        "employment": max(employments, key=lambda e: (e.end_date is None, e.start_date),
                          default=None),
    }


def attachment_rows(app) -> list[dict]:
    """Documents and notes sent in answer to a return."""
    details = app.details or {}
    files, notes = details.get("attachments") or {}, details.get("answers") or {}
    return [{"label": label(key), "file": db.session.get(StoredFile, files[key]) if key in files
             else None, "note": notes.get(key, "")} for key in ATTACHMENT_KINDS
            if key in files or key in notes]


class ApplicationDetailMixin:
    """The detail page of an application, whichever role's view shows it.

    After a button is pressed the user lands on the application in `after_action_view`,
    which shows it in every state: a queue's own page would answer 404 once the application
    has moved on."""

    show_template = "application_show.html"
    after_action_view = "ApplicationAdminView"

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        pk = self._deserialize_pk_if_composite(pk)
        widgets = self._show(pk)  # answers 404 outside the view's scope
        item = self.datamodel.get(pk, self._base_filters)
        return self.render_template(
            self.show_template, pk=pk, title=self.show_title, widgets=widgets,
            related_views=self._related_views, application=item,
            transitions=available(item, acting_user().id), prechecks=run_prechecks(item),
            checks=ENTERPRISE_CHECKS, returnable=returnable_items(item),
            deadline=format_deadline(item.deadline), format_items=format_items,
            action_url=lambda t: url_for(f"WorkflowApi.fire_{t.name}", pk=item.id),
            after_action=url_for(f"{self.after_action_view}.show", pk=item.id),
            transition_label=decision_label, item_label=label,
            details=filed_details(item), corrections=correction_rows(item),
            changes=change_rows(item), attachments=attachment_rows(item),
            applicant=applicant_record(item), file_preview=file_preview,
            files_visible=may_see_person_files([item.practitioner_id]),
            answer_url=url_for("MyApplicationView.answer", pk=item.id)
            if self.after_action_view == "MyApplicationView" else None,
        )

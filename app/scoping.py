"""The one place that decides whose rows a user may see. Views use these functions in
FAB base_filters, so a row outside one's scope is simply not found (404), exactly like
an id that does not exist."""
from __future__ import annotations

from flask import abort, current_app, flash, g, has_request_context, redirect, request
from flask_appbuilder import ModelView
from flask_appbuilder.baseviews import expose
from flask_babel import gettext
from sqlalchemy import select

from .extensions import db
from .models import EnterpriseUser, Practitioner

# Matches no row: an account without a practitioner or enterprise record sees nothing.
NOBODY = -1


def acting_user():
    """The signed-in user, by session cookie or by API token (FAB resolves both)."""
    if not has_request_context():
        return None
    return current_app.appbuilder.sm.current_user


def current_user_id() -> int:
    user = acting_user()
    return user.id if user is not None else NOBODY


def _once_per_request(name: str, column, user_column) -> int:
    """A base filter is applied twice per list page (the count and the rows) and again by
    the row buttons: ask the database once per request and user, in flask.g (which ends
    with the request, so a change of employer applies from the next one)."""
    user_id = current_user_id()
    cache = g.setdefault("scope_ids", {}) if has_request_context() else {}
    if (name, user_id) not in cache:
        found = db.session.scalar(select(column).where(user_column == user_id))
        cache[(name, user_id)] = found if found is not None else NOBODY
    return cache[(name, user_id)]


def current_practitioner_id() -> int:
    return _once_per_request("practitioner", Practitioner.id, Practitioner.user_id)


def current_enterprise_id() -> int:
    return _once_per_request("enterprise", EnterpriseUser.enterprise_id,
                             EnterpriseUser.user_id)


def may_see_person_files(practitioner_ids) -> bool:
    """Whether the signed-in user may see the photo, signature and scans of any of these
    people: the person, the authority, and the staff of an enterprise one of their
    applications is addressed to (it verifies them, domain.md section 2)."""
    ids = {i for i in practitioner_ids if i is not None}
    if not ids:
        return False
    if current_practitioner_id() in ids:
        return True
    if current_app.appbuilder.sm.has_access("can_list", "PractitionerAdminView"):
        return True
    from .models import Application

    return db.session.scalar(select(Application.id).where(
        Application.practitioner_id.in_(ids),
        Application.enterprise_id == current_enterprise_id()).limit(1)) is not None


class Refused(Exception):
    """A business rule refused a change; the message is shown to the user as is."""


class MetOtherwise(Exception):  # noqa: N818 - not an error
    """Not an error: what the form asked for was met by an existing row (`row_id`), so
    nothing is added; the message says how."""

    def __init__(self, message: str, row_id: int):
        super().__init__(message)
        self.row_id = row_id


def refuse(message: str) -> None:
    """Undo what the form already wrote into the session, then stop with a message."""
    db.session.rollback()
    if has_request_context():
        g.refused = True  # the form view shows the input again (view_base.BaseView.form_again)
    raise Refused(message)


class ScopedModelView(ModelView):
    """A ModelView whose actions honour base_filters too: FAB's own action routes look rows
    up without them, which would let an id in the URL act on someone else's record."""

    def _scoped_get(self, pk):
        item = self.datamodel.get(self._deserialize_pk_if_composite(pk), self._base_filters)
        if item is None:
            abort(404)
        return item

    @expose("/action/<string:name>/<pk>", methods=["POST"])
    def action(self, name, pk):
        return self._run_action(name, self._scoped_get(pk))

    @expose("/action_post", methods=["POST"])
    def action_post(self):
        items = [self._scoped_get(pk) for pk in request.form.getlist("rowid")]
        return self._run_action(request.form.get("action", ""), items)

    def _run_action(self, name, target):
        action_ = self.actions.get(name)
        if action_ is None:
            abort(404)
        permission = self.get_action_permission_name(name)
        if not current_app.appbuilder.sm.has_access(permission, self.class_permission_name):
            flash(gettext("You are not allowed to do this."), "danger")
            return redirect(self.get_redirect())
        return action_.func(target)


__all__ = [
    "NOBODY",
    "MetOtherwise",
    "Refused",
    "ScopedModelView",
    "current_enterprise_id",
    "current_practitioner_id",
    "current_user_id",
    "may_see_person_files",
    "refuse",
]

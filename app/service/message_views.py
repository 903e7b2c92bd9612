"""The message centre (个人消息): each user's own messages, unread first; opening one marks it
read; one button marks them all read; the navigation bar shows how many are unread."""
from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_appbuilder import expose
from flask_appbuilder.models.sqla.filters import FilterEqualFunction
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import case, update

from ..dates import local_time
from ..extensions import db
from ..models import Notification
from ..notifications import now, unread_count
from ..scoping import current_user_id
from ..view_base import READ, BaseView, RegistryInterface


class NotificationInterface(RegistryInterface):
    """Unread first, then newest first, unless the user sorts by a column."""

    def apply_order_by(self, query, order_column, order_direction, *args, **kwargs):
        # FAB makes interfaces of related models with this class (the API's _info lists the
        # accounts a message could belong to): those keep their own order.
        if order_column or self.obj is not Notification:
            return super().apply_order_by(query, order_column, order_direction, *args, **kwargs)
        return query.order_by(case((Notification.read_at.is_(None), 0), else_=1),
                              Notification.created_at.desc(), Notification.id.desc())


def _safe_target(link: str | None) -> str | None:
    """Only the site's own pages: a message never sends anyone elsewhere."""
    if link and link.startswith("/") and not link.startswith("//") and "\\" not in link:
        return link
    return None


def _format_link(link):
    target = _safe_target(link)
    if target is None:
        return ""
    return Markup('<a class="btn btn-sm btn-primary" href="%s">%s</a>') % (
        target, gettext("Open"))


def _format_body(body):
    """Line breaks kept, every line escaped."""
    return Markup("<br>").join(escape(line) for line in (body or "").splitlines())


def _format_read_at(read_at):
    if read_at is None:
        return Markup('<span class="label label-warning">%s</span>') % gettext("Unread")
    return local_time(read_at)


class MyNotificationView(BaseView):
    datamodel = NotificationInterface(Notification)
    base_filters = [["user_id", FilterEqualFunction, current_user_id]]
    base_permissions = READ
    list_title = show_title = _l("Messages")
    list_columns = ["title", "created_at", "read_at"]
    show_columns = ["title", "body", "link", "created_at"]
    search_columns = ["title", "read_at", "created_at"]
    formatters_columns = {"link": _format_link, "read_at": _format_read_at,
                          "body": _format_body}
    list_template = "notification_list.html"

    def _show(self, pk):
        widgets = super()._show(pk)  # 404 for another user's message
        _mark_read(Notification.id == int(pk))
        return widgets

    @expose("/open/<int:pk>")
    @has_access
    @permission_name("show")
    def open(self, pk):
        """Mark one message read and go to what it is about."""
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            abort(404)
        target = _safe_target(item.link) or url_for(f"{type(self).__name__}.show", pk=pk)
        _mark_read(Notification.id == pk)
        return redirect(target)

    @expose("/read_all", methods=["POST"])
    @has_access
    @permission_name("list")
    def read_all(self):
        count = _mark_read()
        flash(gettext("%(n)s messages marked as read.", n=count), "success")
        return redirect(url_for(f"{type(self).__name__}.list"))


def _mark_read(*where) -> int:
    """Mark the signed-in user's unread messages (those matching `where`) read."""
    done = db.session.execute(
        update(Notification)
        .where(Notification.user_id == current_user_id(), Notification.read_at.is_(None), *where)
        .values(read_at=now()).execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return done


def unread_message_count() -> int:
    """For the navigation bar; 0 for visitors."""
    if not current_user or current_user.is_anonymous:
        return 0
    return unread_count(current_user.id)


def register(app) -> None:
    app.jinja_env.globals["unread_message_count"] = unread_message_count

"""An enterprise administrator adds and disables the accounts of its own staff; nobody else's."""
from __future__ import annotations

from flask import current_app, flash, redirect, url_for
from flask_appbuilder.actions import action
from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget, BS3TextFieldWidget
from flask_appbuilder.models.sqla.filters import FilterEqualFunction
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length, Regexp

from ..audit import record
from ..extensions import db
from ..models import EnterpriseUser
from ..scoping import current_enterprise_id, current_user_id, refuse
from ..security import ROLES
from ..view_base import READ, BaseView, RegistryInterface, yes_no
from .password_change import require_change
from .passwords import RULES as PASSWORD_RULES
from .passwords import StrongPassword
from .signup_views import EMAIL_TAKEN, account_email, contact_email_field


def _i_am_admin() -> bool:
    return bool(db.session.scalar(select(EnterpriseUser.is_admin).where(
        EnterpriseUser.user_id == current_user_id())))


class EnterpriseStaffView(BaseView):
    datamodel = RegistryInterface(EnterpriseUser)
    base_filters = [["enterprise_id", FilterEqualFunction, current_enterprise_id]]
    base_permissions = READ + ["can_add"]
    list_title = _l("Our accounts")
    list_columns = ["user.username", "user.first_name", "is_admin", "active"]
    show_columns = list_columns
    label_columns = {**BaseView.label_columns, "user.username": _l("User name"),
                     "user.first_name": _l("Real name"), "active": _l("Enabled")}
    formatters_columns = {"active": yes_no}
    add_columns = ["username", "full_name", "email", "password"]
    add_form_extra_fields = {
        "username": StringField(_l("User name"), [
            DataRequired(), Regexp(r"^[A-Za-z0-9_.-]{4,32}$",
                                   message=_l("4 to 32 letters, digits, dot, dash or underscore."))],
            description=_l("The name the colleague logs in with: 4 to 32 letters, digits, dot, "
                           "dash or underscore."), widget=BS3TextFieldWidget()),
        "full_name": StringField(_l("Real name"), [DataRequired(), Length(max=32)],
                                 widget=BS3TextFieldWidget()),
        "email": contact_email_field(_l("Optional. Copies of the colleague's messages are "
                                        "e-mailed here."), widget=BS3TextFieldWidget()),
        "password": PasswordField(_l("Initial password"), [DataRequired(), StrongPassword("username")],
                                  description=_l("%(rules)s The colleague chooses a new one at "
                                                 "the first login.", rules=PASSWORD_RULES),
                                  widget=BS3PasswordFieldWidget()),
    }

    def pre_add(self, item):
        if not _i_am_admin():
            refuse(_("Only the enterprise administrator can manage accounts."))
        sm = current_app.appbuilder.sm
        if sm.find_user(username=item.username) is not None:
            refuse(_("This user name is taken; choose another."))
        email = account_email(item.email)
        if email is None:
            refuse(str(EMAIL_TAKEN))
        user = sm.add_user(item.username, item.full_name.strip(), "", email,
                           sm.find_role(ROLES["enterprise"].name), password=item.password)
        if not user:
            refuse(_("The data could not be saved. Please check it and try again."))
        item.user_id, item.enterprise_id, item.is_admin = user.id, current_enterprise_id(), False
        require_change(user.id)  # the enterprise administrator chose it

    def post_add_redirect(self):
        return self.form_again("add") or redirect(url_for(".list"))

    def _set_active(self, items, active: bool):
        items = items if isinstance(items, list) else [items]
        if not _i_am_admin():
            flash(_("Only the enterprise administrator can manage accounts."), "danger")
        elif any(link.user_id == current_user_id() for link in items):
            flash(_("You cannot disable your own account."), "danger")
        else:
            for link in items:
                link.user.active = active
                record("enable" if active else "disable", object_type="User",
                       object_id=link.user_id)
            db.session.commit()
            flash(_("Accounts enabled.") if active else _("Accounts disabled."), "success")
        return redirect(self.get_redirect())

    @action("disable", _l("Disable"), _l("Disable the selected accounts?"), "fa-ban")
    def disable(self, items):
        return self._set_active(items, False)

    @action("enable", _l("Enable"), _l("Enable the selected accounts?"), "fa-check")
    def enable(self, items):
        return self._set_active(items, True)

"""FAB's security manager and its screens, as this app uses them: the login lockout, the
code step of two-factor login (two_factor_views), the logout that ends every session,
forced password changes, and FAB's account, role and permission screens in words instead
of Python values (roles themselves are data in app/security.py)."""
from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_appbuilder.actions import action
from flask_appbuilder.baseviews import expose
from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
from flask_appbuilder.security import forms as fab_forms
from flask_appbuilder.security import views as fab_views
from flask_appbuilder.security.decorators import has_access, no_cache
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.sqla.models import User
from flask_appbuilder.utils.base import get_safe_redirect
from flask_appbuilder.widgets import ListWidget, ShowWidget
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from werkzeug.security import check_password_hash
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from ..audit import AuditedLogins, AuditedSecurityViews, record
from ..enums import AuditResult
from ..view_base import ListInterface, NoFileDownloads, yes_no
from . import permission_labels, two_factor_views
from .lookups import LookupViews, accounts
from .request_permissions import PermissionsOncePerRequest


class UnknownActionIs404:
    """FAB looks an action up by the name posted and fails with a 500 on an unknown one."""

    def get_action_permission_name(self, name: str) -> str:
        if name not in self.actions:
            abort(404)
        return super().get_action_permission_name(name)


def _on_found_records(action):
    """FAB's action routes hand an action the record of an id, None for a missing one, and
    a list-only action (copy role: single=False) the one record of the detail page's route
    as it is; each was a 500. A missing record or such a call answers 404."""
    func = action.func

    def run(items):
        if isinstance(items, list):
            if not items or any(item is None for item in items):
                abort(404)
        elif items is None or not action.single:
            abort(404)
        return func(items)

    return run


class SecurityScreen(AuditedSecurityViews, UnknownActionIs404, NoFileDownloads):
    """What this app adds to each of FAB's account, role and permission screens."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for screen_action in self.actions.values():
            screen_action.func = _on_found_records(screen_action)

    def _init_properties(self):
        super()._init_properties()
        if isinstance(self.datamodel, ListInterface):
            self.datamodel.show_in_list(self.list_columns)


def _names(rows) -> str:
    return "、".join(str(row) for row in rows or [])


# Same class names as FAB's, so the permission names stay FAB's. FAB's screens show Python
# values ("True", "[执业人员]", "[]") and raw permission strings; these read as the rest.
class UserDBModelView(SecurityScreen, fab_views.UserDBModelView):
    # first_name holds the whole name: a Chinese name is not split into given and family
    # name here, and FAB's required last_name stays empty.
    label_columns = {**fab_views.UserDBModelView.label_columns, "first_name": _l("Real name"),
                     "active": _l("Enabled")}
    description_columns = {**fab_views.UserDBModelView.description_columns,
                           "first_name": _l("The person's full name, as screens show it"),
                           "username": _l("The name the person logs in with"),
                           "email": _l("The person's e-mail address")}
    list_columns = ["first_name", "username", "email", "active", "roles"]
    search_columns = ["first_name", "username", "email", "active", "roles"]
    add_columns = ["first_name", "username", "active", "email", "roles", "groups", "password",
                   "conf_password"]
    edit_columns = ["first_name", "username", "active", "email", "roles", "groups"]
    show_fieldsets = [(title, {**spec, "fields": [f for f in spec["fields"] if f != "last_name"]})
                      for title, spec in fab_views.UserDBModelView.show_fieldsets]
    user_show_fieldsets = [
        (title, {**spec, "fields": [f for f in spec["fields"] if f != "last_name"]})
        for title, spec in fab_views.UserDBModelView.user_show_fieldsets]

    def pre_add(self, item):
        super().pre_add(item)
        item.last_name = item.last_name or ""
    formatters_columns = {"active": yes_no, "roles": _names, "groups": _names}

    @expose("/userinfo/")
    @has_access
    def userinfo(self):
        """FAB's account page, with a button to one's two-factor page beside FAB's two."""
        actions = {name: self.actions.get(name)
                   for name in ("resetmypassword", "userinfoedit", "twofactor")}
        widgets = self._get_show_widget(g.user.id, self.datamodel.get(g.user.id, self._base_filters),
                                        actions=actions, show_fieldsets=self.user_show_fieldsets)
        self.update_redirect()
        return self.render_template(self.show_template, title=self.user_info_title,
                                    widgets=widgets, appbuilder=self.appbuilder)

    @action("twofactor", _l("Two-factor authentication"), "", "fa-mobile", multiple=False)
    def twofactor(self, item):
        return redirect(url_for("TwoFactorView.index"))

    def post_add(self, item):
        super().post_add(item)
        from .password_change import require_change

        require_change(item.id)  # the administrator chose it: the user must replace it


class UserInfoEditForm(fab_forms.UserInfoEdit):
    """One's own account name: the whole name in one field (see UserDBModelView)."""

    first_name = StringField(_l("Real name"), [DataRequired(), Length(max=64)],
                             widget=BS3TextFieldWidget())
    last_name = None


class UserInfoEditView(fab_views.UserInfoEditView):
    form = UserInfoEditForm


class ResetPasswordView(fab_views.ResetPasswordView):
    """An administrator resets someone's password: that person must then choose their own."""

    def form_post(self, form):
        from flask import request

        from .password_change import require_change

        super().form_post(form)
        require_change(request.args.get("pk"))


class ResetMyPasswordView(fab_views.ResetMyPasswordView):
    def form_post(self, form):
        from flask import g

        from .password_change import changed
        from .sessions import keep_this_session

        super().form_post(form)
        changed(g.user.id)
        keep_this_session(g.user.id)  # the password change ended the account's other sessions


def system_role_names(sm) -> set[str]:
    """The roles app/security.py owns (ROLES, made to match by `flask roles sync` at every
    start) and FAB's own two: their permissions are code, so the role screen only shows them."""
    from ..security import ROLES

    return {spec.name for spec in ROLES.values()} | {sm.auth_role_admin, sm.auth_role_public}


class RoleModelView(LookupViews, SecurityScreen, fab_views.RoleModelView):
    """Each role's permissions grouped by screen, under the screens' own titles. The system
    roles are read-only here: an edit would be undone by the next `flask roles sync`, so the
    screen refuses it and says why; custom roles added here are the security administrator's
    and sync never touches them (docs/security.md)."""

    label_columns = {**fab_views.RoleModelView.label_columns, "user": _l("Users"),
                     "groups": _l("Groups")}

    list_widget = ListWidget
    show_widget = ShowWidget
    # The search by user: every person has an account, so typed, not listed.
    lookups = {"user": accounts(User)}

    def _role_name(self, name):
        shown = Markup('<span class="text-nowrap">%s</span>') % name
        if name in system_role_names(self.appbuilder.sm):
            shown += Markup(' <span class="label label-default system-role" title="%s">%s</span>'
                            ) % (_("Defined by the system; restored at every start"),
                                 _("system role, read-only"))
        return shown

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.formatters_columns = {"permissions": permission_labels.screens_summary,
                                   "name": self._role_name}

    def _system_role_refusal(self, item) -> str | None:
        if item is not None and item.name in system_role_names(self.appbuilder.sm):
            return _("“%(name)s” is a system role: its permissions are defined by the system "
                     "and restored at every start, so they cannot be changed here. For a "
                     "different set of permissions, add a custom role: custom roles are never "
                     "changed at start.", name=item.name)
        return None

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        item = self.datamodel.get(self._deserialize_pk_if_composite(pk), self._base_filters)
        refusal = self._system_role_refusal(item)
        if refusal:
            flash(refusal, "warning")
            return redirect(url_for(".show", pk=item.id))
        return super().edit(pk)

    def pre_delete(self, item):
        refusal = self._system_role_refusal(item)
        if refusal:
            raise ValueError(refusal)  # FAB shows the message and deletes nothing
        super().pre_delete(item)

    def _get_show_widget(self, pk, item, widgets=None, actions=None, show_fieldsets=None):
        """FAB's, with the whole table of permissions instead of the list's summary."""
        widgets = widgets or {}
        widgets["show"] = self.show_widget(
            pk=pk, label_columns=self.label_columns, include_columns=self.show_columns,
            value_columns=self.datamodel.get_values_item(item, self.show_columns),
            formatters_columns={**self.formatters_columns,
                                "permissions": permission_labels.permissions_table},
            actions=actions or self.actions, fieldsets=show_fieldsets or self.show_fieldsets,
            modelview_name=self.__class__.__name__)
        return widgets

    def _init_forms(self):
        super()._init_forms()
        for form_class in (self.add_form, self.edit_form, self.search_form):
            if hasattr(form_class, "permissions"):
                form_class.permissions.kwargs["get_label"] = permission_labels.permission_label


# FAB's permission tables: each name in words, with the name itself beside it.
class PermissionModelView(SecurityScreen, fab_views.PermissionModelView):
    formatters_columns = {"name": permission_labels.permission_name_text}


class ViewMenuModelView(SecurityScreen, fab_views.ViewMenuModelView):
    formatters_columns = {"name": permission_labels.view_name_text}


class PermissionViewModelView(SecurityScreen, fab_views.PermissionViewModelView):
    label_columns = {**fab_views.PermissionViewModelView.label_columns, "role": _l("Roles")}
    formatters_columns = {"permission": lambda p: permission_labels.permission_name_text(p.name),
                          "view_menu": lambda v: permission_labels.view_name_text(v.name)}

    def _init_forms(self):
        super()._init_forms()
        labels = {"permission": lambda p: permission_labels.permission_name_text(p.name).striptags(),
                  "view_menu": lambda v: permission_labels.view_name_text(v.name).striptags()}
        for name, get_label in labels.items():
            if hasattr(self.search_form, name):
                getattr(self.search_form, name).kwargs["get_label"] = get_label


class UserGroupModelView(SecurityScreen, fab_views.UserGroupModelView):
    label_columns = {"name": _l("Name"), "label": _l("Label"), "description": _l("Description"),
                     "users": _l("Users"), "roles": _l("Roles")}
    formatters_columns = {"users": _names, "roles": _names}


class AuthDBView(fab_views.AuthDBView):
    """FAB's password login page with the ways in for people who have no account yet."""

    login_template = "login.html"
    # One message for an unknown user, a wrong password and a locked account: the login
    # page must not tell which accounts exist or are locked.
    invalid_login_message = _l("Wrong user name or password, or the account is temporarily locked.")

    @expose("/login/", methods=["GET", "POST"])
    @no_cache
    def login(self):
        """FAB's, but a right password leads to the code step of an enrolled account
        (two_factor_views.after_password) instead of signing in at once."""
        if g.user is not None and g.user.is_authenticated:
            return redirect(self._get_safe_next_url())
        form = fab_forms.LoginForm_db()
        if form.validate_on_submit():
            next_url = get_safe_redirect(request.args.get("next", ""))
            user = self.appbuilder.sm.auth_user_db(form.username.data, form.password.data)
            if not user:
                flash(str(self.invalid_login_message), "warning")
                return redirect(self.appbuilder.get_url_for_login_with(next_url))
            return two_factor_views.after_password(user, next_url)
        return self.render_template(self.login_template, title=self.title, form=form,
                                    appbuilder=self.appbuilder)

    @expose("/logout/")
    def logout(self):
        """Logging out ends every session of the account, copies of the cookie included."""
        from flask_login import current_user

        from .sessions import end_all_sessions

        if current_user.is_authenticated:
            end_all_sessions(current_user.id)
        return super().logout()


class RegistrySecurityManager(PermissionsOncePerRequest, AuditedLogins, SecurityManager):
    """FAB's SQLA security manager; account protection hooks are added here (issue 6)."""

    authdbview = AuthDBView
    userdbmodelview = UserDBModelView
    resetpasswordview = ResetPasswordView
    userinfoeditview = UserInfoEditView
    resetmypasswordview = ResetMyPasswordView
    rolemodelview = RoleModelView
    permissionmodelview = PermissionModelView
    viewmenumodelview = ViewMenuModelView
    permissionviewmodelview = PermissionViewModelView
    groupmodelview = UserGroupModelView
    security_api = two_factor_views.SecurityApi  # asks enrolled accounts for their code
    # FAB's user statistics chart loads Google Charts from the internet.
    userstatschartview = None

    def __init__(self, appbuilder):
        """FAB's, with its screens' data interfaces loading each list's relations with the
        rows (the account list loaded every account's roles one by one)."""
        super().__init__(appbuilder)
        for view in (self.userdbmodelview, self.rolemodelview, self.groupmodelview,
                     self.permissionmodelview, self.viewmenumodelview,
                     self.permissionviewmodelview):
            view.datamodel = ListInterface(view.datamodel.obj, view.datamodel.session)

    def load_user(self, pk):
        """FAB's, with the request's account checks read in the same query."""
        from . import request_account

        return request_account.load_user(self, pk)

    def create_jwt_manager(self, app):
        """FAB's JWT manager; its tokens end with the account's sessions (issue 14)."""
        from . import api_tokens

        jwt_manager = super().create_jwt_manager(app)
        api_tokens.register(jwt_manager)
        return jwt_manager

    # ------------------------------------------------------------ login lockout (issue 6)

    def register_views(self):
        """FAB limits its login form (AUTH_RATE_LIMITED) but not the API token login, which
        checks passwords just the same; give that the same limit."""
        super().register_views()
        if self.is_auth_limited:
            for view in self.appbuilder.baseviews:
                if isinstance(view, self.security_api):
                    self.limiter.limit(self.auth_rate_limit, methods=["POST"])(view.blueprint)

    def auth_user_db(self, username, password):
        """FAB's password check, refused outright while the account is locked. Every
        failure costs one password hash (FAB hashes a dummy for unknown names) and the same
        database work (an update of an account, the audit row, the lockout's statement), so
        the answer takes as long whichever way it fails (bench/login_timing.py)."""
        from . import lockout, two_factor

        candidate = self._login_candidate(username)
        if candidate is not None and lockout.is_locked(candidate.id):
            check_password_hash(current_app.config["AUTH_DB_FAKE_PASSWORD_HASH_CHECK"],
                                password or "")
            self.noop_user_update(candidate)
            lockout.record_nothing(candidate.id)
            return self._refused_while_locked(candidate)
        user = super().auth_user_db(username, password)
        if user is not None:
            # With two factors the failure count is cleared by the right code, not here.
            if not two_factor.is_enrolled(user.id) and lockout.record_success(user.id) is False:
                return self._refused_while_locked(user)  # a parallel failure locked it meanwhile
        elif candidate is not None:
            lockout.record_failure(candidate.id)
        elif (first_user := self.get_first_user()) is not None:
            # An unknown name: the database work of a wrong password's count.
            lockout.record_nothing(first_user.id)
        return user

    @staticmethod
    def _refused_while_locked(user):
        record("login", object_type="User", object_id=user.id, actor=user, commit=True,
               result=AuditResult.denied, detail={"reason": "account locked"})
        return None

    def noop_user_update(self, user) -> None:
        """FAB balances the failed login of an unknown name with one UPDATE of the first
        account; a wrong password costs FAB's whole update_user (loads, merge, flush,
        signals): do that too, changing nothing, so that both cost about the same."""
        super().noop_user_update(user)
        self.update_user(user)

    def _login_candidate(self, username):
        """The account a login names, found the way FAB finds it (user name, then e-mail)."""
        if not username:
            return None
        return self.find_user(username=username) or self.find_user(email=username)

"""Roles as data, and their sync into FAB's permission tables.

Each role lists the views it may use and what it may do there. Menu access follows from
the grants: a role that may list a view sees that view's menu item and its category, and
no other. `flask roles sync` (run by scripts/run.sh and at first start) makes the database
match this table exactly, adding and removing permissions."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import abort, current_app
from flask_appbuilder.baseviews import expose
from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
from flask_appbuilder.security import forms as fab_forms
from flask_appbuilder.security import views as fab_views
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.widgets import ListWidget, ShowWidget
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from werkzeug.security import check_password_hash
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from . import permission_labels
from .audit import AuditedLogins, AuditedSecurityViews
from .view_base import yes_no
from .workflow import WORKFLOW_PERMISSION_VIEW, permissions_for

READ = ("can_list", "can_show")
READ_EDIT = READ + ("can_edit",)
READ_ADD_EDIT = READ + ("can_add", "can_edit")
FULL = READ_ADD_EDIT + ("can_delete",)
FORM = ("can_this_form_get", "can_this_form_post")
API_READ_WRITE = ("can_get", "can_info", "can_post", "can_put")

# What every signed-in person may do: their own account page and password (the buttons on
# that page are FAB's actions, named bare), messages, Q&A.
SIGNED_IN = {
    "UserDBModelView": ("can_userinfo", "resetmypassword"),
    "ResetMyPasswordView": FORM,
    "MyNotificationView": READ,
    "MyConsultationView": READ + ("can_add",),
}
# Editing one's own account name; not for practitioners, whose account carries the name of
# the real-name sign-up (corrected only by a data correction application).
OWN_ACCOUNT_NAME = {"UserDBModelView": ("userinfoedit",), "UserInfoEditView": FORM}

# Authority staff, reviewers and approvers alike, answer questions and publish FAQ entries:
# questions come in about every stage, including decisions.
CONSULTATION_STAFF = {
    "ConsultationQueueView": READ_EDIT,
    "ConsultationAdminView": READ_EDIT,
    "FaqPublishView": READ_EDIT,
}


@dataclass(frozen=True)
class RoleSpec:
    name: str  # the role's name in FAB's tables and on screen
    description: str
    grants: dict[str, tuple[str, ...]] = field(default_factory=dict)
    edits_own_name: bool = True

    def permissions(self) -> set[tuple[str, str]]:
        # A role's grants on a view add to what everyone signed in has there.
        common = (SIGNED_IN, OWN_ACCOUNT_NAME) if self.edits_own_name else (SIGNED_IN,)
        return {(perm, view) for grants in (*common, self.grants)
                for view, perms in grants.items() for perm in perms}


ROLES: dict[str, RoleSpec] = {
    "practitioner": RoleSpec(
        "执业人员",
        "二级执业人员：入库登记、注册申请、打印本人电子证书",
        {
            "RegistryEntryView": ("can_index", "can_details", "can_upload", "can_submit",
                                  "can_file"),
            "MyProfileView": READ_EDIT,
            "MyQualificationCertificateView": READ + ("can_add", "can_delete"),
            "MyApplicationView": FULL,
            "ApplicationFormView": ("can_add", "can_edit"),
            "MyRegistrationView": READ + ("certificate",),  # FAB names actions bare
        },
        edits_own_name=False,
    ),
    "enterprise": RoleSpec(
        "企业用户",
        "聘用企业经办人：核实并上报本企业人员的申请",
        {
            "EnterpriseDashboardView": ("can_index",),
            # The photo, signature and scans of applicants addressed to the enterprise.
            "RegistryEntryView": ("can_file",),
            "OwnEnterpriseView": READ_EDIT,
            "EnterpriseQueueView": READ,
            "EnterpriseApplicationView": READ,
            "EnterpriseEmploymentView": READ_EDIT,
            "EnterpriseRegistrationView": READ,
            "EnterpriseStaffView": READ + ("can_add", "disable", "enable"),  # FAB names actions bare
        },
    ),
    "reviewer": RoleSpec(
        "审查人员",
        "注册管理部门：受理、审查申请，维护资格库与企业库",
        {
            "DashboardView": ("can_index",),
            "AcceptanceQueueView": READ,
            "ReviewQueueView": READ,
            "RegistryEntryView": ("can_file",),
            "ApplicationAdminView": READ,
            "DecisionView": READ,
            "RegistrationAdminView": READ + ("can_export",),
            "RegistrationSpecialtyView": READ,
            "PractitionerAdminView": READ_ADD_EDIT,
            "QualificationCertificateAdminView": READ_ADD_EDIT,
            "RosterImportView": ("can_upload", "can_confirm", "can_template"),
            "EnterpriseAdminView": READ_ADD_EDIT,
            "EmploymentAdminView": READ,
            "CertificateAdminView": READ,
            **CONSULTATION_STAFF,
            "QualificationTypeView": READ,
            "SpecialtyView": READ,
            "PractitionerApi": API_READ_WRITE,
            "EnterpriseApi": API_READ_WRITE,
        },
    ),
    "approver": RoleSpec(
        "审批人员",
        "注册管理部门：作出准予或不予注册的决定",
        {
            "DashboardView": ("can_index",),
            "DecisionQueueView": READ,
            "RegistryEntryView": ("can_file",),
            "ApplicationAdminView": READ,
            "DecisionView": READ,
            "RegistrationAdminView": READ + ("can_export",),
            "RegistrationSpecialtyView": READ,
            "PractitionerAdminView": READ,
            "QualificationCertificateAdminView": READ,
            "EnterpriseAdminView": READ,
            "EmploymentAdminView": READ,
            "CertificateAdminView": READ,
            **CONSULTATION_STAFF,
            "QualificationTypeView": READ,
            "SpecialtyView": READ,
        },
    ),
    "sysadmin": RoleSpec(
        "系统管理员",
        "三员之一：管理账号与基础数据，不管理角色权限，不查看审计日志",
        {
            "UserDBModelView": FULL + ("resetpasswords",),  # FAB names actions bare
            "ResetPasswordView": FORM,
            "EnterpriseUserAdminView": FULL,
            "QualificationTypeView": READ_EDIT,
            "SpecialtyView": READ_ADD_EDIT,
        },
    ),
    "secadmin": RoleSpec(
        "安全管理员",
        "三员之一：管理角色与权限策略，不管理账号，不查看审计日志",
        {
            "RoleModelView": READ + ("can_edit",),
            "PermissionModelView": ("can_list",),
            "ViewMenuModelView": ("can_list",),
            "PermissionViewModelView": ("can_list",),
        },
    ),
    "auditor": RoleSpec(
        "审计管理员",
        "三员之一：查阅审计日志，不能修改任何数据",
        {"AuditLogView": READ},
    ),
}


# Each role's workflow permissions come from the transition table, not from this file.
for _key, _spec in ROLES.items():
    if permissions_for(_key):
        _spec.grants[WORKFLOW_PERMISSION_VIEW] = permissions_for(_key)


class UnknownPermission(LookupError):
    """A role grants a permission no registered view offers (a typo in ROLES)."""


def role_name(code: str) -> str:
    return ROLES[code].name


def _menu_names_by_view(appbuilder) -> dict[tuple[str, str], set[str]]:
    """(permission of the view's landing page, view) -> the menu item and category names
    that lead to it."""
    found: dict[tuple[str, str], set[str]] = {}
    for category in appbuilder.menu.get_list():
        items = category.childs or [category]
        for item in items:
            view = item.baseview
            if view is not None:
                key = (f"can_{view.default_view}", view.class_permission_name)
                names = found.setdefault(key, set())
                names.add(item.name)
                if item is not category:
                    names.add(category.name)
    return found


def wanted_permissions(appbuilder, spec: RoleSpec) -> set[tuple[str, str]]:
    """The role's grants plus the menus of the pages it may open."""
    pairs = spec.permissions()
    for landing, names in _menu_names_by_view(appbuilder).items():
        if landing in pairs:
            pairs.update(("menu_access", name) for name in names)
    return pairs


def sync_roles(appbuilder) -> dict[str, tuple[int, int]]:
    """Make FAB's tables match ROLES; return {role: (added, removed)}."""
    sm = appbuilder.sm
    sm.add_role(sm.auth_role_admin)  # FAB grants it every permission it registers
    sm.add_role(sm.auth_role_public)
    appbuilder.add_permissions(update_perms=True)
    report = {}
    for spec in ROLES.values():
        role = sm.add_role(spec.name)
        wanted = wanted_permissions(appbuilder, spec)
        current = {(pv.permission.name, pv.view_menu.name): pv for pv in role.permissions}
        added = removed = 0
        for perm, view in sorted(wanted - current.keys()):
            pv = sm.find_permission_view_menu(perm, view)
            if pv is None:
                raise UnknownPermission(f"role {spec.name}: no permission {perm} on {view}")
            sm.add_permission_role(role, pv)
            added += 1
        for key in sorted(current.keys() - wanted):
            sm.del_permission_role(role, current[key])
            removed += 1
        report[spec.name] = (added, removed)
    return report


class UnknownActionIs404:
    """FAB looks an action up by the name posted and fails with a 500 on an unknown one."""

    def get_action_permission_name(self, name: str) -> str:
        if name not in self.actions:
            abort(404)
        return super().get_action_permission_name(name)


def _names(rows) -> str:
    return "、".join(str(row) for row in rows or [])


# Same class names as FAB's, so the permission names stay FAB's. FAB's screens show Python
# values ("True", "[执业人员]", "[]") and raw permission strings; these read as the rest.
class UserDBModelView(AuditedSecurityViews, UnknownActionIs404, fab_views.UserDBModelView):
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

        super().form_post(form)
        changed(g.user.id)


class RoleModelView(AuditedSecurityViews, UnknownActionIs404, fab_views.RoleModelView):
    """Each role's permissions grouped by screen, under the screens' own titles."""

    label_columns = {**fab_views.RoleModelView.label_columns, "user": _l("Users"),
                     "groups": _l("Groups")}

    list_widget = ListWidget
    show_widget = ShowWidget
    formatters_columns = {"permissions": permission_labels.screens_summary,
                          "name": lambda name: Markup('<span class="text-nowrap">%s</span>') % name}

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
class PermissionModelView(AuditedSecurityViews, UnknownActionIs404, fab_views.PermissionModelView):
    formatters_columns = {"name": permission_labels.permission_name_text}


class ViewMenuModelView(AuditedSecurityViews, UnknownActionIs404, fab_views.ViewMenuModelView):
    formatters_columns = {"name": permission_labels.view_name_text}


class PermissionViewModelView(AuditedSecurityViews, UnknownActionIs404, fab_views.PermissionViewModelView):
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


class UserGroupModelView(AuditedSecurityViews, UnknownActionIs404, fab_views.UserGroupModelView):
    label_columns = {"name": _l("Name"), "label": _l("Label"), "description": _l("Description"),
                     "users": _l("Users"), "roles": _l("Roles")}
    formatters_columns = {"users": _names, "roles": _names}


class AuthDBView(fab_views.AuthDBView):
    """FAB's password login page with the ways in for people who have no account yet."""

    login_template = "login.html"
    # One message for an unknown user, a wrong password and a locked account: the login
    # page must not tell which accounts exist or are locked.
    invalid_login_message = _l("Wrong user name or password, or the account is temporarily locked.")

    @expose("/logout/")
    def logout(self):
        """Logging out ends every session of the account, copies of the cookie included."""
        from flask_login import current_user

        from .sessions import end_all_sessions

        if current_user.is_authenticated:
            end_all_sessions(current_user.id)
        return super().logout()


class RegistrySecurityManager(AuditedLogins, SecurityManager):
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
    # FAB's user statistics chart loads Google Charts from the internet.
    userstatschartview = None

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
        """FAB's password check, refused outright while the account is locked. A locked
        account still costs one password hash, as FAB spends one on unknown users, so the
        answer takes as long whichever way it fails."""
        from . import lockout

        candidate = self._login_candidate(username)
        if candidate is not None and lockout.is_locked(candidate.id):
            check_password_hash(current_app.config["AUTH_DB_FAKE_PASSWORD_HASH_CHECK"],
                                password or "")
            return None
        user = super().auth_user_db(username, password)
        if user is not None:
            lockout.record_success(user.id)
        elif candidate is not None:
            lockout.record_failure(candidate.id)
        return user

    def _login_candidate(self, username):
        """The account a login names, found the way FAB finds it (user name, then e-mail)."""
        if not username:
            return None
        return self.find_user(username=username) or self.find_user(email=username)

"""Roles as data, and their sync into FAB's permission tables.

Each role lists the views it may use and what it may do there. Menu access follows from
the grants: a role that may list a view sees that view's menu item and its category, and
no other. `flask roles sync` (run by scripts/run.sh and at first start) makes the database
match this table exactly, adding and removing permissions."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app

from .workflow import BY_NAME, WORKFLOW_PERMISSION_VIEW, permissions_for

READ = ("can_list", "can_show")
READ_EDIT = READ + ("can_edit",)
READ_ADD_EDIT = READ + ("can_add", "can_edit")
FULL = READ_ADD_EDIT + ("can_delete",)
FORM = ("can_this_form_get", "can_this_form_post")
API_READ_WRITE = ("can_get", "can_info", "can_post", "can_put")

# What every signed-in person may do: their own account page and password (the buttons on
# that page are FAB's actions, named bare), messages, Q&A.
SIGNED_IN = {
    "UserDBModelView": ("can_userinfo", "resetmypassword", "twofactor"),
    "ResetMyPasswordView": FORM,
    "MyNotificationView": READ,
    "MyConsultationView": READ + ("can_add",),
    "TwoFactorView": ("can_use",),  # one's own two-factor enrolment
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

# The API's document and Swagger UI: for every system role outside production; in
# production only for the roles the security administrator grants them (custom roles).
API_DOCS = {"OpenApi": ("can_get",), "SwaggerView": ("can_show",)}


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
            "EnterpriseRegistrationView": READ + ("batch_print",),  # FAB names actions bare
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
            "RegistrationAdminView": READ + ("can_export", "batch_print"),
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
            "RegistrationAdminView": READ + ("can_export", "batch_print"),
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
            # System roles are read-only on the screen; custom roles are added, edited and
            # deleted here (app/accounts/security_manager.py, docs/security.md).
            "RoleModelView": READ + ("can_add", "can_edit", "can_delete"),
            "PermissionModelView": ("can_list",),
            "ViewMenuModelView": ("can_list",),
            "PermissionViewModelView": ("can_list",),
            "TwoFactorResetView": ("can_list", "reset"),  # FAB names actions bare
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


BATCH_PREFIX = "batch_"  # app/applications/batch_actions.py names its actions so


def _batch_actions(appbuilder, spec: RoleSpec) -> set[tuple[str, str]]:
    """Each list's generated batch actions, to the role of each action's transition only."""
    return {(name, view.class_permission_name) for view in appbuilder.baseviews
            for name in getattr(view, "actions", None) or {}
            if name.startswith(BATCH_PREFIX) and name.removeprefix(BATCH_PREFIX) in BY_NAME
            and ROLES[BY_NAME[name.removeprefix(BATCH_PREFIX)].role] is spec}


def wanted_permissions(appbuilder, spec: RoleSpec) -> set[tuple[str, str]]:
    """The role's grants, the batch actions of its transitions, the API's document outside
    production, and the menus of the pages it may open."""
    pairs = spec.permissions() | _batch_actions(appbuilder, spec)
    if not current_app.config.get("PRODUCTION"):
        pairs |= {(perm, view) for view, perms in API_DOCS.items() for perm in perms}
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

"""How FAB's permissions read on the role screens: each permission under the title of the
screen it belongs to, in the reader's language, instead of FAB's raw strings
("can_list on MyApplicationView")."""
from __future__ import annotations

from collections import defaultdict

from flask import current_app, g
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from ..workflow import BY_NAME, WORKFLOW_PERMISSION_VIEW

ACTIONS = {
    "can_list": _l("list"),
    "can_show": _l("details"),
    "can_add": _l("add"),
    "can_edit": _l("edit"),
    "can_delete": _l("delete"),
    "can_index": _l("open"),
    "can_get": _l("API: read"),
    "can_info": _l("API: description"),
    "can_post": _l("API: create"),
    "can_put": _l("API: change"),
    "can_export": _l("export"),
    "can_this_form_get": _l("open the form"),
    "can_this_form_post": _l("send the form"),
    "can_userinfo": _l("open"),
    "can_file": _l("view uploaded files"),
    "can_upload": _l("upload"),
    "can_details": _l("save personal data"),
    "can_submit": _l("submit"),
    "can_confirm": _l("confirm"),
    "can_template": _l("download the template"),
    "can_download": _l("download files"),
    "can_use": _l("use"),
    "menu_access": _l("in the menu"),
}
MENU = _l("Menu")
# Screens without a title of their own (FAB's account forms, the REST APIs).
SCREENS = {
    "UserInfoEditView": _l("Edit own account"),
    "ResetMyPasswordView": _l("Change own password"),
    "ResetPasswordView": _l("Reset a user's password"),
    "TwoFactorView": _l("Own two-factor authentication"),
    "MenuApi": _l("Menu (API)"),
    "PractitionerApi": _l("Practitioners (API)"),
    "EnterpriseApi": _l("Enterprises (API)"),
    "SecurityApi": _l("Login (API)"),
    "OpenApi": _l("API document (OpenAPI)"),
    "SwaggerView": _l("API document (Swagger UI)"),
    "HomeView": _l("Home page"),
    "UtilView": _l("Back button"),
    "LocaleView": _l("Language switch"),
}
OWN_ACCOUNT = _l("Own account")
# On FAB's user list, but about one's own account page and its buttons.
OWN_ACCOUNT_PERMISSIONS = {"can_userinfo", "userinfoedit", "resetmypassword"}


def _titles() -> dict[str, str]:
    """Permission view name -> the screen's title, for every registered view (once per
    request: a role's form labels hundreds of permissions)."""
    if "permission_titles" not in g:
        g.permission_titles = _collect_titles()
    return g.permission_titles


def _collect_titles() -> dict[str, str]:
    appbuilder = current_app.appbuilder
    titles: dict[str, str] = {WORKFLOW_PERMISSION_VIEW: gettext("Application workflow"),
                              **{name: str(title) for name, title in SCREENS.items()}}
    for item in (c for category in appbuilder.menu.get_list()
                 for c in (category.childs or [category])):
        if getattr(item, "baseview", None) is not None:
            titles.setdefault(item.baseview.class_permission_name, str(item.label))
    for view in appbuilder.baseviews:
        title = getattr(view, "list_title", None) or getattr(view, "title", None)
        if title:
            titles.setdefault(view.class_permission_name, str(title))
    return titles


def _actions_of(view_name: str) -> dict[str, str]:
    """A view's own actions (FAB names their permissions bare) -> their button text."""
    for view in current_app.appbuilder.baseviews:
        if view.class_permission_name == view_name and getattr(view, "actions", None):
            return {name: str(action.text) for name, action in view.actions.items()}
    return {}


def action_label(permission: str, view_name: str) -> str:
    if view_name == WORKFLOW_PERMISSION_VIEW and permission.removeprefix("can_") in BY_NAME:
        return gettext(BY_NAME[permission.removeprefix("can_")].label)
    if permission in ACTIONS:
        return str(ACTIONS[permission])
    return _actions_of(view_name).get(permission, permission.removeprefix("can_"))


def permission_label(pv) -> str:
    """One permission as an option of the role form: "screen: what may be done"."""
    permission, view = pv.permission.name, pv.view_menu.name
    if permission == "menu_access":
        return f"{MENU}：{gettext(view)}"
    return f"{_screen(permission, view)}：{action_label(permission, view)}"


def _screen(permission: str, view: str) -> str:
    if permission in OWN_ACCOUNT_PERMISSIONS:
        return str(OWN_ACCOUNT)
    return _titles().get(view, view)


def grouped(permission_views) -> list[tuple[str, list[str]]]:
    """[(screen title, [what may be done there])], menus last, each sorted."""
    screens: dict[str, list[str]] = defaultdict(list)
    menus: list[str] = []
    for pv in permission_views:
        permission, view = pv.permission.name, pv.view_menu.name
        if permission == "menu_access":
            menus.append(gettext(view))
        else:
            screens[_screen(permission, view)].append(action_label(permission, view))
    order = {title: n for n, title in enumerate(_titles().values())}  # the menu's order
    result = sorted(((title, sorted(set(actions))) for title, actions in screens.items()),
                    key=lambda row: (order.get(row[0], len(order)), row[0]))
    if menus:
        result.append((str(MENU), sorted(set(menus))))
    return result


def permissions_table(permission_views) -> Markup:
    """The role's permissions, one line per screen (role list and role details)."""
    rows = Markup("").join(
        Markup('<tr><th class="permission-screen">%s</th><td>%s</td></tr>') % (title, "、".join(actions))
        for title, actions in grouped(permission_views))
    return Markup('<table class="table table-condensed permission-table">%s</table>') % rows


def screens_summary(permission_views) -> Markup:
    """For the role list: the screens a role opens, in one paragraph."""
    titles = [title for title, _actions in grouped(permission_views) if title != str(MENU)]
    return Markup('<span class="permission-summary">%s</span>') % "、".join(titles)


def _with_code(text: str, code: str) -> Markup:
    if text == code:
        return Markup("%s") % code
    return Markup('%s <small class="text-muted">%s</small>') % (text, code)


def permission_name_text(name: str) -> Markup:
    """A permission's name on FAB's permission screens, in words where it has them."""
    transition = BY_NAME.get(name.removeprefix("can_"))
    if transition is not None:
        return _with_code(gettext(transition.label), name)
    if name in ACTIONS:
        return _with_code(str(ACTIONS[name]), name)
    for view in current_app.appbuilder.baseviews:
        action = (getattr(view, "actions", None) or {}).get(name)
        if action is not None:
            return _with_code(str(action.text), name)
    return _with_code(name, name)


def view_name_text(name: str) -> Markup:
    """A view or menu name on FAB's permission screens: the screen's title, or the menu's."""
    title = _titles().get(name)
    return _with_code(title if title else gettext(name), name)

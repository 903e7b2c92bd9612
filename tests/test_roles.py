"""Roles are data (app/security.py): each role sees exactly the menus of the views it may
list, reaching any other view's URL is refused, and syncing converges both ways."""
import re

import pytest
from flask import url_for

from app.extensions import db
from app.security import ROLES, SIGNED_IN, sync_roles, wanted_permissions
from app.views import MENU
from tests.people import ACCOUNTS

LIST_URL = "/{}/list/"


def _menu_links(client) -> set[str]:
    html = client.get("/").get_data(as_text=True)  # the menu, and the home page's list of it
    return set(re.findall(r'href="(/(?!lang/|users/userinfo|logout|static/|faq/)[a-z_/]+)"', html)) - {"/"}


def _landing(app, view) -> str:
    with app.test_request_context():
        return url_for(f"{view.__name__}.{view.default_view}")


def _listable(app, role_key: str) -> set[str]:
    """Landing pages of every menu item (ours and FAB's) whose page the role may open."""
    grants = {**SIGNED_IN, **ROLES[role_key].grants}
    found = set()
    with app.test_request_context():
        for category in app.appbuilder.menu.get_list():
            for item in category.childs or [category]:
                view = item.baseview
                if view is not None and f"can_{view.default_view}" in grants.get(
                        view.class_permission_name, ()):
                    found.add(item.get_url())
    return found


@pytest.mark.parametrize("username", [u for u, r in ACCOUNTS.items() if r != "admin"])
def test_each_role_sees_exactly_its_menus(app, login, username):
    client = login(username)
    shown = _menu_links(client)
    expected = _listable(app, ACCOUNTS[username])
    assert shown == expected
    for view, *_ in MENU:
        url = _landing(app, view)
        status = client.get(url).status_code
        assert status == (200 if url in expected else 403), url


def test_menus_say_what_each_role_does(app, login):
    """Anchors in plain words, independent of the ROLES table."""
    practitioner = login("prac_a").get("/").get_data(as_text=True)
    assert "我的申请" in practitioner and "审计日志" not in practitioner
    auditor = login("auditor").get("/").get_data(as_text=True)
    assert "审计日志" in auditor and "我的申请" not in auditor and "执业人员库" not in auditor
    reviewer = login("reviewer").get("/").get_data(as_text=True)
    assert "执业人员" in reviewer and "审计日志" not in reviewer
    enterprise = login("ent_a").get("/").get_data(as_text=True)
    assert "待核实申请" in enterprise and "我的申请" not in enterprise


def test_separation_of_the_three_administrators(app, login):
    sysadmin, secadmin, auditor = login("sysadmin"), login("secadmin"), login("auditor")
    assert sysadmin.get("/users/list/").status_code == 200
    assert sysadmin.get("/roles/list/").status_code == 403
    assert sysadmin.get("/auditlogview/list/").status_code == 403
    assert secadmin.get("/roles/list/").status_code == 200
    assert secadmin.get("/users/list/").status_code == 403
    assert secadmin.get("/auditlogview/list/").status_code == 403
    assert auditor.get("/auditlogview/list/").status_code == 200
    assert auditor.get("/users/list/").status_code == 403
    assert auditor.get("/roles/list/").status_code == 403


def test_audit_log_has_no_edit_or_delete_route_for_anyone(app, login):
    for username in ("auditor", "admin"):
        client = login(username)
        for url in ("/auditlogview/add", "/auditlogview/edit/1", "/auditlogview/delete/1"):
            assert client.get(url).status_code in (403, 404), (username, url)


def test_sync_is_idempotent_and_removes_what_the_table_does_not_grant(app):
    sm = app.appbuilder.sm
    assert all(change == (0, 0) for change in sync_roles(app.appbuilder).values())
    role = sm.find_role(ROLES["practitioner"].name)
    stray = sm.find_permission_view_menu("can_list", "AuditLogView")
    sm.add_permission_role(role, stray)
    assert sync_roles(app.appbuilder)[role.name] == (0, 1)
    db.session.refresh(role)
    granted = {(pv.permission.name, pv.view_menu.name) for pv in role.permissions}
    assert granted == wanted_permissions(app.appbuilder, ROLES["practitioner"])


def test_every_exposed_route_is_protected_or_deliberately_public(app):
    """Fail when a route is served without a permission check (Superset's guard)."""
    public = {"static", "appbuilder.static", "AuthDBView.login", "AuthDBView.logout",
              "LocaleView.index", "HomeView.index", "UtilView.back",
              "SecurityApi.login", "SecurityApi.refresh",
              "TwoFactorCodeView.code",  # the login's code step, for a login waiting for it
              "SignupView.practitioner", "SignupView.enterprise",  # anyone may sign up
              "SignupApi.signup",  # the same through the API (app/accounts/signup_api.py)
              # anyone may check a certificate or its file (公众查询), by page or API
              "PublicVerificationView.query", "PublicVerificationView.certificate",
              "PublicVerificationApi.certificate", "PublicVerificationApi.registration",
              "CertificateFileCheckView.index",
              # anyone may read the published, anonymised questions and answers (常见问题)
              "FaqView.index",
              # the load balancer's probes, which say only ok / ready (app/operations/health.py)
              "health.healthz", "health.readyz"}
    unprotected = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in public:
            continue
        if rule.endpoint.endswith((".action", ".action_post")):
            continue  # these check the action's permission in their body; tested below
        if not getattr(app.view_functions[rule.endpoint], "_permission_name", None):
            unprotected.append(rule.endpoint)
    assert unprotected == []


def test_actions_check_their_permission(app, login):
    client = login("prac_a")
    for url in ("/auditlogview/action_post", "/users/action_post", "/myapplicationview/action_post"):
        response = client.post(url, data={"action": "muldelete", "rowid": "1"})
        assert response.status_code in (302, 403, 404), url  # refused, never a 500
    assert app.appbuilder.sm.find_user(username="admin") is not None


# ---------------------------------------------------------------- the role screen and the sync
def _granted(role) -> set[tuple[str, str]]:
    db.session.refresh(role)
    return {(pv.permission.name, pv.view_menu.name) for pv in role.permissions}


def test_system_roles_are_read_only_on_the_role_screen_and_say_why(app, login):
    sm = app.appbuilder.sm
    role = sm.find_role(ROLES["enterprise"].name)
    before = _granted(role)
    stray = sm.find_permission_view_menu("can_list", "AuditLogView")
    secadmin = login("secadmin")
    listing = secadmin.get("/roles/list/").get_data(as_text=True)
    assert listing.count("系统角色，只读") == len(ROLES) + 2  # and FAB's Admin and Public
    answer = secadmin.get(f"/roles/edit/{role.id}")
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/roles/show/{role.id}")
    shown = secadmin.get(answer.headers["Location"]).get_data(as_text=True)
    assert "是系统角色：其权限由系统定义，每次启动时自动恢复" in shown
    answer = secadmin.post(f"/roles/edit/{role.id}", data={
        "name": "改名的企业角色", "permissions": [str(pv.id) for pv in role.permissions] + [str(stray.id)]})
    assert answer.status_code == 302
    db.session.expire_all()
    assert sm.find_role(ROLES["enterprise"].name) is not None and _granted(role) == before
    answer = secadmin.post(f"/roles/delete/{role.id}")
    assert sm.find_role(ROLES["enterprise"].name) is not None
    assert "是系统角色" in secadmin.get(answer.headers["Location"]).get_data(as_text=True)


def test_a_custom_role_is_the_security_administrators_and_the_sync_leaves_it(app, login):
    sm = app.appbuilder.sm
    secadmin = login("secadmin")
    audit = sm.find_permission_view_menu("can_list", "AuditLogView")
    listing = sm.find_permission_view_menu("can_list", "ApplicationAdminView")
    answer = secadmin.post("/roles/add", data={"name": "市级查询员", "permissions": [str(audit.id)]})
    assert answer.status_code == 302
    custom = sm.find_role("市级查询员")
    assert _granted(custom) == {("can_list", "AuditLogView")}
    answer = secadmin.post(f"/roles/edit/{custom.id}", data={
        "name": "市级查询员", "permissions": [str(audit.id), str(listing.id)]})
    assert answer.status_code == 302
    edited = {("can_list", "AuditLogView"), ("can_list", "ApplicationAdminView")}
    assert _granted(custom) == edited
    assert custom.name not in sync_roles(app.appbuilder)  # never looked at
    assert _granted(custom) == edited  # an edit on the screen survives the next start
    assert "市级查询员" in secadmin.get("/roles/list/").get_data(as_text=True)
    secadmin.post(f"/roles/delete/{custom.id}")
    db.session.expire_all()
    assert sm.find_role("市级查询员") is None

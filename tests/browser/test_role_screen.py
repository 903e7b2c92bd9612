"""The role screen as the security administrator uses it (issue 15, point 5), on a desktop and
on a phone: system roles are marked read-only and an edit says why; a custom role is added."""
from __future__ import annotations

from app.security import ROLES
from tests import people

PASSWORD = "Role-Screen-2026!"


def test_system_roles_read_only_and_a_custom_role_added(live_server, actors):
    app = live_server.app
    sm = app.appbuilder.sm
    user = sm.add_user("r_secadmin", "安全员辛", "", "r_secadmin@gd.invalid",
                       sm.find_role(ROLES["secadmin"].name), password=PASSWORD)
    people.enrol_known(app, user)
    enterprise = sm.find_role(ROLES["enterprise"].name)
    for phone in (False, True):
        admin = actors("roles-phone" if phone else "roles", phone=phone)
        admin.login("r_secadmin", PASSWORD)
        admin.open("/roles/list/")
        assert "系统角色，只读" in admin.shot("role-list")
        admin.open(f"/roles/edit/{enterprise.id}")  # as the list's edit button does
        assert admin.page.url.endswith(f"/roles/show/{enterprise.id}")
        assert "不能在此修改" in admin.shot("system-role-refused")
    name = "市级查询员"
    admin.typed.add(name)
    admin.open("/roles/add")
    admin.type("#name", name)
    admin.page.click("[type=submit]")
    admin.page.wait_for_load_state()
    assert "记录已添加" in admin.flash()
    admin.open("/roles/list/")
    assert name in admin.shot("custom-role-added")
    assert sm.find_role(name) is not None

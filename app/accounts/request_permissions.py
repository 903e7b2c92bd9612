"""The (permission, view) pairs a request checks, read once per request.

FAB asks the database once per permission checked: a list page asked 28 times (the menu's
items, the row buttons, the navigation bar), and `protect` asks for the public role's
permissions on every API request, then the user's. Here the pairs of the public role and of
the signed-in user's roles are read in one query, by role, and kept in flask.g for the rest
of the request, never longer: a role edited by the security administrator applies from the
next request on."""
from __future__ import annotations

from types import SimpleNamespace

from flask import g, has_request_context
from flask_appbuilder.security.sqla.models import assoc_permissionview_role
from flask_login import current_user
from sqlalchemy import or_, select

PUBLIC = "public"  # the cache's key of the public role's pairs


class PermissionsOncePerRequest:
    """Mixin for FAB's SQLAlchemy security manager."""

    def _pairs_by_role(self, role_ids) -> dict:
        """role id (and PUBLIC) → its pairs; a role not read yet in this request is read
        together with the public role and the user's own roles, in one query."""
        cache = g.setdefault("role_permission_pairs", {}) if has_request_context() else {}
        wanted = set(role_ids)
        if PUBLIC in cache and wanted <= cache.keys():
            return cache
        wanted |= set(_signed_in_role_ids())
        wanted -= cache.keys()
        role = self.role_model
        rows = self.session.execute(
            select(role.id, role.name, self.permission_model.name, self.viewmenu_model.name)
            .select_from(self.permissionview_model)
            .join(self.permissionview_model.permission)
            .join(self.permissionview_model.view_menu)
            .join(assoc_permissionview_role,
                  assoc_permissionview_role.c.permission_view_id == self.permissionview_model.id)
            .join(role, role.id == assoc_permissionview_role.c.role_id)
            .where(or_(role.id.in_(wanted), role.name == self.auth_role_public)))
        read: dict = {role_id: set() for role_id in wanted}
        read[PUBLIC] = set()
        for role_id, role_name, permission, view in rows:
            read.setdefault(role_id, set()).add((permission, view))
            if role_name == self.auth_role_public:
                read[PUBLIC].add((permission, view))
        for key, pairs in read.items():
            cache.setdefault(key, frozenset(pairs))
        return cache

    def _role_pairs(self, role_ids) -> frozenset[tuple[str, str]]:
        by_role = self._pairs_by_role(role_ids)
        return frozenset().union(*(by_role[role_id] for role_id in role_ids))

    def is_item_public(self, permission_name, view_name) -> bool:
        return (permission_name, view_name) in self._pairs_by_role(())[PUBLIC]

    def exist_permission_on_roles(self, view_name, permission_name, role_ids) -> bool:
        return (permission_name, view_name) in self._role_pairs(role_ids)

    def find_roles_permission_view_menus(self, permission_name, role_ids):
        """What FAB's menu reads of each permission: its view menu's name."""
        return [SimpleNamespace(view_menu=SimpleNamespace(name=view))
                for permission, view in self._role_pairs(role_ids) if permission == permission_name]


def _signed_in_role_ids() -> list[int]:
    """The roles of the account signed in with this request's session (already loaded with
    the user, app/accounts/request_account.py), so that its permissions come with the
    public role's."""
    if not has_request_context():
        return []
    user = current_user
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    return [role.id for role in getattr(user, "roles", ())]

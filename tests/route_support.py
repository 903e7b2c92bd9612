"""The routes `flask routes` lists (app.url_map), each with the view behind it, the permission
it needs and a URL with real ids of the fixture data (tests/people.py) filled in, for tests
that send something to every route."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import g
from flask_login import login_user

from app.extensions import db
from app.models import Application, StoredFile
from app.security import ROLES

# One account per role, anonymous included (None); tests/people.py.
ROLE_USERS = {
    "anonymous": None, "superuser": "admin", "practitioner": "prac_a", "enterprise": "ent_a",
    "reviewer": "reviewer", "approver": "approver", "sysadmin": "sysadmin",
    "secadmin": "secadmin", "auditor": "auditor",
}
STATE_CHANGING = ("POST", "PUT", "PATCH", "DELETE")
# Path arguments that are not ids, with a value the route accepts.
PLAIN_ARGUMENTS = {"filename": "x.csv", "locale": "zh_CN", "token": "x", "kind": "photo"}


@dataclass(frozen=True)
class Route:
    endpoint: str
    rule: str
    methods: frozenset[str]
    arguments: frozenset[str]
    view: object | None  # the FAB view serving it, if any
    method_name: str

    @property
    def is_api(self) -> bool:
        return self.rule.startswith("/api/")

    @property
    def state_changing(self) -> list[str]:
        return [m for m in STATE_CHANGING if m in self.methods]


def routes(app) -> list[Route]:
    """Every rule of the url map but the static files, in a stable order."""
    views = {view.blueprint.name: view for view in app.appbuilder.baseviews
             if getattr(view, "blueprint", None) is not None}
    found = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if rule.endpoint.endswith("static"):
            continue
        blueprint, _, method_name = rule.endpoint.rpartition(".")
        found.append(Route(rule.endpoint, rule.rule, frozenset(rule.methods - {"HEAD", "OPTIONS"}),
                           frozenset(rule.arguments), views.get(blueprint), method_name))
    return found


def permission(route: Route) -> tuple[str, str] | None:
    """(permission, view) FAB checks for the route; for an action, its first action's."""
    view = route.view
    if view is None or not getattr(view, "class_permission_name", None):
        return None
    if route.method_name in ("action", "action_post") and getattr(view, "actions", None):
        name = next(iter(view.actions))
        return view.get_action_permission_name(name), view.class_permission_name
    try:
        name = view.get_method_permission(route.method_name)
    except AttributeError:
        return None
    return (f"can_{name}", view.class_permission_name) if name else None


def may_use(role: str, route: Route) -> bool:
    needed = permission(route)
    if role == "superuser":
        return True
    if role == "anonymous" or needed is None:
        return needed is None
    return needed in ROLES[role].permissions()


# The scoped roles first, so that a route is tried by the narrowest account that may use it.
PREFERENCE = ["practitioner", "enterprise", "reviewer", "approver", "sysadmin", "secadmin",
              "auditor"]


def narrowest_role(route: Route) -> str:
    """The first role of PREFERENCE that may use the route; the superuser otherwise."""
    if permission(route) is None:
        return "practitioner"
    return next((role for role in PREFERENCE if may_use(role, route)), "superuser")


def user_of(app, username: str | None):
    return app.appbuilder.sm.find_user(username=username) if username else None


def _scoped_id(app, view, user) -> int | None:
    """An id of the view's model that this user sees through the view (its base filters)."""
    datamodel = getattr(view, "datamodel", None)
    if datamodel is None:
        return None
    with app.test_request_context():
        if user is not None:
            login_user(user)
            g.user = user
        try:
            _count, items = datamodel.query(view._base_filters, page=0, page_size=1)
        finally:
            db.session.rollback()
    if items:
        return datamodel.get_pk_value(items[0])
    model = datamodel.obj
    return db.session.scalar(sa.select(sa.func.min(model.__mapper__.primary_key[0])))


def _fallback_id(route: Route) -> int:
    if "file" in route.method_name:
        found = db.session.scalar(sa.select(sa.func.min(StoredFile.id)))
    else:  # the workflow and the practitioner's answer page act on applications
        found = db.session.scalar(sa.select(sa.func.min(Application.id)))
    return found or 1


class UrlFiller:
    """URLs of routes with real ids; ids are looked up once per (view, user)."""

    def __init__(self, app):
        self.app = app
        self._ids: dict[tuple[str, str | None], int] = {}

    def id_for(self, route: Route, username: str | None) -> int:
        key = (route.endpoint.rpartition(".")[0], username)
        if key not in self._ids:
            user = user_of(self.app, username)
            found = _scoped_id(self.app, route.view, user) if route.view is not None else None
            self._ids[key] = found if found is not None else _fallback_id(route)
        return self._ids[key]

    def url(self, route: Route, username: str | None, **override) -> str:
        values = {}
        for argument in route.arguments:
            if argument in override:
                values[argument] = override[argument]
            elif argument in PLAIN_ARGUMENTS:
                values[argument] = PLAIN_ARGUMENTS[argument]
            elif argument == "name":
                actions = getattr(route.view, "actions", None) or {"none": None}
                values[argument] = next(iter(actions))
            else:  # pk, file_id: an id
                values[argument] = self.id_for(route, username)
        return self.build(route, values)

    @staticmethod
    def build(route: Route, values: dict) -> str:
        """Built without the converters' checks, so that a test can put any text in an id."""
        path = route.rule
        for argument, value in values.items():
            for converter in ("", "int:", "string:", "path:"):
                path = path.replace(f"<{converter}{argument}>", str(value))
        return path

"""A plain Flask-AppBuilder app on the registry's own models, for the "plain FAB" column of
bench/provincial_scale.py measure (issue 16): what FAB's own ModelView costs per list page on
the same rows, so the app's pages can be judged against the framework, not only against SQL.

    gunicorn 'bench.plain_fab_app:create_app()'   (DATABASE_URL, SECRET_KEY in the environment)

It does not use app.create_app: no registry security manager, no two-factor step, no request
checks, no lookups. One ModelView per queue and one for 全部申请, with the app's base filter,
base order, list columns, page size and read-only permissions (so the list template renders
the same buttons); everything else is FAB's default. The enterprise search drop-down is left
out: plain FAB would list all 40,000 enterprises in the search form on every page (5.2 MB, two
seconds a page), which the app replaced by a type-ahead lookup."""
from __future__ import annotations

import os

from flask import Flask
from flask_appbuilder import AppBuilder, ModelView
from flask_appbuilder.models.sqla.filters import FilterEqual, FilterNotEqual
from flask_appbuilder.models.sqla.interface import SQLAInterface

from app.enums import ApplicationState
from app.extensions import db
from app.models import Application

# Distinct view names: FAB's permission sync would otherwise touch the app's own
# permissions on the same-named views in the shared database.
PREFIX = "Plain"
ROLE = "plain FAB bench"
USERNAME = "plainfab"
PASSWORD = "plain-fab-bench-only-0123"  # a bench database's throwaway account
CATEGORY = "Plain FAB"


class PlainApplicationView(ModelView):
    datamodel = SQLAInterface(Application)
    base_permissions = ["can_list", "can_show"]  # as app/security.py's READ
    base_filters = [["state", FilterNotEqual, ApplicationState.draft]]
    base_order = ("id", "desc")
    page_size = 25
    list_columns = ["id", "practitioner", "app_type", "qualification", "city", "state",
                    "submitted_at", "deadline"]
    # The app's search columns without "enterprise" (see the module's docstring).
    search_columns = ["app_type", "qualification", "city", "state", "deadline",
                      "submitted_at"]


def _queue(name: str, state: ApplicationState) -> type:
    return type(PREFIX + name, (PlainApplicationView,), {
        "base_filters": [["state", FilterEqual, state]],
        "base_order": ("deadline", "asc"),
    })


# (label, the app's view it mirrors, plain view)
VIEWS = [
    ("待受理", "AcceptanceQueueView", _queue("AcceptanceQueueView",
                                            ApplicationState.pending_acceptance)),
    ("审查中", "ReviewQueueView", _queue("ReviewQueueView", ApplicationState.under_review)),
    ("待决定", "DecisionQueueView", _queue("DecisionQueueView",
                                          ApplicationState.pending_decision)),
    ("全部申请", "ApplicationAdminView", type(PREFIX + "ApplicationAdminView",
                                          (PlainApplicationView,), {})),
]


def list_url(app_view: str, page: int = 0, query: str = "") -> str:
    """The list page `page` (0-based), or the list with a search `query`, of the plain view
    that mirrors the app's `app_view`."""
    name = PREFIX + app_view
    return f"/{name.lower()}/list/?" + (query or f"page_{name}={page}")


def create_app() -> Flask:
    app = Flask(__name__)
    app.config.update(
        SQLALCHEMY_DATABASE_URI=os.environ["DATABASE_URL"],
        SECRET_KEY=os.environ["SECRET_KEY"],
        BABEL_DEFAULT_LOCALE="zh",  # FAB's own Chinese catalogue, as the app is in Chinese
        # The ab_* tables exist (the app's migrations); no create_all, and no permission
        # sync at start-up: ensure_bench_user adds just what these views need.
        FAB_CREATE_DB=False,
        FAB_UPDATE_PERMS=False,
    )
    db.init_app(app)
    with app.app_context():
        appbuilder = AppBuilder()
        appbuilder.init_app(app, db.session)
        for label, _app_view, view in VIEWS:
            appbuilder.add_view(view, label, category=CATEGORY)
    return app


def ensure_bench_user(app: Flask) -> None:
    """The role with these views' permissions and menu entries, and its user (idempotent),
    through FAB's own security manager."""
    with app.app_context():
        sm = app.appbuilder.sm
        role = sm.find_role(ROLE) or sm.add_role(ROLE)
        grants = [("menu_access", CATEGORY)]
        for label, _app_view, view in VIEWS:
            grants += [(permission, view.__name__) for permission in view.base_permissions]
            grants.append(("menu_access", label))
        for permission, view_menu in grants:
            sm.add_permission_role(role, sm.add_permission_view_menu(permission, view_menu))
        if sm.find_user(USERNAME) is None:
            assert sm.add_user(USERNAME, "Plain", "FAB", "plainfab@bench.invalid", role,
                               PASSWORD), "could not add the plain FAB bench user"

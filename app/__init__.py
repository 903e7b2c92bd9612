"""Application factory: settings, extensions, views and menus; nothing else."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from flask_appbuilder import AppBuilder

from .extensions import csrf, db, migrate

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


class ConfigurationError(RuntimeError):
    """Raised at start-up when a production setting is missing or unsafe."""


def _refuse_unsafe_production(config: Mapping[str, Any]) -> None:
    if not config.get("PRODUCTION"):
        return
    problems = []
    if not config.get("SECRET_KEY") or len(config["SECRET_KEY"]) < 32:
        problems.append("SECRET_KEY must be set to at least 32 random characters")
    if str(config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("sqlite"):
        problems.append("DATABASE_URL must point at PostgreSQL")
    if problems:
        raise ConfigurationError("Refusing to start in production: " + "; ".join(problems))


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app; `config` (a mapping) overrides config.py, which tests use."""
    app = Flask(__name__, instance_relative_config=False)
    app.config.from_object("config")
    if config:
        app.config.update(config)
    _refuse_unsafe_production(app.config)

    db.init_app(app)
    csrf.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)

    from . import commands, errors, views

    with app.app_context():
        appbuilder = AppBuilder(
            update_perms=app.config.get("FAB_UPDATE_PERMS", False), indexview=views.HomeView
        )
        appbuilder.init_app(app, db.session)
        views.register(appbuilder)
        appbuilder.post_init()
    commands.register(app)
    errors.register(app)
    return app

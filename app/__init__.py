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
    problems += _certificate_problems(config)
    if problems:
        raise ConfigurationError("Refusing to start in production: " + "; ".join(problems))


def _certificate_problems(config: Mapping[str, Any]) -> list[str]:
    from .certificates.signing import is_development_certificate

    problems = []
    if not (config.get("CERTIFICATE_SIGNING_KEY") and config.get("CERTIFICATE_SIGNING_CERT")):
        problems.append("CERTIFICATE_SIGNING_KEY and CERTIFICATE_SIGNING_CERT must be set")
    elif is_development_certificate(config["CERTIFICATE_SIGNING_CERT"]):
        problems.append("the certificate signing key is the development one")
    if not config.get("SEAL_IMAGE"):
        problems.append("SEAL_IMAGE must point at the authority's seal image")
    if not str(config.get("PUBLIC_BASE_URL", "")).startswith("https://"):
        problems.append("PUBLIC_BASE_URL must be the public https address")
    return problems


def _development_signing_key(app: Flask) -> None:
    """Outside production, sign with a generated development pair unless one is set."""
    if app.config.get("PRODUCTION") or app.config.get("CERTIFICATE_SIGNING_KEY"):
        return
    from .certificates.signing import ensure_development_key

    key, cert = ensure_development_key(Path(app.config["INSTANCE_DIR"]))
    app.config["CERTIFICATE_SIGNING_KEY"], app.config["CERTIFICATE_SIGNING_CERT"] = key, cert


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app; `config` (a mapping) overrides config.py, which tests use."""
    app = Flask(__name__, instance_relative_config=False)
    app.config.from_object("config")
    if config:
        app.config.update(config)
    from .operations import health, request_log

    request_log.configure_logging(app.config.get("LOG_LEVEL", "INFO"))
    _refuse_unsafe_production(app.config)
    _development_signing_key(app)

    request_log.register(app)  # the request id first: every later hook may log
    db.init_app(app)
    csrf.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)

    from . import commands, dates, errors, views
    from .accounts import (
        headers,
        password_change,
        passwords,
        request_checks,
        request_forgery,
        sessions,
        two_factor_views,
    )
    from .registry import specialty_choices
    from .service import (
        mailer,  # noqa: F401 - receives notifications.copies_due: e-mail copies
        message_views,
        transition_messages,  # noqa: F401 - receives transition_fired: the parties' messages
    )

    # FAB's own password forms (add user, reset passwords) follow app/accounts/passwords.py too.
    app.config.setdefault("FAB_PASSWORD_COMPLEXITY_ENABLED", True)
    app.config.setdefault("FAB_PASSWORD_COMPLEXITY_VALIDATOR", passwords.fab_password_complexity)

    with app.app_context():
        appbuilder = AppBuilder(
            update_perms=app.config.get("FAB_UPDATE_PERMS", False), indexview=views.HomeView
        )
        appbuilder.init_app(app, db.session)
        views.register(appbuilder)
        appbuilder.post_init()
    commands.register(app)
    health.register(app)
    dates.register(app)
    errors.register(app)
    request_checks.register(app)  # hostile input: 400 / 404 before any view runs
    request_forgery.register(app)  # CSRF by what authenticated the request, API included
    headers.register(app)
    message_views.register(app)
    specialty_choices.register(app)
    sessions.register(app)  # before password_change: an expired session is no session
    password_change.register(app)
    two_factor_views.register(app)  # after password_change: a password to change comes first
    _refuse_owner_role(app)
    _warn_about_the_calendar(app)
    _warn_about_per_process_limits(app)
    return app


def _warn_about_per_process_limits(app: Flask) -> None:
    """In production several workers serve; counters in each one's memory multiply every
    rate limit by their number (README: Production)."""
    if app.config.get("PRODUCTION") and str(app.config.get("RATELIMIT_STORAGE_URI", "")
                                            ).startswith("memory://"):
        app.logger.warning("RATELIMIT_STORAGE_URI is memory://: each worker counts its own "
                           "rate limits; set REDIS_URL")


def _warn_about_the_calendar(app: Flask) -> None:
    """Say at start-up when this year's or next year's holidays are not known: the limits
    falling there are counted over weekends only (app/applications/work_calendar.py)."""
    from .applications.work_calendar import coverage_warning
    from .dates import province_today

    with app.app_context():
        warning = coverage_warning(province_today())
    if warning:
        app.logger.warning(warning)


def _refuse_owner_role(app: Flask) -> None:
    """Production connects as a role that owns nothing, or an attacker holding the app's
    credentials could switch the audit trail's guard off (app/database_roles.py)."""
    if not app.config.get("PRODUCTION"):
        return
    from .database_roles import startup_problems

    problems = startup_problems(app)
    if problems:
        raise ConfigurationError("Refusing to start in production: DATABASE_URL must connect "
                                 "as the app's role, not the owner's: " + "; ".join(problems))

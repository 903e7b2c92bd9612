"""Command-line tasks: `flask roles sync`, `flask demo load`, `flask demo accounts`."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

roles_cli = AppGroup("roles", help="Roles and permissions.")
demo_cli = AppGroup("demo", help="Demo data (development only).")


@roles_cli.command("sync")
def roles_sync() -> None:
    """Make FAB's role and permission tables match app/security.py."""
    from .security import sync_roles

    for role, (added, removed) in sync_roles(current_app.appbuilder).items():
        click.echo(f"{role}: +{added} -{removed}")


def _refuse_in_production() -> None:
    if current_app.config.get("PRODUCTION"):
        raise click.ClickException("Demo data and demo accounts are refused in production.")


@demo_cli.command("load")
@click.option("--practitioners", default=200, show_default=True, help="How many practitioners.")
@click.option("--enterprises", default=24, show_default=True, help="How many enterprises.")
@click.option("--if-empty", is_flag=True, help="Do nothing when practitioners already exist.")
def demo_load(practitioners: int, enterprises: int, if_empty: bool) -> None:
    """Load the deterministic sample and create the demo accounts (idempotent)."""
    _refuse_in_production()
    from sqlalchemy import func, select

    from .demo import load_demo_data
    from .extensions import db
    from .models import Practitioner

    if if_empty and db.session.scalar(select(func.count(Practitioner.id))):
        click.echo("demo: database already has data, nothing loaded")
    else:
        created = load_demo_data(practitioners, enterprises, progress=click.echo)
        click.echo("demo: created " + ", ".join(f"{k} {v}" for k, v in created.items()))
    _print_accounts()


@demo_cli.command("accounts")
def demo_accounts() -> None:
    """Create missing demo accounts and print them with their passwords."""
    _refuse_in_production()
    _print_accounts()


def _print_accounts() -> None:
    from .demo import ensure_demo_accounts

    accounts = ensure_demo_accounts(current_app.appbuilder, current_app.config["DEMO_ACCOUNTS_FILE"])
    click.echo("\n演示账号 Demo accounts (development only; passwords generated for this install):")
    for account, password in accounts:
        click.echo(f"  {account.role:<13} {account.username:<13} {password}")
    click.echo("")


def register(app) -> None:
    app.cli.add_command(roles_cli)
    app.cli.add_command(demo_cli)

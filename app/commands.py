"""Command-line tasks: `flask roles sync`, `flask demo load`, `flask demo accounts`,
`flask roster import`, `flask registrations lapse`, `flask audit purge`,
`flask reminders send`, `flask calendar show`, `flask daily run`, `flask queue worker`, and
`flask db grant-app-role` next to Flask-Migrate's `flask db`."""
from __future__ import annotations

import datetime as dt

import click
from flask import current_app
from flask.cli import AppGroup

from .dates import province_today

roles_cli = AppGroup("roles", help="Roles and permissions.")
demo_cli = AppGroup("demo", help="Demo data (development only).")
roster_cli = AppGroup("roster", help="The qualification certificate roster.")
registrations_cli = AppGroup("registrations", help="The registration register.")
audit_cli = AppGroup("audit", help="The audit trail.")
reminders_cli = AppGroup("reminders", help="Reminders and e-mail copies of messages.")
calendar_cli = AppGroup("calendar", help="The working calendar behind the time limits.")
daily_cli = AppGroup("daily", help="The daily work: lapse, reminders, e-mail copies, audit purge.")
queue_cli = AppGroup("queue", help="The task queue (REDIS_URL).")


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
    from .demo import load_demo_questions

    click.echo(f"demo: questions added {load_demo_questions(current_app.appbuilder.sm)}")


@demo_cli.command("accounts")
def demo_accounts() -> None:
    """Create missing demo accounts and print them with their passwords."""
    _refuse_in_production()
    _print_accounts()


def _print_accounts() -> None:
    from .demo import demo_totp_secrets, ensure_demo_accounts

    accounts = ensure_demo_accounts(current_app.appbuilder, current_app.config["DEMO_ACCOUNTS_FILE"])
    secrets = demo_totp_secrets(current_app.appbuilder)
    click.echo("\n演示账号 Demo accounts (development only; passwords generated for this install;"
               " the last column is the TOTP secret of the accounts that need a code):")
    for account, password in accounts:
        click.echo(f"  {account.role:<13} {account.username:<13} {password:<14} "
                   f"{secrets.get(account.username, '')}".rstrip())
    click.echo("动态口令 The code asked after the password (any authenticator app, or run):")
    for username, secret in secrets.items():
        click.echo(f"{username:<13} .venv/bin/python -c \"import pyotp; "
                   f"print(pyotp.TOTP('{secret}').now())\"")
    click.echo("")


@roster_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check the file and report; import nothing.")
@click.option("--max-errors", default=200, show_default=True, help="How many errors to list.")
def roster_import(file: str, dry_run: bool, max_errors: int) -> None:
    """Import qualification certificates from a .csv, .xlsx, .xls or .ods FILE (all rows or
    none)."""
    import time
    from pathlib import Path

    from flask_babel import gettext as _

    from .registry.roster_import import (
        RosterFileError,
        RosterImportError,
        error_lines,
        import_roster,
    )

    started = time.perf_counter()

    def progress(stage: str, done: int, total: int) -> None:
        elapsed = time.perf_counter() - started
        if stage == "validate":
            click.echo(_("checked %(n)s rows (%(s).1f s)", n=done, s=elapsed))
        else:
            click.echo(_("imported %(n)s of %(total)s rows (%(s).1f s)", n=done, total=total,
                         s=elapsed))

    path = Path(file)
    try:
        report = import_roster(path.read_bytes(), path.name, dry_run=dry_run, progress=progress,
                               max_errors=max_errors)
    except (RosterFileError, RosterImportError) as error:
        raise click.ClickException(str(error)) from None
    for line in error_lines(report):
        click.echo(line, err=True)
    click.echo(_("rows %(total)s, new %(new)s, unchanged %(unchanged)s, with errors %(invalid)s",
                 total=report.total, new=report.new, unchanged=report.unchanged,
                 invalid=report.invalid))
    elapsed = time.perf_counter() - started
    if not report.ok:
        raise click.ClickException(_("Nothing was imported: %(n)s rows have errors.",
                                     n=report.invalid))
    if dry_run:
        click.echo(_("Dry run: nothing was imported (%(s).1f s).", s=elapsed))
    else:
        click.echo(_("Imported %(n)s rows in %(s).1f s.", n=report.imported, s=elapsed))


@registrations_cli.command("lapse")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Judge expiry as of this date (YYYY-MM-DD); default: the server's date.")
def registrations_lapse(today) -> None:
    """Lapse every valid registration whose specialties have all expired (daily, by cron;
    running it again changes nothing)."""

    from flask_babel import gettext as _

    from .certificates.lapse import lapse_expired

    day = today.date() if today else province_today()
    report = lapse_expired(day)
    click.echo(_("%(date)s: %(n)s registrations lapsed, %(voided)s certificates voided.",
                 date=day.isoformat(), n=report.registrations, voided=report.certificates))


@audit_cli.command("purge")
def audit_purge() -> None:
    """Delete audit rows older than AUDIT_RETENTION_DAYS (at least 180; daily, by cron)."""
    from flask_babel import gettext as _
    from sqlalchemy.exc import DBAPIError

    from .audit import MIN_RETENTION_DAYS, RetentionTooShort, purge

    days = current_app.config["AUDIT_RETENTION_DAYS"]
    try:
        deleted = purge(days)
    except RetentionTooShort:
        raise click.ClickException(_(
            "AUDIT_RETENTION_DAYS=%(days)s is refused: audit records are kept at least "
            "%(min)s days.", days=days, min=MIN_RETENTION_DAYS)) from None
    except DBAPIError as error:  # e.g. a role granted before the purge was (flask db grant-app-role)
        raise click.ClickException(_("The database refused the purge: %(error)s",
                                     error=str(error.orig).splitlines()[0])) from None
    click.echo(_("%(n)s audit records older than %(days)s days deleted.", n=deleted, days=days))


@reminders_cli.command("send")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Judge what is due as of this date (YYYY-MM-DD); default: the server's date.")
def reminders_send(today) -> None:
    """Send the reminders due (each once), then the e-mail copies still pending or failed
    (daily, by cron; running it again sends nothing twice)."""

    from flask_babel import gettext as _

    from .service.mailer import send_emails
    from .service.reminders import send_reminders

    day = today.date() if today else province_today()
    report = send_reminders(day)
    for kind, count in report.reminders.items():
        click.echo(_("%(date)s %(kind)s: %(n)s reminders, %(m)s messages",
                     date=day.isoformat(), kind=kind, n=count, m=report.messages[kind]))
    mail = send_emails()
    click.echo(_("E-mails: %(sent)s sent, %(failed)s failed.", sent=mail.sent,
                 failed=mail.failed))


def run_daily(day_iso: str | None = None) -> dict:
    """The day's work in one job: lapse the expired registrations first (a reminder must not
    speak of a lapsed one), then the reminders, the e-mail copies still unsent and the audit
    purge. Each part changes nothing when run again the same day; with Redis the day is
    claimed too, so that only one host runs it (app/operations/schedule.py)."""
    from .audit import purge
    from .certificates.lapse import lapse_expired
    from .operations.schedule import claim_day, finish_day, schedule_next_daily
    from .service.mailer import send_emails
    from .service.reminders import send_reminders

    day_iso = day_iso or province_today().isoformat()
    day = dt.date.fromisoformat(day_iso)
    try:
        if not claim_day(day_iso):
            current_app.logger.info("daily work of %s: already done", day_iso)
            return {"day": day_iso, "run": False}
        done = False
        try:
            lapsed = lapse_expired(day)
            reminders = send_reminders(day)
            mail = send_emails()
            purged = purge(current_app.config["AUDIT_RETENTION_DAYS"])
            done = True
        finally:
            finish_day(day_iso, done)  # not done: the retry may run it
    finally:
        _schedule_after(schedule_next_daily, day)  # the chain goes on, whatever became of this
    summary = {"day": day_iso, "run": True, "lapsed": lapsed.registrations,
               "reminders": sum(reminders.reminders.values()), "mail_sent": mail.sent,
               "mail_failed": mail.failed, "audit_purged": purged}
    current_app.logger.info("daily work done: %s", summary)
    return summary


def _schedule_after(schedule, day: dt.date) -> None:
    try:
        schedule(after=day)
    except Exception:  # noqa: BLE001 - the next worker to start schedules it
        current_app.logger.exception("the next daily run could not be scheduled")


@daily_cli.command("run")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Run as of this date (YYYY-MM-DD); default: the province's date.")
def daily_run(today) -> None:
    """Run the daily work now (from cron when there is no queue; the queue schedules it
    itself otherwise, and a day already run is not run again)."""
    from .operations.schedule import DayBusy

    try:
        summary = run_daily(today.date().isoformat() if today else None)
    except DayBusy as busy:
        raise click.ClickException(str(busy)) from None
    click.echo(" ".join(f"{key}={value}" for key, value in summary.items()))


@queue_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty (tests).")
def queue_worker(burst: bool) -> None:
    """Do the queued work: e-mail copies, the daily work (scheduled by the queue itself),
    large roster imports and certificate batches. Any number may run, on any host."""
    from .operations.worker import work

    if not work(current_app._get_current_object(), burst=burst):
        raise click.ClickException("REDIS_URL is not set: there is no queue to work on.")


@calendar_cli.command("show")
@click.argument("year", type=click.IntRange(1900, 2999))
def calendar_show(year: int) -> None:
    """A year's days off and days worked, and where each comes from."""
    from .applications.work_calendar import year_listing

    click.echo(year_listing(year))


@click.command("grant-app-role")
@click.argument("role")
def db_grant_app_role(role: str) -> None:
    """As the owner of the tables (DATABASE_OWNER_URL), let ROLE read and write their rows
    and nothing else: the role the app connects as (PostgreSQL; run after each upgrade)."""
    from flask_babel import gettext as _

    from .database_roles import GrantRefused, grant_app_role

    try:
        grant = grant_app_role(current_app, role)
    except GrantRefused as refused:
        raise click.ClickException(str(refused)) from None
    click.echo(_("%(role)s may read and write the rows of %(n)s tables and use %(s)s sequences; "
                 "audit_log only read, added to and purged after 180 days; it owns nothing.",
                 role=grant.role, n=grant.tables, s=grant.sequences))


def register(app) -> None:
    from flask_migrate.cli import db as migrate_cli

    migrate_cli.add_command(db_grant_app_role)  # `flask db …`: where the schema is managed
    app.cli.add_command(roles_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(roster_cli)
    app.cli.add_command(registrations_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(reminders_cli)
    app.cli.add_command(calendar_cli)
    app.cli.add_command(daily_cli)
    app.cli.add_command(queue_cli)

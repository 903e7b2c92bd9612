"""Every setting comes from the environment; the defaults are for development only.

APP_ENV=production turns the development conveniences off and refuses to start with a
generated secret key, the SQLite default database, or demo accounts (see app/__init__.py).
"""
import datetime as dt
import os
import secrets
from pathlib import Path

from flask_appbuilder.security.manager import AUTH_DB

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_DIR", BASE_DIR / "instance"))


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_dates(name: str) -> list[dt.date]:
    raw = os.environ.get(name, "")
    return [dt.date.fromisoformat(part.strip()) for part in raw.split(",") if part.strip()]


def _development_secret_key() -> str:
    """A random key generated once per checkout and kept in instance/ (never in the repo)."""
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    key_file = INSTANCE_DIR / "dev-secret-key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


APP_ENV = os.environ.get("APP_ENV", "development")
PRODUCTION = APP_ENV == "production"

# In production the key must come from the environment; create_app refuses otherwise.
SECRET_KEY = os.environ.get("SECRET_KEY") or ("" if PRODUCTION else _development_secret_key())
# Encrypts the two-factor secrets (app/accounts/two_factor.py); without it a key is derived
# from SECRET_KEY, so rotating SECRET_KEY alone would void every enrolment.
TWO_FACTOR_KEY = os.environ.get("TWO_FACTOR_KEY", "")

SQLALCHEMY_DATABASE_URI = os.environ.get(
    "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'registry.db'}"
)
# PostgreSQL in production: the app connects as a role that owns nothing (DATABASE_URL);
# migrations and `flask db grant-app-role` connect as the owner of the tables, given here
# (README: "PostgreSQL in production: least privilege"). Unset: migrations use DATABASE_URL.
DATABASE_OWNER_URL = os.environ.get("DATABASE_OWNER_URL", "")
SQLALCHEMY_TRACK_MODIFICATIONS = False
SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

# Tables are created by migrations only, never by FAB at start-up.
FAB_CREATE_DB = False
# Roles and their permissions are synced from app/security.py (flask roles sync);
# FAB still registers the permission of every view it serves.
FAB_UPDATE_PERMS = _env_bool("FAB_UPDATE_PERMS", False)
FAB_SECURITY_MANAGER_CLASS = "app.accounts.security_manager.RegistrySecurityManager"
FAB_ADD_SECURITY_API = False
# The OpenAPI document (/api/v1/_openapi) and Swagger UI (/swagger/v1), from FAB's own
# static files; who may read them is a permission (app/security.py API_DOCS).
FAB_API_SWAGGER_UI = True
FAB_API_SWAGGER_TEMPLATE = "api_swagger.html"
# FAB's menu API serves a JavaScript front end's menu; the screens here render their own and
# no role is given it, so it is not served.
FAB_ADD_MENU_API = False

APP_NAME = "二级执业资格注册管理系统"
APP_THEME = ""
APP_ICON = ""
PROVINCE_NAME = os.environ.get("PROVINCE_NAME", "广东省")
PROVINCE_CODE = os.environ.get("PROVINCE_CODE", "44")  # in registration numbers
AUTHORITY_NAME = os.environ.get("AUTHORITY_NAME", "广东省住房和城乡建设厅")

AUTH_TYPE = AUTH_DB
AUTH_ROLE_ADMIN = "超级管理员"
AUTH_ROLE_PUBLIC = "公众"
AUTH_USER_REGISTRATION = False

# Chinese by default, English selectable from the language menu.
# Babel parses zh_CN as zh_Hans_CN, which gettext resolves to the catalogue in
# app/translations/zh (where FAB keeps its own Chinese too).
BABEL_DEFAULT_LOCALE = "zh_CN"
BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "app" / "translations")
LANGUAGES = {
    "zh_CN": {"flag": "cn", "name": "简体中文"},
    "en": {"flag": "gb", "name": "English"},
}

# Login lockout (MLPS 2.0 level 3): this many wrong passwords in a row lock the account for
# this many minutes; see app/accounts/lockout.py.
LOGIN_MAX_FAILURES = int(os.environ.get("LOGIN_MAX_FAILURES", 5))
LOGIN_LOCK_MINUTES = int(os.environ.get("LOGIN_LOCK_MINUTES", 15))

WTF_CSRF_ENABLED = _env_bool("WTF_CSRF_ENABLED", True)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = PRODUCTION
# Sessions end after this long without a request, and this long after login whatever the
# activity (app/accounts/sessions.py); the cookie itself expires with the idle time.
SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", 30))
SESSION_ABSOLUTE_HOURS = int(os.environ.get("SESSION_ABSOLUTE_HOURS", 12))
PERMANENT_SESSION_LIFETIME = dt.timedelta(minutes=SESSION_IDLE_MINUTES)
SESSION_REFRESH_EACH_REQUEST = True

# Time limits in working days (domain.md section 6) and the working calendar.
ACCEPTANCE_WORKING_DAYS = int(os.environ.get("ACCEPTANCE_WORKING_DAYS", 5))
DECISION_WORKING_DAYS = {
    "initial": 20, "add_specialty": 20, "re_registration": 20,
    "change": 10, "renewal": 10, "cancellation": 5, "correction": 5,
}
# The national holidays and 调休 days come from the chinesecalendar package (State Council
# notices); these add to and override them (app/applications/work_calendar.py). Comma-separated
# ISO dates, e.g. PUBLIC_HOLIDAYS=2027-01-01,2027-02-05
PUBLIC_HOLIDAYS = _env_dates("PUBLIC_HOLIDAYS")  # the province's own days off
EXTRA_WORKING_DAYS = _env_dates("EXTRA_WORKING_DAYS")  # weekend days worked
# Years whose whole arrangement was entered above before the package carries them, e.g. 2027:
# their limits are then no longer marked provisional.
CALENDAR_ENTERED_YEARS = [int(y) for y in os.environ.get("CALENDAR_ENTERED_YEARS", "").split(",")
                          if y.strip()]
# Renewal window: opens this many days before expiry and closes this many days before.
RENEWAL_OPENS_DAYS_BEFORE = int(os.environ.get("RENEWAL_OPENS_DAYS_BEFORE", 90))
RENEWAL_CLOSES_DAYS_BEFORE = int(os.environ.get("RENEWAL_CLOSES_DAYS_BEFORE", 30))

# Administrator accounts (system, security, audit, superuser) must renew their password
# after this many days; 0 turns it off.
ADMIN_PASSWORD_MAX_AGE_DAYS = int(os.environ.get("ADMIN_PASSWORD_MAX_AGE_DAYS", 90))

# Electronic certificate (domain.md section 8): usage period of a printed version.
CERTIFICATE_USAGE_DAYS = int(os.environ.get("CERTIFICATE_USAGE_DAYS", 180))
# The address printed in QR codes and e-mailed links; production needs the public https
# address. Unset outside production: the address the page was served on (app/public_address.py).
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "")
# The authority's seal (PNG with transparency). Without it a specimen seal marked 样章 is
# drawn; production refuses to start without it.
SEAL_IMAGE = os.environ.get("SEAL_IMAGE", "")
# The authority's signing key and certificate (PEM). Without them a development pair is
# generated into instance/ and marked DEVELOPMENT ONLY; production refuses it.
CERTIFICATE_SIGNING_KEY = os.environ.get("CERTIFICATE_SIGNING_KEY", "")
CERTIFICATE_SIGNING_CERT = os.environ.get("CERTIFICATE_SIGNING_CERT", "")
CERTIFICATE_SIGNING_KEY_PASSPHRASE = os.environ.get("CERTIFICATE_SIGNING_KEY_PASSPHRASE", "")

# Rate limits, per client address, by FAB's Flask-Limiter (which FAB switches off unless
# told otherwise). Only the routes that declare a limit are limited: the public
# verification pages, the sign-up pages (POST), and the login form and API login (POST,
# by FAB's own AUTH_RATE_LIMITED; FAB reads AUTH_RATE_LIMIT once, when the app is built).
# Memory storage counts per process, so several gunicorn workers each allow the full rate:
# production warns at start-up, and takes REDIS_URL's Redis when it is set.
RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
# Redis (README: Production): the state every app server shares. With it the rate-limit
# counters are shared by every worker of every host, and e-mail copies, the daily work, large
# roster imports and certificate batches go to the task queue (app/operations). Without it
# (development) all of that happens in the one process, as it always did.
REDIS_URL = os.environ.get("REDIS_URL", "")
RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", REDIS_URL or "memory://")
VERIFY_RATE_LIMIT = os.environ.get("VERIFY_RATE_LIMIT", "30 per minute")
FAQ_RATE_LIMIT = os.environ.get("FAQ_RATE_LIMIT", "60 per minute")  # the public FAQ page
AUTH_RATE_LIMITED = _env_bool("AUTH_RATE_LIMITED", True)
AUTH_RATE_LIMIT = os.environ.get("AUTH_RATE_LIMIT", "20 per minute")
SIGNUP_RATE_LIMIT = os.environ.get("SIGNUP_RATE_LIMIT", "10 per minute")

# With the queue (REDIS_URL), a roster file larger than this is checked and imported by the
# queue worker while the page shows the progress (app/registry/roster_jobs.py).
ROSTER_QUEUE_BYTES = int(os.environ.get("ROSTER_QUEUE_BYTES", 1024 * 1024))

# The largest request body accepted at all (roster files); image uploads have lower limits.
MAX_CONTENT_LENGTH = 50 * 1024 * 1024

# Uploaded and generated files: "database" (default) or "folder" (outside the web root).
STORAGE_BACKEND = os.environ.get("STORAGE_BACKEND", "database")
STORAGE_FOLDER = Path(os.environ.get("STORAGE_FOLDER", INSTANCE_DIR / "files"))

# Demo accounts exist only outside production; their passwords are generated per install.
DEMO_ACCOUNTS_FILE = INSTANCE_DIR / "demo-accounts.txt"

# How long audit rows are kept: `flask audit purge` (daily, by cron) deletes older ones.
# Six months is the legal minimum (网络安全法 第二十一条), so less than 180 days is refused.
AUDIT_RETENTION_DAYS = int(os.environ.get("AUDIT_RETENTION_DAYS", "183"))

# E-mail copies of in-app messages (app/service/mailer.py). Without MAIL_SERVER no e-mail is sent,
# only the message centre is used. MAIL_USE_TLS = STARTTLS on a plain port (587);
# MAIL_USE_SSL = implicit TLS (465). The password comes from the environment only.
MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
MAIL_PORT = int(os.environ.get("MAIL_PORT", 25))
MAIL_USE_TLS = _env_bool("MAIL_USE_TLS", False)
MAIL_USE_SSL = _env_bool("MAIL_USE_SSL", False)
MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
MAIL_FROM = os.environ.get("MAIL_FROM", "noreply@localhost")
# Seconds to wait for the SMTP server: a transition's page waits at most this long.
MAIL_TIMEOUT = float(os.environ.get("MAIL_TIMEOUT", 10))
# A copy that failed this many times is given up (state stays "failed").
MAIL_MAX_ATTEMPTS = int(os.environ.get("MAIL_MAX_ATTEMPTS", 5))

# Seconds between the retries of an e-mail copy that could not be sent (the queue worker's
# back-off, over an hour): each retry is an attempt of MAIL_MAX_ATTEMPTS, and the worker
# leaves at least one to the daily work, so a server down for longer still gets its copies
# the next day. Without the queue the daily work retries them.
MAIL_RETRY_SECONDS = [int(s) for s in os.environ.get("MAIL_RETRY_SECONDS", "60,600,3600").split(",")]
# RedisError while counting must not become an error page: each process counts in memory
# until Redis answers again (Flask-Limiter); Redis is waited for 2 s at most.
RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
RATELIMIT_SWALLOW_ERRORS = True
RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 2}
# When the queue runs the daily work (lapse, reminders, copies unsent, audit purge), in the
# province's time; without the queue cron runs `flask daily run`.
DAILY_TASKS_AT = os.environ.get("DAILY_TASKS_AT", "01:30")

# How many reverse proxies in front of the app set X-Forwarded-For/-Proto/-Host (and
# X-Request-Id); 0 trusts none, so that a client cannot choose the address the rate limits
# count and the audit trail records (app/operations/request_log.py).
TRUSTED_PROXY_HOPS = int(os.environ.get("TRUSTED_PROXY_HOPS", 0))
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")

# Reminders (flask reminders send, daily by cron; app/service/reminders.py).
RENEWAL_REMINDER_DAYS = (90, 30)  # days before the earliest running specialty expiry
CERTIFICATE_USAGE_REMINDER_DAYS = int(os.environ.get("CERTIFICATE_USAGE_REMINDER_DAYS", 15))
ENTERPRISE_WAITING_WORKING_DAYS = int(os.environ.get("ENTERPRISE_WAITING_WORKING_DAYS", 5))
# An authority item is "near its time limit" with this many working days left or fewer.
DEADLINE_NEAR_WORKING_DAYS = int(os.environ.get("DEADLINE_NEAR_WORKING_DAYS", 3))

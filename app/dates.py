"""Calendar helpers shared by rules, demo data and certificates."""
import datetime as dt


def add_years(day: dt.date, years: int) -> dt.date:
    """Same day `years` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


# Times are stored in UTC; days are the province's (BABEL_DEFAULT_TIMEZONE, Asia/Shanghai).
PROVINCE_ZONE = "Asia/Shanghai"  # when no app is at hand (scripts); config.py sets the same


def province_zone():
    from zoneinfo import ZoneInfo

    from flask import current_app, has_app_context

    name = current_app.config.get("BABEL_DEFAULT_TIMEZONE") if has_app_context() else None
    return ZoneInfo(name or PROVINCE_ZONE)


def start_of_day_utc(day: dt.date) -> dt.datetime:
    """Midnight of `day` in the province, as an aware UTC time (compare it with stored times;
    a naive value would be read in the database session's own time zone by PostgreSQL)."""
    return dt.datetime.combine(day, dt.time(), province_zone()).astimezone(dt.UTC)


def as_utc(moment: dt.datetime) -> dt.datetime:
    """A stored time with its zone: SQLite hands timezone-aware columns back naive, and
    they were stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def province_date(moment: dt.datetime) -> dt.date:
    """The province's calendar day of a stored time."""
    return as_utc(moment).astimezone(province_zone()).date()


def province_now(now: dt.datetime | None = None) -> dt.datetime:
    """Now (or the given moment), as an aware time in the province's zone."""
    return as_utc(now or dt.datetime.now(dt.UTC)).astimezone(province_zone())


def province_today() -> dt.date:
    """Today in the province: a server on UTC is still on yesterday until 08:00 there."""
    return province_now().date()


def local_time(moment: dt.datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """A stored time as the province's clock shows it (screens, PDF, messages, exports)."""
    if moment is None:
        return ""
    return as_utc(moment).astimezone(province_zone()).strftime(pattern)


def local_date(moment: dt.datetime | None) -> str:
    return local_time(moment, "%Y-%m-%d")


def register(app) -> None:
    """Templates show stored times with these, never with strftime on the UTC value."""
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["local_date"] = local_date

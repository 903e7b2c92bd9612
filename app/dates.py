"""Calendar helpers shared by rules, demo data and certificates."""
import datetime as dt


def add_years(day: dt.date, years: int) -> dt.date:
    """Same day `years` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


# Times are stored in UTC; days are the province's (BABEL_DEFAULT_TIMEZONE, Asia/Shanghai).
def province_zone():
    from zoneinfo import ZoneInfo

    from flask import current_app

    return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "UTC")


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

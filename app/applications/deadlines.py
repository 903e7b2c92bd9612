"""Statutory time limits in working days (domain.md section 6). The numbers and the calendar
(public holidays, and weekend days made working days) are configuration."""
from __future__ import annotations

import datetime as dt

from flask import current_app

from ..enums import ApplicationState


def _calendar() -> tuple[set[dt.date], set[dt.date]]:
    config = current_app.config
    return set(config["PUBLIC_HOLIDAYS"]), set(config["EXTRA_WORKING_DAYS"])


def is_working_day(day: dt.date) -> bool:
    holidays, extra = _calendar()
    if day in extra:
        return True
    return day.weekday() < 5 and day not in holidays


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date `days` working days after `start` (start itself not counted)."""
    day = start
    while days > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            days -= 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after `start` up to and including `end`; negative when end < start."""
    if end < start:
        return -working_days_between(end, start)
    return sum(1 for n in range(1, (end - start).days + 1)
               if is_working_day(start + dt.timedelta(days=n)))


def deadline_for(state: ApplicationState, app_type_name: str, entered: dt.date) -> dt.date | None:
    """The authority's time limit for an application that has just entered `state`."""
    config = current_app.config
    if state == ApplicationState.pending_acceptance:
        return add_working_days(entered, config["ACCEPTANCE_WORKING_DAYS"])
    if state == ApplicationState.under_review:
        return add_working_days(entered, config["DECISION_WORKING_DAYS"][app_type_name])
    return None

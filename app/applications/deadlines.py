"""Statutory time limits in working days (domain.md section 6). The numbers are
configuration; the calendar is the national one with the province's days (work_calendar.py)."""
from __future__ import annotations

import datetime as dt

from flask import current_app

from ..enums import ApplicationState
from .work_calendar import work_calendar


def is_working_day(day: dt.date) -> bool:
    return work_calendar().is_working_day(day)


def is_provisional(day: dt.date) -> bool:
    """A limit falling in a year whose holidays are not published yet (weekends only)."""
    return work_calendar().is_provisional(day)


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date `days` working days after `start` (start itself not counted)."""
    calendar, day = work_calendar(), start
    while days > 0:
        day += dt.timedelta(days=1)
        if calendar.is_working_day(day):
            days -= 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after `start` up to and including `end`; negative when end < start."""
    if end < start:
        return -working_days_between(end, start)
    calendar = work_calendar()
    return sum(1 for n in range(1, (end - start).days + 1)
               if calendar.is_working_day(start + dt.timedelta(days=n)))


def deadline_for(state: ApplicationState, app_type_name: str, entered: dt.date) -> dt.date | None:
    """The authority's time limit for an application that has just entered `state`."""
    config = current_app.config
    if state == ApplicationState.pending_acceptance:
        return add_working_days(entered, config["ACCEPTANCE_WORKING_DAYS"])
    if state == ApplicationState.under_review:
        return add_working_days(entered, config["DECISION_WORKING_DAYS"][app_type_name])
    return None

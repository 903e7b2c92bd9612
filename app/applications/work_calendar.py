"""The working calendar behind every statutory time limit (domain.md section 6).

The national arrangement comes from `chinesecalendar`, which carries the State Council's
yearly notices (国务院办公厅关于节假日安排的通知: the holidays and the weekend days worked in
lieu, 调休). A province adds its own days with PUBLIC_HOLIDAYS and EXTRA_WORKING_DAYS, which also
override the national days, and enters the arrangement of a year the package does not carry
yet with the same two settings plus CALENDAR_ENTERED_YEARS. For any other year only weekends
are known: the limits are still computed, but marked provisional wherever they are shown.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

import chinese_calendar
from chinese_calendar import constants as national
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

NATIONAL_SOURCE = f"chinesecalendar {chinese_calendar.__version__}"
# Weekdays off and weekend days worked under the national arrangement.
_NATIONAL_DAYS_OFF = frozenset(d for d in national.holidays if d.weekday() < 5)
_NATIONAL_DAYS_WORKED = frozenset(national.workdays)
NATIONAL_YEARS = frozenset(range(min(national.holidays).year, max(national.holidays).year + 1))


@dataclass(frozen=True)
class WorkCalendar:
    days_off: frozenset[dt.date]     # weekdays that are not working days
    days_worked: frozenset[dt.date]  # weekend days that are working days
    known_years: frozenset[int]      # years whose arrangement is published or entered
    local_off: frozenset[dt.date]    # the province's own settings, to show where a day comes from
    local_worked: frozenset[dt.date]

    def is_working_day(self, day: dt.date) -> bool:
        if day.weekday() < 5:
            return day not in self.days_off
        return day in self.days_worked

    def is_provisional(self, day: dt.date) -> bool:
        """True when `day`'s year has no published or entered arrangement (weekends only)."""
        return day.year not in self.known_years

    def last_known_year(self) -> int:
        return max(self.known_years)


@lru_cache(maxsize=8)
def _build(days_off: tuple, days_worked: tuple, entered_years: tuple) -> WorkCalendar:
    local_off, local_worked = frozenset(days_off), frozenset(days_worked)
    # A province's working day wins over a national day off and its day off over a national
    # make-up day; a day in both settings is a working day, as before the national calendar.
    off = (_NATIONAL_DAYS_OFF - local_worked) | {d for d in local_off - local_worked
                                                  if d.weekday() < 5}
    worked = (_NATIONAL_DAYS_WORKED - local_off) | {d for d in local_worked if d.weekday() >= 5}
    return WorkCalendar(frozenset(off), frozenset(worked),
                        NATIONAL_YEARS | frozenset(entered_years), local_off, local_worked)


def work_calendar() -> WorkCalendar:
    """The calendar for the app's current settings (tests change them, so read them each time;
    building it is cached)."""
    config = current_app.config
    return _build(tuple(sorted(config["PUBLIC_HOLIDAYS"])),
                  tuple(sorted(config["EXTRA_WORKING_DAYS"])),
                  tuple(sorted(config["CALENDAR_ENTERED_YEARS"])))


def coverage_warning(today: dt.date) -> str | None:
    """What start-up says when this year or the next has no known arrangement."""
    calendar = work_calendar()
    missing = [y for y in (today.year, today.year + 1) if y not in calendar.known_years]
    if not missing:
        return None
    return _("Holidays are known up to %(last)s (%(source)s and the province's settings): time "
             "limits from %(year)s on are counted over weekends only and marked provisional. "
             "When the State Council publishes them, upgrade chinesecalendar, or enter that "
             "year's days off and days worked in PUBLIC_HOLIDAYS and EXTRA_WORKING_DAYS and add "
             "the year to CALENDAR_ENTERED_YEARS. See: flask calendar show %(year)s",
             last=calendar.last_known_year(), source=NATIONAL_SOURCE, year=missing[0])


HOLIDAY_NAMES = {  # chinesecalendar's names, for the listing
    "New Year's Day": _l("New Year's Day"), "Spring Festival": _l("Spring Festival"),
    "Tomb-sweeping Day": _l("Tomb-sweeping Day"), "Labour Day": _l("Labour Day"),
    "Dragon Boat Festival": _l("Dragon Boat Festival"), "National Day": _l("National Day"),
    "Mid-autumn Festival": _l("Mid-autumn Festival"),
    "Anti-Fascist 70th Day": _l("Anti-Fascist 70th Day"),
}


def year_listing(year: int) -> str:
    """`flask calendar show YEAR`: the year's status, days off and days worked with their source."""
    calendar = work_calendar()
    days = [dt.date(year, 1, 1) + dt.timedelta(days=n)
            for n in range((dt.date(year + 1, 1, 1) - dt.date(year, 1, 1)).days)]
    if year in NATIONAL_YEARS:
        status = _("published: the State Council's arrangement (%(source)s)", source=NATIONAL_SOURCE)
    elif year in calendar.known_years:
        status = _("entered by the province (CALENDAR_ENTERED_YEARS)")
    else:
        status = _("PROVISIONAL: not published yet, weekends only plus the province's settings")
    lines = [_("%(year)s: %(status)s", year=year, status=status),
             _("Working days: %(n)s", n=sum(calendar.is_working_day(d) for d in days)),
             _("Weekdays off:")]
    lines += [f"  {d.isoformat()} {_describe(d, national.holidays, calendar.local_off)}"
              for d in days if d.weekday() < 5 and not calendar.is_working_day(d)] or ["  -"]
    lines.append(_("Weekend days worked:"))
    lines += [f"  {d.isoformat()} {_describe(d, national.workdays, calendar.local_worked)}"
              for d in days if d.weekday() >= 5 and calendar.is_working_day(d)] or ["  -"]
    return "\n".join(lines)


def _describe(day: dt.date, national_days: dict, local_days: frozenset) -> str:
    if day in local_days:
        return _("(the province's setting)")
    name = national_days.get(day, "")
    return _("%(name)s (national)", name=HOLIDAY_NAMES.get(name, name))

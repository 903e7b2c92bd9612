"""The figures of the dashboards (issue 7): counts, weekly series, processing time and the
authority's overdue list. Every figure is a set-based query (GROUP BY, or an ordered LIMIT)
so that a province's 100 000+ applications are summed by the database, not in Python; each
takes an optional enterprise id that limits it to that enterprise's applications.

Definitions (README "Dashboards"):
- an application counts once it has been submitted (submitted_at set); drafts never
  submitted are the applicant's own business;
- a day is a calendar day in the province's time zone (BABEL_DEFAULT_TIMEZONE);
- processing time is working_days_between(submission day, decision day) for applications
  approved or refused within the window, using the configured holiday calendar;
- p90 is the nearest-rank 90th percentile: the smallest value such that at least 90 % of
  the values are at most it (the ceil(0.9·n)-th value in ascending order)."""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from flask_babel import gettext
from sqlalchemy import Date, and_, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from ..applications.deadlines import add_working_days, working_days_between
from ..applications.work_calendar import work_calendar
from ..dates import province_today, province_zone, start_of_day_utc
from ..enums import ApplicationState, ApplicationType, RegistrationStatus
from ..extensions import db
from ..models import (
    Application,
    Practitioner,
    QualificationType,
    Registration,
    RegistrationSpecialty,
    Specialty,
)

WEEKS = 12
PROCESSING_WINDOW_DAYS = 90
DUE_SOON_WORKING_DAYS = 3
EXPIRY_WARNING_DAYS = 90
LIST_LIMIT = 50  # overdue / due-soon rows shown; the rest are counted
PRACTITIONER_LIMIT = 200
TOP_CITIES = 25  # cities beyond these are summed as "other"
AUTHORITY_STATES = (ApplicationState.pending_acceptance, ApplicationState.under_review,
                    ApplicationState.pending_decision)
DECIDED_STATES = (ApplicationState.approved, ApplicationState.refused)


# ---------------------------------------------------------------- the province's calendar day
class local_date(FunctionElement):  # noqa: N801 (reads as an SQL function)
    """The calendar day of a UTC timestamp in the given time zone, on either database."""

    type = Date()
    name = "local_date"
    inherit_cache = False  # the zone is not a bound parameter, so no statement caching

    def __init__(self, column, zone: str):
        self.zone = str(ZoneInfo(zone))  # refuses an unknown zone before it reaches SQL
        super().__init__(column)


@compiles(local_date, "postgresql")
def _local_date_pg(element, compiler, **kw):
    zone = element.zone.replace("'", "''")
    return f"CAST(timezone('{zone}', {compiler.process(element.clauses, **kw)}) AS DATE)"


@compiles(local_date, "sqlite")
def _local_date_sqlite(element, compiler, **kw):
    # SQLite stores the UTC wall time; China keeps one offset all year, so a fixed shift
    # is exact there (a zone with summer time would be off by an hour around the change).
    offset = ZoneInfo(element.zone).utcoffset(dt.datetime.now())
    minutes = int(offset.total_seconds() // 60)
    return f"date({compiler.process(element.clauses, **kw)}, '{minutes:+d} minutes')"


def _day(column):
    return local_date(column, str(province_zone()))


def _scoped(query, enterprise_id: int | None):
    return query if enterprise_id is None else query.where(Application.enterprise_id == enterprise_id)


def _received_where(enterprise_id: int | None):
    condition = Application.submitted_at.is_not(None)
    if enterprise_id is not None:
        condition = and_(condition, Application.enterprise_id == enterprise_id)
    return condition


# ---------------------------------------------------------------- counts
@dataclass
class Count:
    label: str
    value: int
    key: str = ""  # the state or type name, for links and tests


# The four breakdowns come from one GROUP BY over the four columns (at most a few thousand
# groups), summed per column here: one pass over the table instead of four (bench/dashboard.py:
# the whole page's figures on 120 000 applications went from 524 to 304 ms on SQLite).
BREAKDOWN = (Application.state, Application.app_type, Application.qualification_id,
             Application.city)


def breakdown(enterprise_id: int | None = None) -> list[tuple]:
    """(state, app_type, qualification_id, city, count) of the received applications."""
    return [tuple(row) for row in db.session.execute(
        select(*BREAKDOWN, func.count()).where(_received_where(enterprise_id))
        .group_by(*BREAKDOWN)).all()]


def _grouped(position: int, enterprise_id: int | None, rows: list[tuple] | None) -> dict:
    totals: dict = {}
    for row in breakdown(enterprise_id) if rows is None else rows:
        totals[row[position]] = totals.get(row[position], 0) + row[-1]
    return totals


def counts_by_state(enterprise_id: int | None = None, rows=None) -> list[Count]:
    found = _grouped(0, enterprise_id, rows)
    return [Count(str(s), found.get(s, 0), s.name) for s in ApplicationState
            if s != ApplicationState.draft or found.get(s)]


def counts_by_type(enterprise_id: int | None = None, rows=None) -> list[Count]:
    found = _grouped(1, enterprise_id, rows)
    return [Count(str(t), found.get(t, 0), t.name) for t in ApplicationType]


def counts_by_qualification(enterprise_id: int | None = None, rows=None) -> list[Count]:
    found = _grouped(2, enterprise_id, rows)
    qualifications = db.session.execute(
        select(QualificationType.id, QualificationType.code, QualificationType.name)
        .order_by(QualificationType.id)).all()
    return [Count(name, found.get(qid, 0), code) for qid, code, name in qualifications]


def counts_by_city(enterprise_id: int | None = None, rows=None) -> list[Count]:
    """Largest first; no city (an application without an enterprise) shows as 未知."""
    found = _grouped(3, enterprise_id, rows)
    ranked = sorted(found.items(), key=lambda kv: (-kv[1], kv[0] or ""))
    result = [Count(city or gettext("Unknown"), n, city or "") for city, n in ranked[:TOP_CITIES]]
    rest = sum(n for _city, n in ranked[TOP_CITIES:])
    if rest:
        result.append(Count(gettext("Other cities"), rest, "*"))
    return result


# ---------------------------------------------------------------- weekly series
@dataclass
class Week:
    monday: dt.date
    received: int = 0
    decided: int = 0

    @property
    def label(self) -> str:
        year, week, _ = self.monday.isocalendar()
        return f"{year}-W{week:02d}"


def _per_day(column, condition, since: dt.date) -> dict[dt.date, int]:
    day = _day(column).label("day")
    query = select(day, func.count()).where(condition, column >= start_of_day_utc(since)) \
        .group_by(day)
    return {d if isinstance(d, dt.date) else dt.date.fromisoformat(d): n
            for d, n in db.session.execute(query).all()}


def weekly(today: dt.date, enterprise_id: int | None = None, weeks: int = WEEKS) -> list[Week]:
    """The last `weeks` ISO weeks up to the current one, oldest first, empty weeks kept.
    The database sums per day (at most weeks×7 rows); days are put into weeks here."""
    first = today - dt.timedelta(days=today.weekday()) - dt.timedelta(weeks=weeks - 1)
    series = [Week(first + dt.timedelta(weeks=n)) for n in range(weeks)]
    received = _per_day(Application.submitted_at, _received_where(enterprise_id), first)
    decided_where = Application.state.in_(DECIDED_STATES)
    if enterprise_id is not None:
        decided_where = and_(decided_where, Application.enterprise_id == enterprise_id)
    decided = _per_day(Application.decided_at, decided_where, first)
    for attr, per_day in (("received", received), ("decided", decided)):
        for day, n in per_day.items():
            index = (day - first).days // 7
            if 0 <= index < weeks:
                setattr(series[index], attr, getattr(series[index], attr) + n)
    return series


# ---------------------------------------------------------------- processing time
def nearest_rank(values: Iterable[tuple[int, int]], percent: float) -> int | None:
    """Nearest-rank percentile of (value, how many) pairs: the smallest value v such that
    at least `percent` % of all values are <= v. None when there are none."""
    pairs = sorted(values)
    total = sum(n for _v, n in pairs)
    if total == 0:
        return None
    rank = max(1, math.ceil(percent / 100 * total))
    seen = 0
    for value, n in pairs:
        seen += n
        if seen >= rank:
            return value
    return pairs[-1][0]  # not reached: seen ends at total >= rank


def _working_day_counter(first: dt.date, last: dt.date):
    """f(start, end) == working_days_between(start, end) for days within [first, last],
    from one pass over the calendar instead of one per decision."""
    calendar, cumulative, count, day = work_calendar(), {}, 0, first
    while day <= last:
        if day != first and calendar.is_working_day(day):
            count += 1
        cumulative[day] = count
        day += dt.timedelta(days=1)
    return lambda start, end: cumulative[end] - cumulative[start]


@dataclass
class ProcessingTime:
    since: dt.date
    until: dt.date
    decisions: int = 0
    average: float | None = None
    p90: int | None = None
    distribution: list[tuple[int, int]] = field(default_factory=list)  # (working days, count)


def processing_time(today: dt.date, enterprise_id: int | None = None,
                    window_days: int = PROCESSING_WINDOW_DAYS) -> ProcessingTime:
    """Working days from submission to decision, over applications approved or refused in
    the last `window_days` calendar days including today. The database groups by the pair
    (submission day, decision day), so the calendar is consulted once per distinct pair."""
    since = today - dt.timedelta(days=window_days - 1)
    result = ProcessingTime(since, today)
    submitted, decided = _day(Application.submitted_at).label("s"), \
        _day(Application.decided_at).label("d")
    query = select(submitted, decided, func.count()).where(
        Application.state.in_(DECIDED_STATES), Application.submitted_at.is_not(None),
        Application.decided_at >= start_of_day_utc(since),
        Application.decided_at < start_of_day_utc(today + dt.timedelta(days=1)),
    ).group_by(submitted, decided)
    query = _scoped(query, enterprise_id)
    pairs = [(_as_date(s), _as_date(d), n) for s, d, n in db.session.execute(query).all()]
    if not pairs:
        return result
    first = min(min(s, d) for s, d, _n in pairs)
    last = max(max(s, d) for s, d, _n in pairs)
    between = _working_day_counter(first, last)
    per_value: dict[int, int] = {}
    for s, d, n in pairs:
        days = between(s, d)
        per_value[days] = per_value.get(days, 0) + n
    result.distribution = sorted(per_value.items())
    result.decisions = sum(per_value.values())
    result.average = sum(v * n for v, n in per_value.items()) / result.decisions
    result.p90 = nearest_rank(per_value.items(), 90)
    return result


def _as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


# ---------------------------------------------------------------- overdue and due soon
@dataclass
class DueItem:
    id: int
    practitioner: str
    app_type: ApplicationType
    qualification: str
    city: str | None
    state: ApplicationState
    deadline: dt.date
    working_days: int  # overdue by (positive) or left (zero or more), in working days
    provisional: bool = False  # counted over a year whose holidays are not known (weekends only)


@dataclass
class DueList:
    items: list[DueItem]
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.items)


def _due(condition, today: dt.date, enterprise_id: int | None, overdue: bool) -> DueList:
    where = and_(Application.state.in_(AUTHORITY_STATES), Application.deadline.is_not(None),
                 condition)
    if enterprise_id is not None:
        where = and_(where, Application.enterprise_id == enterprise_id)
    total = db.session.scalar(select(func.count()).select_from(Application).where(where))
    rows = db.session.execute(
        select(Application.id, Practitioner.real_name, Application.app_type,
               QualificationType.name, Application.city, Application.state, Application.deadline)
        .join(Practitioner, Practitioner.id == Application.practitioner_id)
        .join(QualificationType, QualificationType.id == Application.qualification_id)
        .where(where).order_by(Application.deadline, Application.id).limit(LIST_LIMIT)).all()
    calendar = work_calendar()
    items = [DueItem(*row[:7], working_days=(working_days_between(row.deadline, today)
                                             if overdue else working_days_between(today, row.deadline)),
                     provisional=calendar.is_provisional(max(row.deadline, today)))
             for row in rows]
    return DueList(items, total or 0)


def overdue(today: dt.date, enterprise_id: int | None = None) -> DueList:
    """Past the time limit (deadline before today), most overdue first."""
    return _due(Application.deadline < today, today, enterprise_id, overdue=True)


def due_soon(today: dt.date, enterprise_id: int | None = None) -> DueList:
    """Due today or within the next DUE_SOON_WORKING_DAYS working days, soonest first."""
    horizon = add_working_days(today, DUE_SOON_WORKING_DAYS)
    return _due(Application.deadline.between(today, horizon), today, enterprise_id,
                overdue=False)


# ---------------------------------------------------------------- an enterprise's practitioners
@dataclass
class PractitionerExpiry:
    registration_id: int
    number: str
    practitioner: str
    qualification: str
    specialty: str | None
    expires_on: dt.date
    days_left: int

    @property
    def expired(self) -> bool:
        return self.days_left < 0  # a specialty is still valid on its expiry date

    @property
    def expiring(self) -> bool:
        return 0 <= self.days_left <= EXPIRY_WARNING_DAYS


@dataclass
class PractitionerList:
    items: list[PractitionerExpiry]
    total: int
    expired: int
    expiring: int

    @property
    def more(self) -> int:
        return self.total - len(self.items)


def registered_practitioners(enterprise_id: int, today: dt.date) -> PractitionerList:
    """Each registered specialty of the enterprise's valid registrations, nearest expiry
    first (expired ones at the top), with the counts of expired and expiring ones."""
    where = and_(Registration.enterprise_id == enterprise_id,
                 Registration.status == RegistrationStatus.valid)
    counts = _expiry_counts(where, today)
    rows = db.session.execute(
        select(Registration.id, Registration.number, Practitioner.real_name,
               QualificationType.name, Specialty.name, RegistrationSpecialty.expires_on)
        .select_from(RegistrationSpecialty)
        .join(Registration, Registration.id == RegistrationSpecialty.registration_id)
        .join(Practitioner, Practitioner.id == Registration.practitioner_id)
        .join(QualificationType, QualificationType.id == Registration.qualification_id)
        .outerjoin(Specialty, Specialty.id == RegistrationSpecialty.specialty_id)
        .where(where)
        .order_by(RegistrationSpecialty.expires_on, Registration.number)
        .limit(PRACTITIONER_LIMIT)).all()
    items = [PractitionerExpiry(*row, days_left=(row.expires_on - today).days) for row in rows]
    return PractitionerList(items, *counts)


def _expiry_counts(where, today: dt.date) -> tuple[int, int, int]:
    expires = RegistrationSpecialty.expires_on
    soon = today + dt.timedelta(days=EXPIRY_WARNING_DAYS)
    return tuple(db.session.execute(
        select(func.count(), func.count().filter(expires < today),
               func.count().filter(expires.between(today, soon)))
        .select_from(RegistrationSpecialty)
        .join(Registration, Registration.id == RegistrationSpecialty.registration_id)
        .where(where)).one())


# ---------------------------------------------------------------- everything for one page
@dataclass
class Dashboard:
    today: dt.date
    by_state: list[Count]
    by_type: list[Count]
    by_qualification: list[Count]
    by_city: list[Count]
    weeks: list[Week]
    processing: ProcessingTime
    overdue: DueList
    due_soon: DueList
    # The first year within reach of the figures (this year, or the next DUE_SOON horizon)
    # whose holidays are not known: limits there are counted over weekends only.
    provisional_year: int | None = None

    @property
    def received_total(self) -> int:
        return sum(c.value for c in self.by_state)


def build(today: dt.date | None = None, enterprise_id: int | None = None) -> Dashboard:
    today = today or province_today()
    rows = breakdown(enterprise_id)
    return Dashboard(
        today=today,
        by_state=counts_by_state(rows=rows),
        by_type=counts_by_type(rows=rows),
        by_qualification=counts_by_qualification(rows=rows),
        by_city=counts_by_city(rows=rows),
        weeks=weekly(today, enterprise_id),
        processing=processing_time(today, enterprise_id),
        overdue=overdue(today, enterprise_id),
        due_soon=due_soon(today, enterprise_id),
        provisional_year=_provisional_year(today),
    )


def _provisional_year(today: dt.date) -> int | None:
    calendar = work_calendar()
    horizon = add_working_days(today, DUE_SOON_WORKING_DAYS)
    return next((day.year for day in (today, horizon) if calendar.is_provisional(day)), None)

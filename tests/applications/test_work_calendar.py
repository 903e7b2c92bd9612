"""The working calendar (app/applications/work_calendar.py) against the State Council's published
arrangements for 2025 and 2026, the province's own settings, years not published yet, and where
that shows: the queue, the application page, the dashboard, start-up and `flask calendar show`."""
from __future__ import annotations

import datetime as dt
import logging

import pytest
import sqlalchemy as sa

from app import create_app
from app.applications.deadlines import add_working_days, is_working_day, working_days_between
from app.applications.work_calendar import NATIONAL_YEARS, coverage_warning
from app.dates import province_today
from app.enums import ApplicationState as S
from app.extensions import db
from app.models import Application
from app.reporting import dashboard
from tests.workflow_support import enterprise_of, make_applicant, put_application


def _days(*spans: str) -> set[dt.date]:
    """'2026-02-15..2026-02-23' or '2026-01-04' → the dates."""
    found = set()
    for span in spans:
        first, _sep, last = span.partition("..")
        day, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last or first)
        while day <= end:
            found.add(day)
            day += dt.timedelta(days=1)
    return found


# 国办发明电〔2024〕12号 (2025) and 国办发明电〔2025〕7号 (2026), typed from the notices, not read
# from the package: the days off (weekends inside them included) and the weekend days worked.
PUBLISHED = {
    2025: (_days("2025-01-01", "2025-01-28..2025-02-04", "2025-04-04..2025-04-06",
                 "2025-05-01..2025-05-05", "2025-05-31..2025-06-02", "2025-10-01..2025-10-08"),
           _days("2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11")),
    2026: (_days("2026-01-01..2026-01-03", "2026-02-15..2026-02-23", "2026-04-04..2026-04-06",
                 "2026-05-01..2026-05-05", "2026-06-19..2026-06-21", "2026-09-25..2026-09-27",
                 "2026-10-01..2026-10-07"),
           _days("2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20",
                 "2026-10-10")),
}


@pytest.fixture
def national(app):
    """The national calendar with no provincial settings."""
    app.config.update(PUBLIC_HOLIDAYS=[], EXTRA_WORKING_DAYS=[], CALENDAR_ENTERED_YEARS=[])


@pytest.mark.parametrize("year", sorted(PUBLISHED))
def test_every_day_of_the_published_years_is_as_the_state_council_set_it(national, year):
    days_off, days_worked = PUBLISHED[year]
    wrong = []
    for day in _days(f"{year}-01-01..{year}-12-31"):
        expected = day in days_worked or (day.weekday() < 5 and day not in days_off)
        if is_working_day(day) != expected:
            wrong.append((day.isoformat(), expected))
    assert wrong == []


def test_ten_working_days_across_national_day(national):
    # 2026: 中秋 25–27 Sept, 国庆 1–7 Oct, Sunday 20 Sept and Saturday 10 Oct worked.
    assert add_working_days(dt.date(2026, 9, 25), 10) == dt.date(2026, 10, 15)
    # 2025: 国庆·中秋 1–8 Oct, Sunday 28 Sept and Saturday 11 Oct worked.
    assert add_working_days(dt.date(2025, 9, 26), 10) == dt.date(2025, 10, 16)
    assert working_days_between(dt.date(2026, 9, 25), dt.date(2026, 10, 15)) == 10


def test_the_provinces_settings_add_to_and_override_the_national_days(app, national):
    app.config["PUBLIC_HOLIDAYS"] = [dt.date(2026, 11, 10),  # a Tuesday: a provincial day off
                                     dt.date(2026, 10, 10)]  # the national make-up Saturday
    app.config["EXTRA_WORKING_DAYS"] = [dt.date(2026, 10, 7),  # a national holiday, worked here
                                        dt.date(2026, 11, 14)]  # a Saturday worked
    assert not is_working_day(dt.date(2026, 11, 10))
    assert not is_working_day(dt.date(2026, 10, 10))
    assert is_working_day(dt.date(2026, 10, 7))
    assert is_working_day(dt.date(2026, 11, 14))
    assert is_working_day(dt.date(2026, 9, 20))  # the other national make-up day is kept
    assert not is_working_day(dt.date(2026, 10, 6))


def test_a_year_not_published_counts_weekends_only_until_the_province_enters_it(app, national):
    year = max(NATIONAL_YEARS) + 1
    new_years_day = next(d for d in _days(f"{year}-01-01..{year}-01-07") if d.weekday() < 5)
    from app.applications.deadlines import is_provisional

    assert is_provisional(new_years_day) and is_working_day(new_years_day)
    assert not is_provisional(dt.date(year - 1, 12, 31))
    app.config.update(PUBLIC_HOLIDAYS=[new_years_day], CALENDAR_ENTERED_YEARS=[year])
    assert not is_provisional(new_years_day) and not is_working_day(new_years_day)


def test_start_up_says_when_this_or_next_years_holidays_are_unknown(app):
    last = max(NATIONAL_YEARS)
    with app.app_context():
        assert coverage_warning(dt.date(last - 1, 6, 1)) is None
        warning = coverage_warning(dt.date(last, 12, 2))
    assert f"{last + 1} 年起的法定期限暂按周末计算" in warning
    assert f"flask calendar show {last + 1}" in warning


def test_create_app_logs_the_warning(app, caplog):
    config = {k: app.config[k] for k in ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "TESTING")}
    today = province_today()
    with caplog.at_level(logging.WARNING):
        create_app({**config, "CALENDAR_ENTERED_YEARS": []})
    unknown = today.year + 1 not in NATIONAL_YEARS
    assert any("CALENDAR_ENTERED_YEARS" in r.getMessage() for r in caplog.records) == unknown
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        create_app({**config, "CALENDAR_ENTERED_YEARS": [today.year, today.year + 1]})
    assert not any("CALENDAR_ENTERED_YEARS" in r.getMessage() for r in caplog.records)


def test_flask_calendar_show_lists_the_days_and_their_source(app, national):
    runner = app.test_cli_runner()
    published = runner.invoke(args=["calendar", "show", "2026"])
    assert published.exit_code == 0, published.output
    assert "已公布" in published.output and "工作日：248 天" in published.output
    assert "2026-10-10 国庆节（全国）" in published.output
    assert "2026-09-25 中秋节（全国）" in published.output
    unknown = runner.invoke(args=["calendar", "show", str(max(NATIONAL_YEARS) + 1)])
    assert unknown.exit_code == 0 and "暂定" in unknown.output
    app.config["PUBLIC_HOLIDAYS"] = [dt.date(2026, 11, 10)]
    assert "2026-11-10 （本省设置）" in runner.invoke(args=["calendar", "show", "2026"]).output


# ---------------------------------------------------------------- where a provisional limit shows
FAR = dt.date(max(NATIONAL_YEARS) + 4, 3, 3)  # beyond any published year, in any test year


def _under_review_until(app, deadline: dt.date) -> int:
    person = make_applicant(app, "applicant", enterprise_of("ent_a", app))
    app_id = put_application(person, enterprise_of("ent_a", app), S.under_review)
    db.session.execute(sa.update(Application).where(Application.id == app_id)
                       .values(deadline=deadline))
    db.session.commit()
    return app_id


def test_the_queue_and_the_application_page_mark_a_provisional_limit(app, national, login):
    app_id = _under_review_until(app, FAR)
    reviewer = login("reviewer")
    listing = reviewer.get("/reviewqueueview/list/").get_data(as_text=True)
    assert f"/show/{app_id}" in listing and "暂定" in listing
    page = reviewer.get(f"/reviewqueueview/show/{app_id}").get_data(as_text=True)
    assert "暂定" in page and f"{FAR.year} 年的节假日安排尚未公布" in page
    app.config["CALENDAR_ENTERED_YEARS"] = list(range(province_today().year, FAR.year + 1))
    assert "暂定" not in reviewer.get("/reviewqueueview/list/").get_data(as_text=True)


def test_the_dashboard_marks_provisional_limits(app, national, login, monkeypatch):
    last = max(NATIONAL_YEARS)
    new_year_eve = dt.date(last, 12, 31)
    app_id = _under_review_until(app, add_working_days(new_year_eve, 1))  # in the next year
    assert dashboard.build(today=dt.date(last, 6, 1)).provisional_year is None
    # The page as it looks on 31 December of the last published year (the page reads the
    # province's today, which is moved there the way the account tests move their clock).
    monkeypatch.setattr(dashboard, "province_today", lambda: new_year_eve)
    figures = dashboard.build()
    assert figures.provisional_year == last + 1
    assert [(i.id, i.provisional) for i in figures.due_soon.items] == [(app_id, True)]
    reviewer = login("reviewer")
    html = reviewer.get("/dashboard/").get_data(as_text=True)
    assert "calendar-provisional" in html and f"{last + 1} 年的节假日安排尚未公布" in html
    assert html.count('class="label label-info provisional"') == 1
    app.config["CALENDAR_ENTERED_YEARS"] = [last + 1]
    html = reviewer.get("/dashboard/").get_data(as_text=True)
    assert "calendar-provisional" not in html and "label-info provisional" not in html

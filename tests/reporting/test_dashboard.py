"""The dashboards (app/reporting/dashboard.py, app/reporting/svg_charts.py, app/reporting/views.py): figures
against a known set of applications, the overdue list's links, the enterprise's scope, who
may open which page, and charts that load nothing and escape what users typed."""
from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from app.applications.deadlines import add_working_days, working_days_between
from app.dates import province_today
from app.enums import ApplicationState, ApplicationType, RegistrationStatus
from app.extensions import db
from app.identity import resident_id_check_char
from app.models import Application, Enterprise, Practitioner, Registration, RegistrationSpecialty
from app.reporting import dashboard
from tests.workflow_support import enterprise_of, qualification

S = ApplicationState
T = ApplicationType
# A Wednesday; 2026-11-12 (Thursday) is made a public holiday in the tests that need one.
TODAY = dt.date(2026, 11, 18)
HOLIDAY = dt.date(2026, 11, 12)


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    """`hour` o'clock in the province (UTC+8), as the aware UTC time the app stores."""
    return dt.datetime.combine(day, dt.time(hour), dt.UTC) - dt.timedelta(hours=8)


_people = iter(range(100, 1000))


def person(name: str) -> Practitioner:
    first17 = f"44010619800101{next(_people):03d}"
    someone = Practitioner(real_name=name, id_number=first17 + resident_id_check_char(first17),
                           phone="13900000000")
    db.session.add(someone)
    db.session.flush()
    return someone


def application(state, *, enterprise=None, app_type=T.initial, code="constructor", city="",
                submitted=None, decided=None, deadline=None, name="申请人") -> int:
    """An application set up directly (test arrangement: its state is not reached here
    through transitions); each gets its own person, so open ones never collide."""
    item = Application(
        app_type=app_type, practitioner_id=person(name).id, qualification_id=qualification(code).id,
        enterprise_id=enterprise.id if enterprise else None, state=state,
        city=(enterprise.city if enterprise else None) if city == "" else city,
        submitted_at=submitted, decided_at=decided, deadline=deadline)
    db.session.add(item)
    db.session.commit()
    return item.id


@pytest.fixture
def firms(app):
    return enterprise_of("ent_a", app), enterprise_of("ent_b", app)


@pytest.fixture
def calendar(app):
    app.config["PUBLIC_HOLIDAYS"] = [HOLIDAY]
    app.config["EXTRA_WORKING_DAYS"] = []


# ---------------------------------------------------------------- counts
def test_counts_by_state_type_qualification_and_city(app, firms):
    a, b = firms  # 广州市 and 深圳市
    sent = at(TODAY - dt.timedelta(days=3))
    application(S.approved, enterprise=a, submitted=sent, decided=at(TODAY))
    application(S.refused, enterprise=a, code="cost", submitted=sent, decided=at(TODAY))
    application(S.under_review, enterprise=a, app_type=T.change, submitted=sent)
    application(S.pending_acceptance, enterprise=a, app_type=T.renewal, code="architect",
                submitted=sent)
    application(S.draft, enterprise=a)  # never submitted: not counted
    application(S.pending_decision, enterprise=b, submitted=sent)
    application(S.pending_acceptance, app_type=T.cancellation, submitted=sent)  # no city

    def as_dict(counts):
        return {c.key: c.value for c in counts}

    by_state = as_dict(dashboard.counts_by_state())
    assert by_state == {"pending_enterprise": 0, "returned": 0, "pending_acceptance": 2,
                        "under_review": 1, "pending_decision": 1, "approved": 1, "refused": 1,
                        "withdrawn": 0}
    assert as_dict(dashboard.counts_by_type()) == {
        "initial": 3, "change": 1, "renewal": 1, "add_specialty": 0, "cancellation": 1,
        "re_registration": 0, "correction": 0}
    assert as_dict(dashboard.counts_by_qualification()) == {
        "constructor": 4, "cost": 1, "architect": 1, "structural": 0}
    cities = dashboard.counts_by_city()
    assert [(c.key, c.value) for c in cities] == [("广州市", 4), ("", 1), ("深圳市", 1)]
    assert cities[1].label in ("未知", "Unknown")

    # The enterprise's scope: its own applications only.
    assert sum(as_dict(dashboard.counts_by_state(a.id)).values()) == 4
    assert as_dict(dashboard.counts_by_qualification(b.id))["constructor"] == 1
    assert [(c.key, c.value) for c in dashboard.counts_by_city(b.id)] == [("深圳市", 1)]


# ---------------------------------------------------------------- weekly series
def test_weekly_series_has_twelve_iso_weeks_with_empty_ones(app, firms):
    a, b = firms
    application(S.approved, enterprise=a, submitted=at(dt.date(2026, 11, 2)),
                decided=at(dt.date(2026, 11, 17)))
    application(S.under_review, enterprise=a, submitted=at(dt.date(2026, 11, 17)))
    # 01:30 on Monday 16 November in the province is still Sunday in UTC: this week.
    application(S.pending_acceptance, enterprise=b, submitted=at(dt.date(2026, 11, 16), 1))
    application(S.refused, enterprise=b, submitted=at(dt.date(2026, 8, 3)),
                decided=at(dt.date(2026, 11, 3)))
    application(S.withdrawn, enterprise=b, submitted=at(dt.date(2026, 8, 20)))  # before the window

    weeks = dashboard.weekly(TODAY)
    assert len(weeks) == 12
    assert weeks[0].monday == dt.date(2026, 8, 31) and weeks[-1].monday == dt.date(2026, 11, 16)
    assert weeks[-1].label == "2026-W47"
    series = {w.monday: (w.received, w.decided) for w in weeks}
    assert series[dt.date(2026, 11, 16)] == (2, 1)
    assert series[dt.date(2026, 11, 2)] == (1, 1)
    assert sum(r for r, _d in series.values()) == 3 and sum(d for _r, d in series.values()) == 2
    assert series[dt.date(2026, 11, 9)] == (0, 0)  # an empty week is kept

    own = {w.monday: (w.received, w.decided) for w in dashboard.weekly(TODAY, a.id)}
    assert own[dt.date(2026, 11, 16)] == (1, 1) and own[dt.date(2026, 11, 2)] == (1, 0)


# ---------------------------------------------------------------- processing time
def test_nearest_rank_percentile():
    def values(*xs):
        return [(x, 1) for x in xs]

    assert dashboard.nearest_rank([], 90) is None
    assert dashboard.nearest_rank(values(5), 90) == 5
    assert dashboard.nearest_rank(values(*range(1, 11)), 90) == 9  # rank ceil(9.0) = 9
    assert dashboard.nearest_rank(values(*range(1, 12)), 90) == 10  # rank ceil(9.9) = 10
    assert dashboard.nearest_rank(values(1, 1, 9, 4), 90) == 9  # rank ceil(3.6) = 4
    assert dashboard.nearest_rank([(2, 9), (30, 1)], 90) == 2  # 9 of 10 took at most 2
    assert dashboard.nearest_rank([(2, 8), (30, 2)], 90) == 30


def test_processing_time_in_working_days_across_weekend_and_holiday(app, firms, calendar):
    a, b = firms
    pairs = [
        (dt.date(2026, 11, 6), dt.date(2026, 11, 9)),    # Fri → Mon: the weekend skipped, 1
        (dt.date(2026, 11, 11), dt.date(2026, 11, 13)),  # Wed → Fri over the holiday: 1
        (dt.date(2026, 11, 2), dt.date(2026, 11, 16)),   # two weeks less the holiday: 9
        (dt.date(2026, 11, 10), dt.date(2026, 11, 17)),  # 4
    ]
    for submitted, decided in pairs:
        application(S.approved, enterprise=a, submitted=at(submitted), decided=at(decided))
    application(S.refused, enterprise=b, submitted=at(dt.date(2026, 11, 2)),
                decided=at(dt.date(2026, 11, 3)))  # 1, another enterprise
    application(S.approved, enterprise=a, submitted=at(dt.date(2026, 6, 1)),
                decided=at(dt.date(2026, 7, 1)))  # decided before the 90-day window

    expected = [working_days_between(s, d) for s, d in pairs]
    assert expected == [1, 1, 9, 4]
    own = dashboard.processing_time(TODAY, a.id)
    assert own.decisions == 4 and own.average == pytest.approx(15 / 4) and own.p90 == 9
    assert own.since == dt.date(2026, 8, 21) and own.until == TODAY
    everyone = dashboard.processing_time(TODAY)
    assert everyone.decisions == 5 and everyone.average == pytest.approx(16 / 5)
    assert everyone.p90 == 9
    assert everyone.distribution == [(1, 3), (4, 1), (9, 1)]
    # Without the holiday the Wednesday-to-Friday decision takes 2 working days.
    app.config["PUBLIC_HOLIDAYS"] = []
    assert dashboard.processing_time(TODAY, a.id).distribution == [(1, 1), (2, 1), (5, 1), (10, 1)]


# ---------------------------------------------------------------- overdue and due soon
def test_window_edges_are_the_provinces_days_whatever_the_database_time_zone(app, firms):
    """PostgreSQL reads a time without a zone in its session's zone; a server installed in
    China runs in Asia/Shanghai. The windows must not move with it."""
    a, _b = firms
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("SET TIME ZONE 'Asia/Shanghai'"))
    application(S.approved, enterprise=a, submitted=at(TODAY - dt.timedelta(days=3), 10),
                decided=at(TODAY, 18))  # this evening: inside the window
    since = TODAY - dt.timedelta(days=89)
    application(S.approved, enterprise=a, submitted=at(since - dt.timedelta(days=10), 10),
                decided=at(since - dt.timedelta(days=1), 20))  # the evening before it: outside
    figure = dashboard.processing_time(TODAY, a.id)
    assert figure.since == since
    assert figure.decisions == 1 and figure.distribution == [(3, 1)]


def _due_set(firms):
    a, b = firms
    today = province_today()
    ids = {
        "late5": application(S.under_review, enterprise=a, deadline=today - dt.timedelta(days=5),
                             submitted=at(today), name="逾期五天"),
        "late1": application(S.pending_acceptance, enterprise=b,
                             deadline=today - dt.timedelta(days=1), submitted=at(today),
                             name="逾期一天"),
        "today": application(S.pending_decision, enterprise=a, deadline=today,
                             submitted=at(today), name="今日到期"),
        "three": application(S.under_review, enterprise=b, deadline=add_working_days(today, 3),
                             submitted=at(today), name="三日内"),
        "later": application(S.under_review, enterprise=a, deadline=add_working_days(today, 4),
                             submitted=at(today), name="尚早"),
        "done": application(S.approved, enterprise=a, deadline=today - dt.timedelta(days=30),
                            submitted=at(today), decided=at(today), name="已决定"),
    }
    return today, ids


def test_overdue_and_due_soon_lists(app, firms, monkeypatch):
    today, ids = _due_set(firms)
    late = dashboard.overdue(today)
    assert [i.id for i in late.items] == [ids["late5"], ids["late1"]]  # most overdue first
    assert late.items[0].working_days == working_days_between(today - dt.timedelta(days=5), today)
    assert late.total == 2 and late.more == 0
    soon = dashboard.due_soon(today)
    assert [i.id for i in soon.items] == [ids["today"], ids["three"]]
    assert [i.working_days for i in soon.items] == [0, 3]
    assert [i.id for i in dashboard.overdue(today, firms[0].id).items] == [ids["late5"]]

    monkeypatch.setattr(dashboard, "LIST_LIMIT", 1)
    limited = dashboard.overdue(today)
    assert [i.id for i in limited.items] == [ids["late5"]] and limited.more == 1


def test_authority_page_links_each_overdue_item_to_its_detail_page(app, firms, login):
    _today, ids = _due_set(firms)
    for username in ("reviewer", "approver", "admin"):
        client = login(username)
        page = client.get("/dashboard/")
        assert page.status_code == 200, username
        html = page.get_data(as_text=True)
        for key in ("late5", "late1", "today", "three"):
            assert f'href="/applicationadminview/show/{ids[key]}"' in html, (username, key)
        assert f"/applicationadminview/show/{ids['later']}\"" not in html
        assert client.get(f"/applicationadminview/show/{ids['late5']}").status_code == 200
    html = login("reviewer").get("/dashboard/").get_data(as_text=True)
    assert "逾期五天" in html


# ---------------------------------------------------------------- the enterprise's page
def _registration(someone, enterprise, number, expiries):
    q = qualification("constructor")
    reg = Registration(number=number, practitioner_id=someone.id, qualification_id=q.id,
                       enterprise_id=enterprise.id, status=RegistrationStatus.valid,
                       first_registered_on=dt.date(2020, 1, 1))
    db.session.add(reg)
    db.session.flush()
    for specialty, expires in zip(q.specialties, expiries, strict=False):
        db.session.add(RegistrationSpecialty(registration_id=reg.id, specialty_id=specialty.id,
                                             registered_on=dt.date(2024, 1, 1), expires_on=expires))
    db.session.commit()


def test_enterprise_sees_only_its_own_applications_and_practitioners(app, firms, login):
    a, b = firms
    today, ids = _due_set(firms)
    _registration(person("即将到期甲"), a, "REG-A-1",
                  [today + dt.timedelta(days=30), today + dt.timedelta(days=400)])
    _registration(person("乙企业人员"), b, "REG-B-1", [today + dt.timedelta(days=10)])
    listed = dashboard.registered_practitioners(a.id, today)
    # From tests/people.py: 测试甲, registered with A, expired 2026-03-01.
    assert [(p.practitioner, p.expired, p.expiring) for p in listed.items] == [
        ("测试甲", True, False), ("即将到期甲", False, True), ("即将到期甲", False, False)]
    assert (listed.total, listed.expired, listed.expiring) == (3, 1, 1)

    client = login("ent_a")
    page = client.get("/enterprise/dashboard/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for key in ("late5", "today"):
        assert f'href="/enterpriseapplicationview/show/{ids[key]}"' in html
        assert client.get(f"/enterpriseapplicationview/show/{ids[key]}").status_code == 200
    for key in ("late1", "three"):
        assert f"/show/{ids[key]}\"" not in html
    assert "即将到期甲" in html and "REG-A-1" in html and "测试甲" in html
    assert "乙企业人员" not in html and "REG-B-1" not in html and "测试乙" not in html
    assert "逾期一天" not in html and "深圳市" not in html
    assert a.name in html and b.name not in html
    assert client.get("/dashboard/").status_code == 403  # the province's figures are not theirs


def test_practitioners_and_other_roles_get_no_dashboard(app, login, client):
    for username in ("prac_a", "auditor", "sysadmin"):
        user = login(username)
        assert user.get("/dashboard/").status_code == 403, username
        assert user.get("/enterprise/dashboard/").status_code == 403, username
    assert login("reviewer").get("/enterprise/dashboard/").status_code == 403
    anonymous = client.get("/dashboard/")
    assert anonymous.status_code == 302 and "/login/" in anonymous.headers["Location"]


# ---------------------------------------------------------------- charts: offline and escaped
SVG = re.compile(r"<svg\b.*?</svg>", re.S)


def test_charts_load_nothing_and_escape_user_text(app, firms, login):
    a, _b = firms
    hostile_city = '<img src=x onerror="alert(1)">市'
    hostile_name = "<script>alert('x')</script>公司"
    db.session.execute(sa.update(Enterprise).where(Enterprise.id == a.id).values(
        name=hostile_name, city=hostile_city))
    db.session.commit()
    application(S.under_review, enterprise=a, city=hostile_city,
                submitted=at(province_today()), deadline=province_today() - dt.timedelta(days=2))

    for username, url in (("reviewer", "/dashboard/"), ("ent_a", "/enterprise/dashboard/")):
        html = login(username).get(url).get_data(as_text=True)
        charts = SVG.findall(html)
        assert len(charts) == 5, username
        for svg in charts:
            assert not re.search(r"https?:", svg), svg[:200]
            assert "<script" not in svg.lower() and "<img" not in svg.lower()
            assert 'role="img"' in svg and "<title" in svg
        assert "<img src=x" not in html and "<script>alert" not in html
        city_svg = next(s for s in charts if 'id="chart-city-title"' in s)
        assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;市" in city_svg
        table = html[html.index('id="figure-city"'):]
        table = table[table.index("<table"):table.index("</table>")]
        assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;市" in table
        if username == "ent_a":
            assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;公司" in charts[0]
            assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;公司" in html
        # the page's own scripts are FAB's, from this site, carrying the nonce
        for src in re.findall(r'<script[^>]*src="([^"]+)"', html):
            assert src.startswith("/"), src

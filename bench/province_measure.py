"""The measuring part of bench/provincial_scale.py: pages, approve and certificates on the
provincial-scale database, through a real gunicorn worker.

- One gunicorn worker (sync, like production's, which runs several) serves the app on the
  database; the demo reviewer and approver sign in over HTTP (urllib with a cookie jar:
  neither requests nor httpx is pinned) through the login form, its CSRF token and the
  two-factor code step, as a browser does.
- Each list page is fetched `rounds` times; right after each fetch the raw SQL of the same
  page (its 25 keys from the indexes, then those rows with the columns shown, joined to the
  person and the qualification, and its count) runs once with psycopg2, and then the same
  page of a plain Flask-AppBuilder app on the same models (bench/plain_fab_app.py, its own
  gunicorn worker, its own user signed in through FAB's login form), so all three see the
  same machine load.
- Statements per page: pg_stat_statements is not loaded by this server (it needs
  shared_preload_libraries and a restart of a PostgreSQL shared with others), so each page
  is requested once more in-process, through Flask's test client signed in as the same
  reviewer on the same database, with a SQLAlchemy before_cursor_execute counter.
- Approve: the demo approver (who did not accept or review: the sample's reviewer steps are
  the demo reviewer's) fires POST /api/v1/application/<id>/approve on pending-decision
  applications, with the session cookie and the X-CSRFToken header; each must answer 200.
  This consumes them: every run approves `approvals` more of the ~100,000 pending ones.
- Certificates: bench/certificate_render.py's render + sign, in this process, on registrations
  of the sample; nothing is written back."""
from __future__ import annotations

import datetime as dt
import os
import re
import socket
import statistics
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

from bench import plain_fab_app

ROOT = Path(__file__).resolve().parent.parent
PAGE_SIZE = 25  # app/view_base.py BaseView.page_size
CITY = "广州市"
# FAB's string filters, in the order of its FilterConverter: 3 is "equal to".
CITY_EQUAL = 3

# Each list page: (label, view class, route, WHERE and ORDER BY of its rows, who sees it:
# the decision queue is the approver's, the others the reviewer's; app/security.py).
VIEWS = [
    ("待受理", "AcceptanceQueueView", "/acceptancequeueview/list/",
     "a.state = 'pending_acceptance'", "a.deadline ASC, a.id ASC", "reviewer"),
    ("审查中", "ReviewQueueView", "/reviewqueueview/list/",
     "a.state = 'under_review'", "a.deadline ASC, a.id ASC", "reviewer"),
    ("待决定", "DecisionQueueView", "/decisionqueueview/list/",
     "a.state = 'pending_decision'", "a.deadline ASC, a.id ASC", "approver"),
    ("全部申请", "ApplicationAdminView", "/applicationadminview/list/",
     "a.state <> 'draft'", "a.id DESC", "reviewer"),
]
STAFF = ("reviewer", "approver")
# The best plain SQL of a page: its keys from the indexes first, then those rows joined to
# the person and the qualification (joined before the OFFSET, a deep page sorts every row
# before it: 230 ms instead of 10 at OFFSET 50,000 of a queue).
ROW_SQL = """SELECT a.id, p.real_name, a.app_type, q.name, a.city, a.state, a.submitted_at,
                    a.deadline
             FROM (SELECT a.id FROM application a WHERE {where} ORDER BY {order}
                   LIMIT %s OFFSET %s) page
             JOIN application a ON a.id = page.id
             JOIN practitioner p ON p.id = a.practitioner_id
             JOIN qualification_type q ON q.id = a.qualification_id
             ORDER BY {order}"""
COUNT_SQL = "SELECT count(*) FROM application a WHERE {where}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(env: dict, target: str = "app:create_app()", log_name: str = "gunicorn.log"):
    """One sync worker on a free port; stopped (by its own pid) afterwards."""
    import urllib.request

    port = _free_port()
    log = open(Path(env["INSTANCE_DIR"]) / log_name, "w")
    server = subprocess.Popen(
        # python -m: the script's first line may name another checkout's interpreter.
        [str(ROOT / ".venv" / "bin" / "python"), "-m", "gunicorn", "-w", "1",
         "-b", f"127.0.0.1:{port}",
         "--timeout", "300", target], cwd=ROOT, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(base + "/login/", timeout=5).read()
                break
            except OSError:
                time.sleep(0.5)
        else:
            raise RuntimeError("gunicorn did not start: see " + log.name)
        yield base
    finally:
        server.terminate()
        server.wait(30)
        log.close()


def _clear_code_step(conn, username: str) -> None:
    """The app takes a two-factor time step once; several sign-ins of one account within
    30 s (HTTP, then in-process) need the last one forgotten (as tests/logins.py does)."""
    with conn.cursor() as cur:
        cur.execute("UPDATE two_factor SET last_used_step = NULL WHERE user_id = "
                    "(SELECT id FROM ab_user WHERE username = %s)", (username,))
    conn.commit()


def credentials(app, env: dict) -> dict[str, tuple[str, str]]:
    """username -> (password, TOTP secret) of the demo staff, as `flask demo load` printed
    them (read in an app context of its own: requests of a test client made inside one
    would share its `g`, and so flask-login's user)."""
    from app.demo import _read_passwords, demo_totp_secrets

    passwords = _read_passwords(Path(env["INSTANCE_DIR"]) / "demo-accounts.txt")
    with app.app_context():
        secrets = demo_totp_secrets(app.appbuilder)
    return {name: (passwords[name], secrets[name]) for name in STAFF}


def http_login(base: str, conn, known: dict, username: str):
    import pyotp

    from tests.logins import CODE_STEP, LiveSession, csrf_token_of

    password, secret = known[username]
    _clear_code_step(conn, username)
    session = LiveSession(base)
    token = csrf_token_of(session.get("/login/")[2])
    status, url, _ = session.post("/login/", follow=False, form={
        "username": username, "password": password, "csrf_token": token})
    assert status == 302 and url.endswith(CODE_STEP), (username, status, url)
    status, url, _ = session.post(CODE_STEP, follow=False, form={
        "code": pyotp.TOTP(secret).now(), "csrf_token": token})
    assert status == 302 and "/login" not in url, (username, status, url)
    return session, token


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _pages(conn) -> list[dict]:
    """Page 1, the middle and the last page of each list, and the filtered one."""
    pages = []
    with conn.cursor() as cur:
        for label, view, route, where, order, who in VIEWS:
            cur.execute(COUNT_SQL.format(where=where))
            total = cur.fetchone()[0]
            last = max(0, (total - 1) // PAGE_SIZE)
            for name, page in (("page 1", 0), ("middle", last // 2), ("last", last)):
                pages.append({"label": f"{label} {name}", "where": where, "order": order,
                              "who": who,
                              "url": route + "?" + urlencode({f"page_{view}": page}),
                              "plain": plain_fab_app.list_url(view, page),
                              "offset": page * PAGE_SIZE, "rows": total})
        where = f"a.state = 'pending_acceptance' AND a.city = '{CITY}'"
        cur.execute(COUNT_SQL.format(where=where))
        total = cur.fetchone()[0]
        filters = urlencode({"_flt_0_state": "pending_acceptance",
                             f"_flt_{CITY_EQUAL}_city": CITY})
        pages.append({"label": f"全部申请 待受理+{CITY}", "where": where, "order": "a.id DESC",
                      "who": "reviewer", "url": "/applicationadminview/list/?" + filters,
                      "plain": plain_fab_app.list_url("ApplicationAdminView", query=filters),
                      "offset": 0, "rows": total})
    return pages


def plain_login(base: str):
    """The plain FAB app's user, through FAB's own login form (bench/plain_fab_app.py)."""
    from tests.logins import LiveSession, csrf_token_of

    session = LiveSession(base)
    status, url, _ = session.post("/login/", follow=False, form={
        "username": plain_fab_app.USERNAME, "password": plain_fab_app.PASSWORD,
        "csrf_token": csrf_token_of(session.get("/login/")[2])})
    assert status == 302 and "/login" not in url, (status, url)
    return session


def _raw(conn, page: dict) -> float:
    started = time.perf_counter()
    with conn.cursor() as cur:
        cur.execute(ROW_SQL.format(where=page["where"], order=page["order"]),
                    (PAGE_SIZE, page["offset"]))
        cur.fetchall()
        cur.execute(COUNT_SQL.format(where=page["where"]))
        cur.fetchone()
    conn.rollback()
    return time.perf_counter() - started


RECORD_COUNT = re.compile(r"(?:Record Count|记录数)\D{0,20}([\d,]+)")


MIN_ROUNDS = 3


def _fetch(session, url: str, rows: int) -> tuple[float, str]:
    started = time.perf_counter()
    status, _url, body = session.get(url)
    elapsed = time.perf_counter() - started
    assert status == 200, (url, status)
    found = RECORD_COUNT.search(body)
    shown = found.group(1).replace(",", "") if found else "?"
    # The raw SQL's count is the page's own: they all measure the same rows.
    assert shown == str(rows), (url, shown, rows)
    return elapsed, body


def time_pages(sessions: dict, conn, pages: list[dict], rounds: int, budget: float) -> int:
    """Up to `rounds` rounds over every page, fewer (at least MIN_ROUNDS) once `budget`
    seconds are spent, so that slow pages keep the run bounded; returns the rounds done.
    Each app page is followed by its raw SQL and, where there is one, by the same page of
    the plain FAB app (sessions["plain"])."""
    for page in pages:
        page.update(app=[], sql=[], plain_times=[], html=0)
    begun = time.perf_counter()
    for done in range(1, rounds + 1):
        for page in pages:
            elapsed, body = _fetch(sessions[page["who"]], page["url"], page["rows"])
            page["app"].append(elapsed)
            page["html"] = len(body.encode())
            page["sql"].append(_raw(conn, page))
            if page.get("plain"):
                page["plain_times"].append(
                    _fetch(sessions["plain"], page["plain"], page["rows"])[0])
        if done >= MIN_ROUNDS and time.perf_counter() - begun > budget:
            break
    return done


def count_statements(app, known: dict, conn, pages: list[dict]) -> None:
    """Statements of each page, in-process (see the module's docstring)."""
    from sqlalchemy import event

    from app.extensions import db

    clients = signed_in_clients(app, known, conn)
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731 (the statement text)
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", listener)
    try:
        for page in pages:
            statements.clear()
            assert clients[page["who"]].get(page["url"]).status_code == 200, page["url"]
            page["statements"] = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", listener)


def signed_in_clients(app, known: dict, conn) -> dict:
    """In-process test clients of the demo staff (the app built with CSRF off)."""
    import pyotp

    clients = {}
    for username in STAFF:
        password, secret = known[username]
        _clear_code_step(conn, username)
        clients[username] = client = app.test_client()
        client.post("/login/", data={"username": username, "password": password})
        response = client.post("/login/code/", data={"code": pyotp.TOTP(secret).now()})
        assert response.status_code == 302 and "/login" not in response.location, username
    return clients


def check(database: str, env: dict) -> None:
    """That the bulk rows are ones the app takes: the show page of one application of each
    state and type (as the reviewer, 200 and no error page), and approve on one
    pending-decision application of each type (as the approver, 200, state approved)."""
    os.environ.update(env)
    from app import create_app
    from bench.provincial_scale import connect

    app = create_app({"WTF_CSRF_ENABLED": False})
    conn = connect(database)
    clients = signed_in_clients(app, credentials(app, env), conn)
    with conn.cursor() as cur:
        cur.execute("SELECT DISTINCT ON (state, app_type) state, app_type, id FROM application "
                    "WHERE state <> 'draft' ORDER BY state, app_type, id DESC")
        samples = cur.fetchall()
    conn.rollback()
    for state, app_type, pk in samples:
        response = clients["reviewer"].get(f"/applicationadminview/show/{pk}")
        assert response.status_code == 200, (state, app_type, pk, response.status_code)
        if state == "pending_decision":
            answer = clients["approver"].post(f"/api/v1/application/{pk}/approve", json={})
            assert answer.status_code == 200, (app_type, pk, answer.get_data(as_text=True))
            print(f"  approve {app_type} #{pk}: {answer.json['state']}")
    print(f"check: {len(samples)} show pages (state x type) answered 200")
    conn.close()


def time_approve(session, token: str, conn, count: int) -> list[float]:
    with conn.cursor() as cur:
        cur.execute("SELECT id FROM application WHERE state = 'pending_decision' "
                    "ORDER BY (id::bigint * 7919) %% 1000003 LIMIT %s", (count,))
        ids = [pk for (pk,) in cur.fetchall()]
    conn.rollback()
    times = []
    for pk in ids:
        started = time.perf_counter()
        status, _url, body = session.post(f"/api/v1/application/{pk}/approve", json_body={},
                                          headers={"X-CSRFToken": token})
        times.append(time.perf_counter() - started)
        assert status == 200, (pk, status, body[:300])
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM application WHERE id = ANY(%s) AND state = 'approved'",
                    (ids,))
        assert cur.fetchone()[0] == len(ids)
    conn.rollback()
    return times


def time_certificates(env: dict, conn, count: int = 21) -> list[tuple[float, float]]:
    from bench.certificate_render import _render_all

    with conn.cursor() as cur:
        cur.execute("SELECT r.id FROM registration r JOIN registration_specialty s "
                    "ON s.registration_id = r.id WHERE r.status = 'valid' "
                    "AND s.expires_on > current_date ORDER BY (r.id::bigint * 7919) %% 1000003 LIMIT %s",
                    (count,))
        ids = [pk for (pk,) in cur.fetchall()]
    conn.rollback()
    return _render_all(env["DATABASE_URL"], ids)


def machine(conn) -> str:
    with conn.cursor() as cur:
        cur.execute("SHOW server_version")
        version = cur.fetchone()[0]
    conn.rollback()
    one, five, fifteen = os.getloadavg()
    return (f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} (1 / 5 / 15 min), "
            f"{os.cpu_count()} cores, PostgreSQL {version}")


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}"


def run(database: str, env: dict, rounds: int, approvals: int, budget: float) -> None:
    os.environ.update(env)  # config.py reads the environment when first imported
    from app import create_app
    from bench.provincial_scale import connect

    started = time.perf_counter()
    conn = connect(database)
    with conn.cursor() as cur:
        cur.execute("SELECT (SELECT count(*) FROM practitioner), (SELECT count(*) FROM "
                    "enterprise), (SELECT count(*) FROM application), (SELECT count(*) FROM "
                    "decision)")
        sizes = cur.fetchone()
    conn.rollback()
    print(f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, database {database}: "
          f"{sizes[0]:,} practitioners, {sizes[1]:,} enterprises, {sizes[2]:,} applications, "
          f"{sizes[3]:,} history rows")
    print(f"machine at the start: {machine(conn)}")
    app = create_app({"WTF_CSRF_ENABLED": False})  # the in-process statement count's client
    pages = _pages(conn)
    known = credentials(app, env)
    plain_fab_app.ensure_bench_user(plain_fab_app.create_app())
    with (gunicorn(env) as base,
          gunicorn(env, "bench.plain_fab_app:create_app()", "gunicorn-plain.log") as plain):
        signed_in = {name: http_login(base, conn, known, name) for name in STAFF}
        sessions = {name: session for name, (session, _token) in signed_in.items()}
        sessions["plain"] = plain_login(plain)
        sessions["reviewer"].get(pages[0]["url"])  # the worker's first request loads templates
        sessions["plain"].get(pages[0]["plain"])
        rounds = time_pages(sessions, conn, pages, rounds, budget)
        approve = time_approve(*signed_in["approver"], conn, approvals)
    count_statements(app, known, conn, pages)
    certificates = time_certificates(env, conn)
    end_state = machine(conn)
    conn.close()

    print(f"\nlist pages, {rounds} requests each through gunicorn, raw SQL and the plain FAB "
          f"app (bench/plain_fab_app.py, its own worker) interleaved (ms; ratio of medians):")
    print("| page | rows | app median | app p90 | raw SQL median | raw SQL p90 | ratio "
          "| plain FAB median | app ÷ plain FAB | HTML kB | statements |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for page in pages:
        app_median, sql_median = statistics.median(page["app"]), statistics.median(page["sql"])
        plain = "– | –"
        if page["plain_times"]:
            plain_median = statistics.median(page["plain_times"])
            plain = f"{_ms(plain_median)} | {app_median / plain_median:,.2f}"
        print(f"| {page['label']} | {page['rows']:,} | {_ms(app_median)} | "
              f"{_ms(_percentile(page['app'], 0.9))} | {sql_median * 1000:,.1f} | "
              f"{_percentile(page['sql'], 0.9) * 1000:,.1f} | {app_median / sql_median:,.0f}× | "
              f"{plain} | {page['html'] / 1000:,.0f} | {page['statements']} |")
    print(f"\napprove through POST /api/v1/application/<id>/approve, {len(approve)} "
          f"applications: p50 {_ms(statistics.median(approve))} ms, "
          f"p90 {_ms(_percentile(approve, 0.9))} ms")
    warm = certificates[1:]
    print(f"certificate render + sign, {len(warm)} warm ones: median "
          f"{_ms(statistics.median(r + s for r, s in warm))} ms (render "
          f"{_ms(statistics.median(r for r, _ in warm))}, sign "
          f"{_ms(statistics.median(s for _, s in warm))})")
    print(f"machine at the end: {end_state}; measure took {time.perf_counter() - started:.0f} s")

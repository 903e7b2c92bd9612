"""Issue 18's deployment test: two gunicorn hosts on one PostgreSQL and one Redis, with one
queue worker and a real SMTP server (aiosmtpd), driven by bounded loads. Everything crosses
real sockets: the hosts are separate processes configured by their environment only, and
reach PostgreSQL through a relay the test can cut."""
from __future__ import annotations

import threading
import time
import uuid

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from redis import Redis

from app.enums import ApplicationState as S
from app.extensions import db
from app.models import Application, Decision, Notification
from app.workflow import ENTERPRISE_CHECKS
from tests import logins, people
from tests.conftest import app_config
from tests.deployment.hosts import Deployment, TcpRelay, call, deployment_env, free_port, wait_until
from tests.logins import api_login_body, login_live
from tests.redis_support import redis_db_url
from tests.service.conftest import Inbox
from tests.workflow_support import enterprise_of, make_applicant, put_application

pytestmark = pytest.mark.backends("postgresql")
LOAD = 30  # applications forwarded under load, one host killed a third of the way
VERIFY_LIMIT = 12


class Smtp:
    """The SMTP server, stoppable and startable again on its port."""

    def __init__(self):
        self.port, self.inbox, self.controller = free_port(), Inbox(), None

    def start(self):
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        self.controller.stop()
        self.controller = None


@pytest.fixture(scope="module")
def province(backend_db, tmp_path_factory):
    from app import create_app

    manager, template = backend_db
    folder = tmp_path_factory.mktemp("deployment")
    url = manager.copy_url(template, f"deploy{uuid.uuid4().hex[:8]}")
    local = create_app({**app_config(url, folder), "INSTANCE_DIR": folder})
    context = local.app_context()
    context.push()
    arranged = _arrange(local)
    redis_url = redis_db_url(offset=1)
    Redis.from_url(redis_url).flushdb()
    smtp = Smtp()
    smtp.start()
    relay = TcpRelay(sa.engine.make_url(url).port or 5432)
    relayed = sa.engine.make_url(url).set(port=relay.port).render_as_string(hide_password=False)
    deployment = Deployment(deployment_env(
        relayed, redis_url, folder, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, MAIL_TIMEOUT=3,
        MAIL_RETRY_SECONDS="2,2,3,3,4,4,5,5", MAIL_MAX_ATTEMPTS=12, MAIL_FROM="zc@example.gov.cn",
        PUBLIC_BASE_URL="http://127.0.0.1", VERIFY_RATE_LIMIT=f"{VERIFY_LIMIT} per minute",
        # the key the fixture accounts' two-factor secrets were encrypted with
        SECRET_KEY=local.config["SECRET_KEY"], TWO_FACTOR_KEY=local.config["TWO_FACTOR_KEY"]),
        folder)
    try:
        hosts = [deployment.start_app_host("host_a"), deployment.start_app_host("host_b")]
        worker = deployment.start_worker()
        for host in hosts:
            logins.SERVED_APPS[host.url] = local  # the login helper's two-factor codes
        yield {"local": local, "hosts": hosts, "worker": worker, "smtp": smtp, "relay": relay,
               "redis": Redis.from_url(redis_url), **arranged}
    finally:
        deployment.stop_all()
        relay.cut()
        if smtp.controller:
            smtp.stop()
        db.session.remove()
        db.engines[None].dispose()
        context.pop()
        manager.drop(url)


def _arrange(local) -> dict:
    enterprise = enterprise_of("ent_a", local)
    db.session.execute(sa.text("UPDATE ab_user SET email = 'ent_a@example.com' "
                               "WHERE username = 'ent_a'"))
    mailed = make_applicant(local, "mailed", enterprise)
    mailed.email = "mailed@example.com"
    db.session.commit()
    draft = put_application(mailed, enterprise, S.draft)
    pending = [put_application(make_applicant(local, f"load{n}", enterprise), enterprise,
                               S.pending_enterprise) for n in range(LOAD)]
    db.session.remove()
    return {"draft": draft, "pending": pending}


def _bearer(host, username: str, local) -> dict:
    status, answer = call(host.url + "/api/v1/security/login", "POST",
                          api_login_body(username, app=local))
    assert status == 200, answer
    return {"Authorization": f"Bearer {answer['access_token']}"}


def test_a_session_opened_on_one_host_works_on_the_other(province):
    host_a, host_b = province["hosts"]
    on_a = login_live(host_a.url, "reviewer")
    on_b = logins.LiveSession(host_b.url)
    on_b.jar, on_b.opener, on_b.opener_stopping = on_a.jar, on_a.opener, on_a.opener_stopping
    status, url, page = on_b.get("/acceptancequeueview/list/")
    assert status == 200 and "/login" not in url and "reviewer" in page
    assert logins.LiveSession(host_b.url).get("/acceptancequeueview/list/")[1].count("/login")


def test_the_access_log_and_the_audit_row_of_a_request_share_its_id(province):
    """gunicorn.conf.py's access log line carries the id the app answered and stored."""
    from app.models import AuditLog

    host_a = province["hosts"][0]
    login_live(host_a.url, "approver")
    db.session.remove()
    row = db.session.scalar(sa.select(AuditLog).where(AuditLog.actor_name == "approver",
                                                      AuditLog.request_id.is_not(None))
                            .order_by(AuditLog.id.desc()).limit(1))
    lines = [line for line in host_a.log.read_text().splitlines() if row.request_id in line]
    assert any('"POST /login/' in line for line in lines), lines
    # A failed login under an ID number as username: FAB logs "Login Failed for user: %s".
    status, _answer = call(host_a.url + "/api/v1/security/login", "POST",
                           {"username": people.ID_A, "password": "wrong", "provider": "db"})
    assert status == 401
    log = host_a.log.read_text()
    assert "Login Failed for user: " + people.ID_A[:6] + "********" in log
    assert people.ID_A not in log


def test_a_rate_limit_counts_across_both_hosts_together(province):
    hosts = province["hosts"]
    statuses = [call(hosts[n % 2].url + "/api/v1/verify/certificate/no-such-token")[0]
                for n in range(2 * VERIFY_LIMIT)]
    assert statuses.count(429) == VERIFY_LIMIT, statuses
    assert 429 not in statuses[:VERIFY_LIMIT]


def _copies(kind: str) -> list[tuple]:
    db.session.remove()
    return sorted((m.email_state, m.email_attempts) for m in db.session.scalars(
        sa.select(Notification).filter_by(kind=kind)))


def test_copies_are_sent_by_the_worker_and_wait_out_a_stopped_smtp_server(province):
    from rq import Queue
    from rq.registry import FinishedJobRegistry

    host_a, host_b = province["hosts"]
    smtp, local = province["smtp"], province["local"]
    started = time.monotonic()
    status, _answer = call(f"{host_a.url}/api/v1/application/{province['draft']}/submit", "POST",
                           {}, _bearer(host_a, "mailed", local))
    assert status == 200 and time.monotonic() - started < 5
    wait_until(lambda: len(smtp.inbox.received) == 2, seconds=30)
    assert sorted(r[0][0] for r in smtp.inbox.received) == ["ent_a@example.com", "mailed@example.com"]
    finished = FinishedJobRegistry(queue=Queue("registry", connection=province["redis"]))
    jobs = [finished.job_class.fetch(i, connection=province["redis"])
            for i in finished.get_job_ids()]
    assert any(job.args[0] == "app.service.mailer.send_copies_job" for job in jobs)  # the worker

    smtp.stop()
    started = time.monotonic()
    status, _answer = call(f"{host_b.url}/api/v1/application/{province['draft']}/enterprise_return",
                           "POST", {"reason": "劳动合同已过期"}, _bearer(host_b, "ent_a", local))
    assert status == 200 and time.monotonic() - started < 5  # the SMTP server is not waited for
    wait_until(lambda: ("failed", 1) in _copies("enterprise_return"), seconds=30)
    assert len(smtp.inbox.received) == 2
    smtp.start()
    wait_until(lambda: len(smtp.inbox.received) == 3, seconds=60)
    assert smtp.inbox.received[-1][0] == ["mailed@example.com"]
    assert all(state == "sent" for state, _n in _copies("enterprise_return"))


def test_killing_a_host_mid_load_loses_no_acknowledged_request(province):
    host_a, host_b = province["hosts"]
    local = province["local"]
    tokens = {host.url: _bearer(host, "ent_a", local) for host in (host_a, host_b)}
    todo, done, lock = list(enumerate(province["pending"])), [], threading.Lock()
    body = {"confirm": list(ENTERPRISE_CHECKS)}

    def client():
        while True:
            with lock:
                if not todo:
                    return
                n, app_id = todo.pop(0)
            host = (host_a, host_b)[n % 2]
            status, _answer = call(f"{host.url}/api/v1/application/{app_id}/forward", "POST", body,
                                   tokens[host.url], timeout=20)
            with lock:
                done.append((app_id, host.name, status))

    threads = [threading.Thread(target=client) for _ in range(4)]
    for thread in threads:
        thread.start()
    wait_until(lambda: len(done) >= LOAD // 3, seconds=120)
    host_a.kill_hard()
    for thread in threads:
        thread.join(timeout=180)

    acknowledged = {app_id for app_id, _host, status in done if status == 200}
    lost_on_a = [app_id for app_id, host, status in done if host == "host_a" and status == 0]
    assert lost_on_a, "the kill happened after the load ended"
    assert {h for _i, h, s in done if s == 200} == {"host_a", "host_b"}
    db.session.remove()
    states = dict(db.session.execute(sa.select(Application.id, Application.state).where(
        Application.id.in_(province["pending"]))).all())
    forwarded = set(db.session.scalars(sa.select(Decision.application_id).where(
        Decision.application_id.in_(province["pending"]), Decision.transition == "forward")))
    assert all(states[i] == S.pending_acceptance for i in acknowledged)  # none lost
    assert {i for i, state in states.items() if state == S.pending_acceptance} == forwarded
    assert {states[i] for i in province["pending"]} <= {S.pending_acceptance, S.pending_enterprise}
    # What host B answered after the kill, it answered properly: never a 5xx.
    assert not [s for _i, h, s in done if h == "host_b" and s >= 500]


def test_readiness_follows_the_database(province):
    host_b, relay = province["hosts"][1], province["relay"]
    assert call(host_b.url + "/readyz")[0] == 200
    relay.cut()
    try:
        wait_until(lambda: call(host_b.url + "/readyz", timeout=15)[0] == 503, seconds=30)
        assert call(host_b.url + "/healthz") == (200, {"status": "ok"})
    finally:
        relay.resume()
    wait_until(lambda: call(host_b.url + "/readyz")[0] == 200, seconds=30)

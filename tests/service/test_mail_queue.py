"""With REDIS_URL the e-mail copy of a transition's message is sent by the queue worker, not
by the request: the request only hands the ids over. Real Redis, a real RQ worker (forking
each job, as in production) and a real SMTP server."""
import time

import sqlalchemy as sa

from app.enums import ApplicationState as S
from app.extensions import db
from app.models import Notification
from app.operations.queue import _connection, task_queue
from app.operations.worker import work
from tests.service.test_mail import applicant, contact_addresses, states  # noqa: F401 - fixtures
from tests.workflow_support import act, enterprise_of, put_application


def test_the_request_hands_the_copy_to_the_queue_and_the_worker_sends_it(
        queued_app, applicant, smtp_server):  # noqa: F811
    person, me = applicant
    app_id = put_application(person, enterprise_of("ent_a", queued_app), S.draft)
    assert act(me, app_id, "submit").status_code == 200
    assert smtp_server.received == []  # not by the request
    assert states(kind="submit") == [("pending", 0), ("pending", 0)]
    assert task_queue().count == 1
    db.session.remove()  # the worker's process writes; this one reads afresh after

    assert work(queued_app, burst=True)
    assert states(kind="submit") == [("sent", 1), ("sent", 1)]
    assert sorted(rcpt[0] for rcpt, _message in smtp_server.received) == \
        ["applicant@example.com", "ent_a@example.com"]


def test_a_copy_the_server_refused_is_retried_after_the_back_off(
        queued_app, applicant, smtp_port):  # noqa: F811
    """SMTP is down when the worker first tries: the job fails, RQ schedules its retry."""
    from rq.registry import ScheduledJobRegistry

    queued_app.config["MAIL_RETRY_SECONDS"] = [60]
    person, me = applicant
    app_id = put_application(person, enterprise_of("ent_a", queued_app), S.draft)
    started = time.monotonic()
    assert act(me, app_id, "submit").status_code == 200
    assert time.monotonic() - started < 3  # the request does not wait for the SMTP server
    db.session.remove()
    assert work(queued_app, burst=True)
    assert states(kind="submit") == [("failed", 1), ("failed", 1)]
    scheduled = ScheduledJobRegistry(queue=task_queue()).get_job_ids()
    retries = [job for job in scheduled if not job.startswith("daily-")]
    assert len(retries) == 1 and len(scheduled) == 2  # the copies' retry, and the daily run
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Notification.id)).where(
        Notification.email_state == "failed")) == 2


def test_copies_are_sent_by_the_request_when_redis_is_away(app, applicant, smtp_server):  # noqa: F811
    app.config["REDIS_URL"] = "redis://127.0.0.1:9/0"
    try:
        person, me = applicant
        app_id = put_application(person, enterprise_of("ent_a", app), S.draft)
        assert act(me, app_id, "submit").status_code == 200
        assert states(kind="submit") == [("sent", 1), ("sent", 1)]
        assert len(smtp_server.received) == 2
    finally:
        _connection.cache_clear()

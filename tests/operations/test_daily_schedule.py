"""The daily work is scheduled once per day whatever the number of workers, and a day runs
once even if its job were run twice (real Redis; the work itself on the test's database)."""
import datetime as dt

import pytest

from app.commands import run_daily
from app.operations.queue import connection, task_queue
from app.operations.schedule import DayBusy, claim_day, finish_day, next_run, schedule_next_daily

PROVINCE = dt.timezone(dt.timedelta(hours=8))


def test_the_next_run_is_the_next_daily_time_in_the_province(app):
    at = dt.datetime(2026, 12, 7, 17, 0, tzinfo=dt.UTC)  # 01:00 on the 8th in the province
    assert next_run(at) == dt.datetime(2026, 12, 8, 1, 30, tzinfo=PROVINCE)
    later = dt.datetime(2026, 12, 7, 18, 0, tzinfo=dt.UTC)  # 02:00: tomorrow's 01:30
    assert next_run(later) == dt.datetime(2026, 12, 9, 1, 30, tzinfo=PROVINCE)


def test_two_workers_starting_schedule_the_day_once(queued_app):
    at = dt.datetime(2026, 12, 7, 17, 0, tzinfo=dt.UTC)
    assert schedule_next_daily(at) == "2026-12-08"
    assert schedule_next_daily(at) is None  # the second worker, another host
    from rq.registry import ScheduledJobRegistry

    assert ScheduledJobRegistry(queue=task_queue()).get_job_ids() == ["daily-2026-12-08"]


def test_a_day_runs_once_and_schedules_the_day_after(queued_app):
    first = run_daily("2026-12-08")
    assert first["run"] is True and first["lapsed"] >= 0
    assert run_daily("2026-12-08") == {"day": "2026-12-08", "run": False}
    assert not claim_day("2026-12-08")  # done
    assert connection().exists("registry:daily-scheduled:2026-12-09")


def test_a_run_while_another_holds_the_day_fails_for_rq_to_retry(queued_app):
    assert claim_day("2026-12-10")
    with pytest.raises(DayBusy):
        run_daily("2026-12-10")
    assert connection().exists("registry:daily-scheduled:2026-12-11")  # the chain goes on
    finish_day("2026-12-10", done=False)
    assert claim_day("2026-12-10")  # the lease given back: the retry runs it


def test_a_failed_run_gives_its_day_back_for_the_retry(queued_app):
    queued_app.config["AUDIT_RETENTION_DAYS"] = 10  # the purge refuses less than 180 days
    with pytest.raises(Exception, match="10"):  # the failure reaches RQ, which retries the job
        run_daily("2026-12-12")
    assert connection().exists("registry:daily-scheduled:2026-12-13")
    queued_app.config["AUDIT_RETENTION_DAYS"] = 183
    assert run_daily("2026-12-12")["run"] is True  # the retry: not done, not held


def test_without_redis_the_daily_command_runs_every_time(app):
    assert run_daily("2026-12-08")["run"] and run_daily("2026-12-08")["run"]

"""The daily work is scheduled once per day whatever the number of workers, and a day runs
once even if its job were run twice (real Redis; the work itself on the test's database)."""
import datetime as dt

from app.commands import run_daily
from app.operations.queue import connection, task_queue
from app.operations.schedule import claim_day, next_run, schedule_next_daily

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


def test_a_day_runs_once_and_schedules_the_next(queued_app):
    first = run_daily("2026-12-08")
    assert first["run"] is True and first["lapsed"] >= 0
    assert run_daily("2026-12-08") == {"day": "2026-12-08", "run": False}
    assert not claim_day("2026-12-08")
    assert connection().exists(f"registry:daily-scheduled:{next_run().date().isoformat()}")


def test_a_failed_run_releases_its_day_for_the_retry(queued_app):
    import pytest

    with pytest.raises(ValueError):  # the failure reaches RQ, which retries the job
        run_daily("2026-02-30")
    assert claim_day("2026-02-30")  # released: the retry could claim it


def test_without_redis_the_daily_command_runs_every_time(app):
    assert run_daily("2026-12-08")["run"] and run_daily("2026-12-08")["run"]

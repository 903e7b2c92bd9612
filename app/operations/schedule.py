"""The daily work (reminders, lapse, the audit purge, copies still unsent) scheduled in one
place: the queue itself. RQ's scheduler moves a job due at a time onto the queue, and only
one worker's scheduler does so at a time (RQ holds a lock per queue in Redis), so any
number of workers on any number of hosts may run.

Two more guards make a day's run happen once even so: each day's job is scheduled by
whichever worker first sets that day's key (SET NX), and the run itself first claims the
day, releasing the claim if it fails so that the retry may run it."""
from __future__ import annotations

import datetime as dt

from flask import current_app

from ..dates import province_today, province_zone
from .queue import connection, run_job, task_queue

DAILY_JOB = "app.commands.run_daily"
KEEP = 3 * 86400  # seconds a day's keys live: long after its run, short enough to vanish
RETRY_INTERVALS = [300, 900, 3600]


def daily_time() -> dt.time:
    return dt.time.fromisoformat(current_app.config.get("DAILY_TASKS_AT", "01:30"))


def next_run(now: dt.datetime | None = None) -> dt.datetime:
    """The next DAILY_TASKS_AT, in the province's time, after `now`."""
    now = (now or dt.datetime.now(dt.UTC)).astimezone(province_zone())
    at = dt.datetime.combine(now.date(), daily_time(), tzinfo=province_zone())
    return at if at > now else at + dt.timedelta(days=1)


def schedule_next_daily(now: dt.datetime | None = None) -> str | None:
    """Schedule the next day's run unless a worker has; the scheduled day, or None."""
    from rq import Retry

    redis, queue = connection(), task_queue()
    if redis is None:
        return None
    when = next_run(now)
    day = when.date().isoformat()
    if not redis.set(f"registry:daily-scheduled:{day}", "1", nx=True, ex=KEEP):
        return None
    queue.enqueue_at(when.astimezone(dt.UTC), run_job, DAILY_JOB, day, job_id=f"daily-{day}",
                     retry=Retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS),
                     job_timeout=6 * 3600, result_ttl=KEEP)
    return day


def claim_day(day: str) -> bool:
    """True for the one run of `day` allowed (always True without Redis: cron runs it)."""
    redis = connection()
    return redis is None or bool(redis.set(f"registry:daily-ran:{day}", "1", nx=True, ex=KEEP))


def release_day(day: str) -> None:
    redis = connection()
    if redis is not None:
        redis.delete(f"registry:daily-ran:{day}")


def today_iso() -> str:
    return province_today().isoformat()

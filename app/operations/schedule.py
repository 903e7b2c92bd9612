"""The daily work (reminders, lapse, the audit purge, copies still unsent) scheduled in one
place: the queue itself. RQ's scheduler moves a job due at a time onto the queue, and only
one worker's scheduler does so at a time (RQ holds a lock per queue in Redis), so any
number of workers on any number of hosts may run.

Two more guards make a day's run happen once even so: each day's job is scheduled by
whichever worker first sets that day's key (SET NX), and a run is done once its day is
marked done. While one runs it holds a lease (SET NX with an expiry, LEASE): a second run
meanwhile fails and is retried by RQ later; a run killed outright (a host lost) leaves the
lease to expire, and the next retry runs the day. Each run, whatever became of it, schedules
the day after its own, so the chain never breaks."""
from __future__ import annotations

import datetime as dt

from flask import current_app

from ..dates import province_zone
from .queue import connection, run_job, task_queue

DAILY_JOB = "app.commands.run_daily"
KEEP = 3 * 86400  # seconds a day's keys live: long after its run, short enough to vanish
LEASE = 1800  # seconds a run may hold its day; the provincial day's work takes minutes
RETRY_INTERVALS = [300, 900, 3600, 3600]  # the last ones after a killed run's lease expired


class DayBusy(RuntimeError):
    """Another run holds the day's lease: RQ retries this one after its back-off."""


def daily_time() -> dt.time:
    return dt.time.fromisoformat(current_app.config.get("DAILY_TASKS_AT", "01:30"))


def next_run(now: dt.datetime | None = None) -> dt.datetime:
    """The next DAILY_TASKS_AT, in the province's time, after `now`."""
    now = (now or dt.datetime.now(dt.UTC)).astimezone(province_zone())
    at = dt.datetime.combine(now.date(), daily_time(), tzinfo=province_zone())
    return at if at > now else at + dt.timedelta(days=1)


def schedule_next_daily(now: dt.datetime | None = None, after: dt.date | None = None) -> str | None:
    """Schedule the next run (of the day after `after`, else the next DAILY_TASKS_AT) unless
    a worker has; the scheduled day, or None."""
    from rq import Retry

    redis, queue = connection(), task_queue()
    if redis is None:
        return None
    if after is not None:
        when = dt.datetime.combine(after + dt.timedelta(days=1), daily_time(),
                                   tzinfo=province_zone())
    else:
        when = next_run(now)
    day = when.date().isoformat()
    key = f"registry:daily-scheduled:{day}"
    if not redis.set(key, "1", nx=True, ex=KEEP):
        return None
    try:
        queue.enqueue_at(when.astimezone(dt.UTC), run_job, DAILY_JOB, day, job_id=f"daily-{day}",
                         retry=Retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS),
                         job_timeout=6 * 3600, result_ttl=KEEP)
    except Exception:
        redis.delete(key)  # not scheduled: the next worker or run may
        raise
    return day


def claim_day(day: str) -> bool:
    """True when this run is to do `day`; False when it is done already; DayBusy while
    another run holds it. Always True without Redis (cron runs it)."""
    redis = connection()
    if redis is None:
        return True
    if redis.exists(f"registry:daily-done:{day}"):
        return False
    if not redis.set(f"registry:daily-running:{day}", "1", nx=True, ex=LEASE):
        raise DayBusy(f"the daily work of {day} is running elsewhere; retried later")
    return True


def finish_day(day: str, done: bool) -> None:
    """Give the lease back, marking the day done when it is."""
    redis = connection()
    if redis is None:
        return
    if done:
        redis.set(f"registry:daily-done:{day}", "1", ex=KEEP)
    redis.delete(f"registry:daily-running:{day}")

"""Long work a user started (a large roster, a batch of certificates), done by the queue
worker while the user's page shows its progress: started for one user, readable by that user
only, with its progress written by the job as it goes and its result kept for a day."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from .queue import connection, enqueue

log = logging.getLogger(__name__)

RESULT_KEEP = 86400
PROGRESS_EVERY = 0.5  # seconds between two writes of the progress to Redis


@dataclass
class JobState:
    status: str  # "waiting", "running", "done", "failed"
    done: int = 0
    total: int = 0
    stage: str = ""
    result: object = None

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.done / self.total)) if self.total else 0


def start(path: str, *args, owner: int, kind: str, **kwargs) -> str | None:
    """Hand the work to the worker for `owner` (a user id); its job id, or None without a
    queue or when Redis cannot take it (the caller then does it in the request, as it
    always did, or says to try later)."""
    try:
        job = enqueue(path, *args, meta={"owner": owner, "kind": kind}, timeout=3600, **kwargs)
    except Exception as error:  # noqa: BLE001 - redis.RedisError and its socket errors
        log.warning("%s not queued: %s", kind, type(error).__name__)
        return None
    return job.id if job is not None else None


def state_of(job_id: str, owner: int, kind: str) -> JobState | None:
    """The job's state, or None when there is no such job of `owner` and `kind` (the same
    answer for another user's job as for none: its existence is not revealed)."""
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    redis = connection()
    if redis is None:
        return None
    try:
        job = Job.fetch(job_id, connection=redis)
    except (NoSuchJobError, ValueError):
        return None
    if job.meta.get("owner") != owner or job.meta.get("kind") != kind:
        return None
    progress = job.meta.get("progress") or {}
    status = job.get_status(refresh=False)
    name = {"finished": "done", "failed": "failed", "started": "running"}.get(
        getattr(status, "value", status), "waiting")
    return JobState(name, progress.get("done", 0), progress.get("total", 0),
                    progress.get("stage", ""), job.return_value() if name == "done" else None)


class Reporter:
    """The progress callback a job passes to the work: (stage, done, total), written to the
    job's meta at most every PROGRESS_EVERY seconds (and at the end of each stage)."""

    def __init__(self):
        from rq import get_current_job

        self.job = get_current_job()
        self.last = 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if self.job is None or (now - self.last < PROGRESS_EVERY and done < total):
            return
        self.last = now
        self.job.meta["progress"] = {"stage": stage, "done": done, "total": total}
        self.job.save_meta()

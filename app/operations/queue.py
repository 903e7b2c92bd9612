"""Redis, when REDIS_URL is set: the task queue (RQ) that the app servers hand work to and
the queue worker (`flask queue worker`) does.

Jobs are named by their dotted path and run through `run_job`, which gives them the app's
context in the worker, so a job is any plain function of the app, written as if called in
a request. Without REDIS_URL (development, the embedded default) nothing is enqueued: the
callers do the work in the process, as before the queue existed."""
from __future__ import annotations

import importlib
import os
from functools import cache

from flask import Flask, current_app, g, has_app_context, has_request_context, request

QUEUE_NAME = "registry"
_WORKER_APP: dict[str, Flask] = {}  # the app of `flask queue worker`
_WORKER_PIDS: dict[int, int] = {}  # app -> the process whose connections its pool holds


def redis_url() -> str:
    return current_app.config.get("REDIS_URL") or ""


@cache
def _connection(url: str):
    from redis import Redis

    # Short timeouts: a request that hands over a job must not hang on a lost Redis.
    return Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5,
                          health_check_interval=30)


def connection():
    """The shared Redis connection pool of this process, or None without REDIS_URL."""
    url = redis_url()
    return _connection(url) if url else None


def task_queue():
    from rq import Queue

    redis = connection()
    return Queue(QUEUE_NAME, connection=redis) if redis is not None else None


def enqueue(path: str, *args, retry_intervals: list[int] | None = None, job_id: str | None = None,
            timeout: int = 600, **kwargs):
    """Hand `path(*args, **kwargs)` to the worker; None when there is no queue (then the
    caller does the work itself). `retry_intervals`: the back-off, in seconds, of each retry."""
    from rq import Retry

    queue = task_queue()
    if queue is None:
        return None
    retry = Retry(max=len(retry_intervals), interval=retry_intervals) if retry_intervals else None
    meta = {**kwargs.pop("meta", {}), **_origin()}
    return queue.enqueue(run_job, path, *args, retry=retry, job_id=job_id, job_timeout=timeout,
                         result_ttl=86400, failure_ttl=7 * 86400, meta=meta, **kwargs)


def _origin() -> dict:
    """The request that handed the work over: its id and client address go on the audit
    rows the job writes (app/audit.py), as on the request's own."""
    if not has_request_context():
        return {}
    return {"request_id": g.get("request_id"), "client_address": request.remote_addr}


def run_job(path: str, *args, **kwargs):
    """What the worker runs: `path` inside the app's context (a fresh one: its own session)."""
    module, _dot, name = path.rpartition(".")
    function = getattr(importlib.import_module(module), name)
    from rq import get_current_job

    app = current_app._get_current_object() if has_app_context() else worker_app()
    _own_connections(app)
    job = get_current_job()
    with app.app_context():
        if job is not None:
            g.request_id = job.meta.get("request_id")
            g.client_address = job.meta.get("client_address")
        return function(*args, **kwargs)


def worker_app() -> Flask:
    """The app `flask queue worker` built (RQ's own `rq worker` has none to give)."""
    app = _WORKER_APP.get("app")
    if app is None:
        raise RuntimeError("start the queue worker with `flask queue worker`")
    return app


def _own_connections(app: Flask) -> None:
    """A job forked from the worker must not reuse its parent's database connections (two
    processes on one socket), so its pool is replaced once per process."""
    pid = os.getpid()
    if _WORKER_PIDS.get(id(app)) == pid:
        return
    from ..extensions import db

    with app.app_context():
        db.engine.dispose(close=False)
    _WORKER_PIDS[id(app)] = pid


def adopt_worker_app(app: Flask) -> None:
    """`flask queue worker` has built the app already: its jobs use that one."""
    _WORKER_APP["app"] = app

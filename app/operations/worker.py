"""The queue worker (`flask queue worker`): RQ's own Worker, with its scheduler (retries'
back-off and the daily run), on the app `flask` built."""
from __future__ import annotations

from flask import Flask

from .queue import adopt_worker_app, connection, task_queue
from .request_log import configure_logging


def work(app: Flask, burst: bool = False) -> bool:
    """Work until stopped (or, with `burst`, until the queue is empty); False without Redis."""
    from rq import Worker

    with app.app_context():
        redis, queue = connection(), task_queue()
        if redis is None:
            return False
        configure_logging(app.config.get("LOG_LEVEL", "INFO"))
        adopt_worker_app(app)
        from .schedule import schedule_next_daily

        scheduled = schedule_next_daily()
        app.logger.info("queue worker started; daily work scheduled for %s",
                        scheduled or "(already scheduled)")
        Worker([queue], connection=redis).work(with_scheduler=True, burst=burst,
                                               logging_level=app.config.get("LOG_LEVEL", "INFO"))
    return True

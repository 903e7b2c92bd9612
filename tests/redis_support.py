"""Fixtures for any test: a real Redis (redis-server, started by .ci/run when the machine has
none), one database per pytest worker so that parallel modules never see each other's queue
or counters."""
import os

import pytest

from tests.conftest import IN_CI

REDIS_BASE = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")


def redis_db_url(offset: int = 0) -> str:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    return f"{REDIS_BASE}/{1 + (int(worker) * 2 + offset) % 14}"


@pytest.fixture
def redis_url():
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisDown

    url = redis_db_url()
    client = Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.flushdb()
    except RedisDown as error:
        if IN_CI:
            pytest.fail(f"CI=true but Redis is not reachable at {url}: {error}")
        pytest.skip(f"Redis not reachable at {url}")
    yield url
    client.flushdb()
    client.close()


@pytest.fixture
def queued_app(app, redis_url):
    """The app with the queue: what a host of a provincial deployment runs."""
    from app.operations.queue import _connection

    app.config.update(REDIS_URL=redis_url)
    yield app
    _connection.cache_clear()

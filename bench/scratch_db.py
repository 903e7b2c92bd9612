"""A throw-away PostgreSQL database for a benchmark run, on the server of DATABASE_URL."""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa


@contextmanager
def scratch_postgres(prefix: str) -> Iterator[str | None]:
    """Yield the URL of a new empty database (dropped afterwards), or None when
    DATABASE_URL does not point at PostgreSQL."""
    server = os.environ.get("DATABASE_URL", "")
    if not server.startswith("postgresql"):
        yield None
        return
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

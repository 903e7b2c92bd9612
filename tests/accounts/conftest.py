"""The account-protection tests' clock: the lockout and session rules read app.accounts.lockout
.now, which the `clock` fixture replaces; move it with clock.now += timedelta. A test module
may set START (a time-zone-aware datetime) to begin elsewhere."""
from __future__ import annotations

import datetime as dt

import pytest

from app.accounts import lockout

START = dt.datetime(2026, 11, 26, 3, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock(monkeypatch, request):
    class Clock:
        now = getattr(request.module, "START", START)

    monkeypatch.setattr(lockout, "now", lambda: Clock.now)
    return Clock

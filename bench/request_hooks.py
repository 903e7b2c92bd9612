"""Benchmark: what the two request hooks of issue 14 cost on every request.

    .venv/bin/python bench/request_hooks.py [--requests 400]

`refuse_hostile_input` (app/accounts/request_checks.py) reads every argument, form field and
JSON value of a request; `refuse_forged_writes` (app/accounts/request_forgery.py) decides
whether a write needs a CSRF token. Both run before every view. This times the same requests
with both hooks installed and with both taken out of the app's before_request list, the two
interleaved in random order (so that a drift of the machine's speed falls on both alike), on
Flask's test client against a migrated SQLite file, and prints each median, the difference and
the ratio. The requests: the public FAQ page, the same page with 50 query arguments of 200
characters each (the hook's worst ordinary case: every value is read and checked), and a
public verification POST with a form of 20 fields."""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scratch_db import bench_app  # noqa: E402

ARGS = {f"q{n}": "查" * 200 for n in range(50)}
FORM = {f"field{n}": "x" * 50 for n in range(20)}
REQUESTS = {
    "GET /faq/": lambda c: c.get("/faq/"),
    "GET /faq/ with 50 arguments": lambda c: c.get("/faq/", query_string=ARGS),
    "POST /verify/ with 20 fields": lambda c: c.post("/verify/", data=FORM),
}


def hooks_of(app) -> list:
    from app.accounts.request_forgery import refuse_forged_writes

    funcs = app.before_request_funcs[None]
    return [f for f in funcs if f is refuse_forged_writes or f.__name__ == "refuse_hostile_input"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        app = bench_app(f"sqlite:///{workdir}/bench.db", Path(workdir), RATELIMIT_ENABLED=False)
        hooks = hooks_of(app)
        assert len(hooks) == 2, hooks
        funcs = app.before_request_funcs[None]
        client = app.test_client()
        print(f"{args.requests} requests of each kind, with and without the two hooks (ms):")
        for label, send in REQUESTS.items():
            times = {"with": [], "without": []}
            plan = ["with", "without"] * args.requests
            random.shuffle(plan)
            for which in plan:
                if which == "without":
                    for hook in hooks:
                        funcs.remove(hook)
                started = time.perf_counter()
                status = send(client).status_code
                times[which].append((time.perf_counter() - started) * 1000)
                if which == "without":
                    funcs.extend(hooks)
                assert status < 500, (label, status)
            with_, without = (statistics.median(times[k]) for k in ("with", "without"))
            print(f"  {label:<32} with {with_:7.2f}  without {without:7.2f}  "
                  f"difference {with_ - without:+6.2f}  ratio {with_ / without:5.3f}")


if __name__ == "__main__":
    main()

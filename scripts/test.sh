#!/usr/bin/env bash
# Quick start: set everything up and run the whole test suite (SQLite, and PostgreSQL when
# reachable; with CI=true PostgreSQL is required), the browser suite included, on every core
# (pytest-xdist). Extra arguments go to pytest.
REQUIREMENTS=requirements-dev.txt source "$(dirname "$0")/setup.sh"
source "$(dirname "$0")/browser.sh"
.venv/bin/ruff check --quiet .
status=0
# On every core, each module kept on one worker (its module fixtures, a browser, a live
# server); TEST_WORKERS=0 runs in this process.
.venv/bin/python -m pytest -n "${TEST_WORKERS:-auto}" --dist loadfile "$@" || status=$?
shots="${INSTANCE_DIR:-instance}/browser-screenshots"
[ -d "$shots" ] && echo "browser suite screenshots: $(cd "$shots" && pwd)"
exit $status

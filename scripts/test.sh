#!/usr/bin/env bash
# Quick start: set everything up and run the whole test suite (SQLite, and PostgreSQL when
# reachable; with CI=true PostgreSQL is required). Extra arguments go to pytest.
source "$(dirname "$0")/setup.sh"
.venv/bin/ruff check --quiet .
exec .venv/bin/python -m pytest "$@"

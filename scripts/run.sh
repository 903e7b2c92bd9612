#!/usr/bin/env bash
# Quick start: set everything up, migrate the SQLite database under instance/, load demo data
# when the database is empty, print the demo accounts, and serve on http://127.0.0.1:5000
source "$(dirname "$0")/setup.sh"
.venv/bin/flask db upgrade  # as DATABASE_OWNER_URL's role when set
if [ -n "${DATABASE_OWNER_URL:-}" ]; then  # two roles (README: least privilege): grant the app's
  .venv/bin/flask db grant-app-role "$(.venv/bin/python -c \
    'import os, sqlalchemy; print(sqlalchemy.engine.make_url(os.environ["DATABASE_URL"]).username)')"
fi
.venv/bin/flask roles sync >/dev/null
.venv/bin/flask demo load --if-empty
echo "serving on http://127.0.0.1:${PORT:-5000}  (Ctrl+C to stop)"
exec .venv/bin/flask run --host 127.0.0.1 --port "${PORT:-5000}"

"""What the reviewer's list pages cost in-process on PostgreSQL with a few thousand
enterprises and applications (issue 16, point 1): SQL statements per page, bytes of the
search form, median ms per page through the Flask test client. The provincial-scale
comparison through gunicorn is the loader's benchmark; this one is quick.

    DATABASE_URL=postgresql+psycopg2://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python -m bench.list_page_cost [enterprises] [per_state]"""
from __future__ import annotations

import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from bench.scratch_db import bench_app, scratch_postgres

PAGES = ["/acceptancequeueview/list/", "/applicationadminview/list/",
         "/registrationadminview/list/", "/employmentadminview/list/"]
SEARCH_FORM = re.compile(r'<form id="filter_form".*?</script>', re.S)


def main(enterprises: int = 4000, per_state: int = 1000) -> None:
    from app.extensions import db
    from tests import bulk_rows, logins, people
    from tests.conftest import FreshContextClient
    from tests.workflow_support import enterprise_of

    with scratch_postgres("bench_lists") as url:
        if url is None:
            sys.exit("DATABASE_URL must point at PostgreSQL")
        app = bench_app(url, Path(tempfile.mkdtemp()), SERVER_NAME="localhost",
                        AUTH_RATE_LIMIT="10000 per minute")
        with app.app_context():
            people.create_all(app)
            bulk_rows.insert_enterprises(enterprises)
            ids = [app.appbuilder.sm.find_user(username=u).id for u in people.ACCOUNTS]
            bulk_rows.fill_lists(per_state, enterprise_of("ent_a", app).id,
                                 db.session.scalar(sa.text("SELECT min(id) FROM practitioner")),
                                 ids)
            db.session.execute(sa.text("ANALYZE"))
            db.session.commit()
            app.test_client_class = FreshContextClient  # one app context per request
            client = logins.logged_in_client(app, "reviewer")
            statements = []
            sa.event.listen(db.engines[None], "before_cursor_execute",
                            lambda *args: statements.append(1))
            print(f"{enterprises} enterprises, {per_state} applications per state")
            print(f"{'page':<34} {'statements':>10} {'search form':>12} {'page':>9} {'ms':>7}")
            for page in PAGES:
                client.get(page)
                times = []
                for _ in range(7):
                    statements.clear()
                    started = time.perf_counter()
                    html = client.get(page).get_data(as_text=True)
                    times.append((time.perf_counter() - started) * 1000)
                form = SEARCH_FORM.search(html)
                print(f"{page:<34} {len(statements):>10} {len(form.group(0).encode()):>12} "
                      f"{len(html.encode()):>9} {statistics.median(times):>7.0f}")
            measure(logins.logged_in_client(app, "prac_a"), statements,
                    "/apply/initial/add", "application form (practitioner)")
            measure(client, statements, "/applicationadminview/lookup/enterprise?q=批量建设01",
                    "type-ahead answer (20 matches)")
            db.session.remove()
            db.engines[None].dispose()


def measure(client, statements, path, label) -> None:
    """A page other than a list: its statements, size and median time."""
    if client.get(path).status_code != 200:
        print(f"{label:<34} (none)")
        return
    times = []
    for _ in range(7):
        statements.clear()
        started = time.perf_counter()
        body = client.get(path).get_data()
        times.append((time.perf_counter() - started) * 1000)
    print(f"{label:<34} {len(statements):>10} {'':>12} {len(body):>9} "
          f"{statistics.median(times):>7.0f}")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))

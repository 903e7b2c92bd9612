"""The SQL statements of one transition through the real route (issue 16): the relations are
loaded with the application and the request's account checks read in one query, so a new
lazy load or a new per-request query shows here as one statement more. The speed itself is
measured by bench/approve_timing.py, not here."""
from __future__ import annotations

import pytest
from sqlalchemy import event

from app.enums import ApplicationState
from app.extensions import db
from tests.workflow_support import act, enterprise_of, make_applicant, put_application

# What one request does, by backend (SQLite writes two messages with two INSERTs where
# PostgreSQL sends one). Approve, with the year's registration counter already there:
#   the user with its roles, groups, protection row and enrolment (1); the permissions of
#   the public role and of the user's roles, for the route and fire() (1); the
#   application with its practitioner, qualification, enterprise, registration and
#   specialties, and whether this user made a decision it must be separate from (1); the
#   conditional UPDATE (1); audit row and decision (2); the enterprise's staff (1) and their
#   messages (1-2); the qualification date and the serial (2); the registration, its
#   period, the employment and the application's link to it (4); the history line and the
#   first certificate version (2: a new registration has no older one to void or count);
#   the holder's message (1).
APPROVE = {"sqlite": 18, "postgresql": 17}
# Accept: the same checks and the application (3), the UPDATE, the audit row, the decision
# and its message (4); no effect.
ACCEPT = {"sqlite": 7, "postgresql": 7}


def statements_of(client, app_id: int, name: str) -> list[str]:
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(" ".join(statement.split())[:160])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = act(client, app_id, name)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200, response.get_json()
    return statements


@pytest.mark.parametrize("name, state, role, limits", [
    ("approve", ApplicationState.pending_decision, "approver", APPROVE),
    ("accept", ApplicationState.pending_acceptance, "reviewer", ACCEPT),
])
def test_one_transition_takes_a_fixed_number_of_statements(app, login, backend, name, state,
                                                           role, limits):
    enterprise = enterprise_of("ent_a", app)
    first, second = (put_application(make_applicant(app, f"counted{n}", enterprise), enterprise,
                                     state) for n in range(2))
    client = login(role)
    statements_of(client, first, name)  # the first of the year also creates its counter
    statements = statements_of(client, second, name)
    assert len(statements) <= limits[backend], "\n".join(statements)

"""What a list page costs: its SQL statements do not grow with the rows shown or the size of
the register (issue 16), on every queue and list page of every role, and the search form
stays small however many enterprises there are."""
from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask import url_for

from app.extensions import db
from app.security import ROLES
from tests import bulk_rows
from tests.people import ACCOUNTS
from tests.workflow_support import enterprise_of

MAX_STATEMENTS = 15


@contextmanager
def counted():
    """The SQL statements the app sends while the block runs."""
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    engine = db.engines[None]
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def list_pages(app, role_key: str) -> list[str]:
    """Every list page the role may open: the app's screens and FAB's account and role
    screens alike."""
    grants = ROLES[role_key].permissions()
    return sorted({view.endpoint for view in app.appbuilder.baseviews
                   if ("can_list", view.class_permission_name) in grants
                   and f"{view.endpoint}.list" in app.view_functions})


def fill(app, per_state: int) -> None:
    from app.models import Practitioner

    user_ids = [app.appbuilder.sm.find_user(username=u).id for u in ACCOUNTS]
    own = db.session.scalar(sa.select(Practitioner.id).where(
        Practitioner.user_id == user_ids[list(ACCOUNTS).index("prac_a")]))
    bulk_rows.fill_lists(per_state, enterprise_of("ent_a", app).id, own, user_ids)


def statements_per_page(app, login, username: str, pages: list[str], page_size: int) -> dict:
    client = login(username)
    found = {}
    for name in pages:
        with app.test_request_context():
            url = url_for(f"{name}.list", **{f"psize_{name}": page_size})
        client.get(url)  # a first visit warms what is loaded once per process
        with counted() as statements:
            response = client.get(url)
        assert response.status_code == 200, (name, response.status_code)
        found[name] = len(statements)
    return found


ROLE_USERS = {key: user for user, key in ACCOUNTS.items() if key in ROLES}


@pytest.mark.parametrize("role_key", sorted(ROLE_USERS))
def test_list_pages_cost_the_same_few_statements_whatever_the_rows(app, login, backend,
                                                                   role_key):
    pages = list_pages(app, role_key)
    if not pages:
        pytest.fail(f"role {role_key} has no list page to measure")
    username = ROLE_USERS[role_key]
    fill(app, 3)
    few = statements_per_page(app, login, username, pages, 25)
    fill(app, 57)  # 60 per state in all
    many = statements_per_page(app, login, username, pages, 25)
    big_pages = statements_per_page(app, login, username, pages, 100)
    print(role_key, few, many, big_pages)
    assert few == many == big_pages, "statements grow with the rows: an N+1"
    too_many = {name: n for name, n in few.items() if n > MAX_STATEMENTS}
    assert not too_many, f"more than {MAX_STATEMENTS} statements per page: {too_many}"


SEARCH_FORM = re.compile(r'<form id="filter_form".*?</script>', re.S)
MAX_SEARCH_FORM_BYTES = 20_000


@pytest.mark.parametrize("page", ["ApplicationAdminView", "AcceptanceQueueView",
                                  "RegistrationAdminView", "EmploymentAdminView"])
def test_the_search_form_stays_small_with_thousands_of_enterprises(app, login, backend, page):
    bulk_rows.insert_enterprises(2000)
    with app.test_request_context():
        url = url_for(f"{page}.list")
    html = login("reviewer").get(url).get_data(as_text=True)
    form = SEARCH_FORM.search(html)
    assert form, "no search form on the page"
    size = len(form.group(0).encode())
    assert size <= MAX_SEARCH_FORM_BYTES, f"search form of {page}: {size} bytes"
    assert "批量建设01999" not in html  # no enterprise is listed, none is loaded


def test_permissions_are_read_again_at_each_request(app, login, backend):
    """Read once per request, not kept longer: a permission taken from a role stops the
    next page, and one given back opens it again."""
    client = login("reviewer")
    assert client.get("/applicationadminview/list/").status_code == 200
    sm = app.appbuilder.sm
    role = sm.find_role(ROLES["reviewer"].name)
    listing = sm.find_permission_view_menu("can_list", "ApplicationAdminView")
    sm.del_permission_role(role, listing)
    assert client.get("/applicationadminview/list/").status_code != 200
    sm.add_permission_role(role, listing)
    assert client.get("/applicationadminview/list/").status_code == 200

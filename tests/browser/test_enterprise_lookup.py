"""The enterprise type-ahead as people use it (issue 16): a reviewer filters the list of
applications by typing part of an enterprise's name among thousands, and the filter, reopened,
shows the name; a practitioner chooses an employer the same way on a phone and the saved
application has it. Desktop 1280 px and phone 390 px."""
from __future__ import annotations

import sqlalchemy as sa

from app.enums import ApplicationState as S
from app.extensions import db
from app.models import Application
from tests import bulk_rows
from tests.people import PASSWORD
from tests.workflow_support import enterprise_of, make_applicant, put_application

from .typeahead import choose


def test_a_reviewer_filters_by_typing_an_enterprise(live_server, actors):
    app = live_server.app
    bulk_rows.insert_enterprises(2000)
    ent_a, ent_b = enterprise_of("ent_a", app), enterprise_of("ent_b", app)
    in_a = make_applicant(app, "l_applicant_a", ent_a)
    in_b = make_applicant(app, "l_applicant_b", ent_b)
    put_application(in_a, ent_a, S.pending_acceptance)
    put_application(in_b, ent_b, S.pending_acceptance)
    for phone in (False, True):
        reviewer = actors("lookup-phone" if phone else "lookup", phone=phone)
        reviewer.typed.update({"l_applicant_a", "l_applicant_b"})
        reviewer.login("reviewer", PASSWORD)
        reviewer.open("/applicationadminview/list/")
        reviewer.page.locator("#accordion1 .accordion-toggle").click()  # 搜索
        reviewer.page.locator("#filter_form .dropdown-toggle").click()
        reviewer.page.locator("#filter_form a.filter[name=enterprise]").click()
        reviewer.page.wait_for_timeout(500)  # the panel's opening animation
        width = reviewer.page.evaluate("document.documentElement.scrollWidth")
        assert width <= reviewer.page.viewport_size["width"], "the filter widens the page"
        operation = reviewer.page.locator("#filter_form select.filter-op + .select2").last
        assert "是" in operation.inner_text()  # nothing there to clear it, to an empty box
        assert not operation.locator(".select2-selection__clear").is_visible()
        choose(reviewer, "enterprise", "公司乙", ent_b.name)
        reviewer.page.locator("#filter_form [type=submit]").click()
        text = reviewer.shot("filtered-by-enterprise")
        assert in_b.real_name in text and in_a.real_name not in text
        reviewer.page.locator("#accordion1 .accordion-toggle").click()
        chosen = reviewer.page.locator("#filter_form .select2-selection__rendered").last
        chosen.wait_for()
        reviewer.page.wait_for_timeout(500)  # the panel's opening animation
        reviewer.shot("filter-reopened")
        assert ent_b.name in chosen.inner_text()  # the reopened filter names the enterprise


def test_a_practitioner_chooses_an_employer_by_typing(live_server, actors):
    app = live_server.app
    bulk_rows.insert_enterprises(500)
    ent_a = enterprise_of("ent_a", app)
    person = make_applicant(app, "l_applicant", ent_a)
    me = actors("employer-phone", phone=True)
    me.login("l_applicant", PASSWORD)
    me.open("/apply/initial/add")
    me.shot("application-form")
    choose(me, "enterprise", "公司甲", ent_a.name)
    me.shot("employer-chosen")
    # The chosen name with its credit code is one long line: the form stays within its panel.
    overflow = me.page.evaluate("""() => {
        const form = document.querySelector('#model_form');
        return form.querySelector('table').getBoundingClientRect().right
            - form.closest('.panel').getBoundingClientRect().right; }""")
    assert overflow <= 0, f"the form is {overflow} px wider than its panel"
    me.page.locator("form [type=submit]").last.click()
    me.shot("application-saved")
    saved = db.session.scalar(sa.select(Application).filter_by(practitioner_id=person.id))
    assert saved is not None and saved.enterprise_id == ent_a.id

"""The type-ahead lookup of enterprises and accounts (app/accounts/lookups.py): scoped per
screen and role, at most 20 answers from 2 characters on, forged values answered with an
empty list or a field error, the chosen row shown again on a reopened form or filter."""
from __future__ import annotations

import json
import re

import sqlalchemy as sa

from app.enums import ApplicationState as S
from app.enums import EnterpriseStatus
from app.extensions import db
from app.models import Application, Enterprise
from tests import bulk_rows, people
from tests.workflow_support import enterprise_of, make_applicant, put_application, qualification

REVIEWER_LOOKUP = "/applicationadminview/lookup/enterprise"
EMPLOYER_LOOKUP = "/apply/initial/lookup/enterprise"


def names(response) -> list[str]:
    assert response.status_code == 200, response.status_code
    return [row["text"] for row in response.json["results"]]


def suspend(enterprise: Enterprise) -> None:
    enterprise.status = EnterpriseStatus.suspended
    db.session.commit()


def test_a_reviewer_finds_every_enterprise_by_name_or_credit_code(app, login, backend):
    b = enterprise_of("ent_b", app)
    suspend(b)
    reviewer = login("reviewer")
    assert len(names(reviewer.get(REVIEWER_LOOKUP, query_string={"q": "测试建设"}))) == 2
    assert names(reviewer.get(REVIEWER_LOOKUP, query_string={"q": b.credit_code[-8:].lower()})) == [
        f"{b.name}（{b.credit_code}）"]
    a = enterprise_of("ent_a", app)  # a credit code typed in small letters
    assert names(reviewer.get(REVIEWER_LOOKUP, query_string={"q": "m000100y4"})) == [
        f"{a.name}（{a.credit_code}）"]
    for page in ("registrationadminview", "employmentadminview", "acceptancequeueview"):
        assert len(names(reviewer.get(f"/{page}/lookup/enterprise", query_string={"q": "测试"}))) == 2


def test_at_least_two_characters_and_at_most_twenty_matches(app, login, backend):
    bulk_rows.insert_enterprises(30)
    reviewer = login("reviewer")
    assert names(reviewer.get(REVIEWER_LOOKUP, query_string={"q": "批"})) == []
    assert names(reviewer.get(REVIEWER_LOOKUP)) == []
    assert len(names(reviewer.get(REVIEWER_LOOKUP, query_string={"q": "批量"}))) == 20
    # The typed text is text: % and _ are no wildcards.
    assert names(reviewer.get(REVIEWER_LOOKUP, query_string={"q": "%%"})) == []
    assert names(reviewer.get(REVIEWER_LOOKUP, query_string={"q": "__"})) == []
    assert reviewer.get("/applicationadminview/lookup/practitioner",
                        query_string={"q": "测试"}).status_code == 404


def test_a_practitioner_choosing_an_employer_sees_only_active_enterprises(app, login, backend):
    suspend(enterprise_of("ent_b", app))
    prac = login("prac_a")
    assert names(prac.get(EMPLOYER_LOOKUP, query_string={"q": "测试建设"})) == [
        f"{enterprise_of('ent_a', app).name}（{enterprise_of('ent_a', app).credit_code}）"]
    # Not the authority's lookup, which would show every enterprise.
    assert prac.get(REVIEWER_LOOKUP, query_string={"q": "测试建设"}).status_code != 200


def test_an_enterprise_user_reaches_no_other_enterprise(app, login, backend):
    other = enterprise_of("ent_b", app)
    ent_a = login("ent_a")
    for url in (REVIEWER_LOOKUP, EMPLOYER_LOOKUP, "/registrationadminview/lookup/enterprise",
                "/enterpriseuseradminview/lookup/enterprise"):
        response = ent_a.get(url, query_string={"q": other.credit_code})
        assert response.status_code != 200 or names(response) == [], url
        assert other.name not in response.get_data(as_text=True)


def test_an_enterprise_user_who_may_look_up_sees_only_its_own(app, login, backend):
    """The scope holds even on a screen whose role an enterprise user was also given."""
    from app.security import ROLES

    sm = app.appbuilder.sm
    user = sm.find_user(username="ent_a")
    user.roles.append(sm.find_role(ROLES["reviewer"].name))
    db.session.commit()
    people.enrol_known(app, user)  # the reviewer's role logs in with a code
    own, other = enterprise_of("ent_a", app), enterprise_of("ent_b", app)
    found = names(login("ent_a").get(REVIEWER_LOOKUP, query_string={"q": "测试建设"}))
    assert found == [f"{own.name}（{own.credit_code}）"] and other.name not in str(found)


def test_the_account_lookup_of_enterprise_accounts(app, login, backend):
    admin = login("sysadmin")
    assert any("prac_a" in text for text in names(
        admin.get("/enterpriseuseradminview/lookup/user", query_string={"q": "prac_"})))
    assert login("reviewer").get("/enterpriseuseradminview/lookup/user",
                                 query_string={"q": "prac_"}).status_code != 200


def _apply(client, enterprise_value: str):
    q = qualification()
    return client.post("/apply/initial/add", data={
        "qualification": str(q.id), "specialties": [str(q.specialties[0].id)],
        "enterprise": enterprise_value, "continuing_education": ""})


def test_a_forged_employer_is_a_field_error_and_nothing_is_saved(app, login, backend):
    person = make_applicant(app, "applicant", enterprise_of("ent_a", app))
    suspended = enterprise_of("ent_b", app)
    suspend(suspended)
    client = login("applicant")
    for forged in (str(suspended.id), "999999", "abc", "1 OR 1=1", "9" * 40, "²", "-1"):
        response = _apply(client, forged)
        assert response.status_code == 200, (forged, response.status_code)
        assert "请从列出的匹配项中选择" in response.get_data(as_text=True), forged
    assert db.session.scalar(sa.select(sa.func.count(Application.id)).filter_by(
        practitioner_id=person.id)) == 0


def test_the_chosen_employer_is_kept_on_an_error_and_shown_on_edit(app, login, backend):
    ent_a = enterprise_of("ent_a", app)
    person = make_applicant(app, "applicant", ent_a)
    client = login("applicant")
    q = qualification()
    # Too long a text: the form comes back with its error, the employer still chosen.
    response = client.post("/apply/initial/add", data={
        "qualification": str(q.id), "specialties": [str(q.specialties[0].id)],
        "enterprise": str(ent_a.id), "continuing_education": "长" * 300})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(rf'<option value="{ent_a.id}" selected>{ent_a.name}', page)
    assert _apply(client, str(ent_a.id)).status_code == 302
    draft = db.session.scalar(sa.select(Application.id).filter_by(practitioner_id=person.id))
    edit = client.get(f"/apply/initial/edit/{draft}").get_data(as_text=True)
    assert re.search(rf'<option value="{ent_a.id}" selected>{ent_a.name}', edit)


def test_a_reopened_filter_shows_the_enterprise_chosen(app, login, backend):
    ent_a = enterprise_of("ent_a", app)
    reviewer = login("reviewer")
    page = reviewer.get("/applicationadminview/list/",
                        query_string={"_flt_0_enterprise": ent_a.id}).get_data(as_text=True)
    # FAB's filter script receives the box as JSON (tojson writes \u escapes).
    assert json.dumps(f"{ent_a.name}（{ent_a.credit_code}）")[1:-1] in page
    for forged in ("abc", "999999", "-1", "1e9", "%", "²", "9" * 40):
        assert reviewer.get("/applicationadminview/list/",
                            query_string={"_flt_0_enterprise": forged}).status_code == 200


def test_the_role_screen_finds_accounts_by_typing(app, login, backend):
    """FAB's role search offered every account in a drop-down; it is typed too."""
    found = names(login("secadmin").get("/roles/lookup/user", query_string={"q": "prac_"}))
    assert any("prac_a" in text for text in found)
    assert login("prac_a").get("/roles/lookup/user",
                               query_string={"q": "prac_"}).status_code != 200
    page = login("secadmin").get("/roles/list/").get_data(as_text=True)
    assert "registry-lookup" in page and "auditor" not in page.split('id="filter_form"')[1]


def test_an_enterprise_filter_left_empty_restricts_nothing(app, login, backend):
    """搜索 pressed before an enterprise is chosen in the filter (or after it was cleared)
    sends an empty value: the list is the whole list, as the empty box says, not 没有找到记录."""
    ent_a, ent_b = enterprise_of("ent_a", app), enterprise_of("ent_b", app)
    for name, ent in (("e_a", ent_a), ("e_b", ent_b)):
        put_application(make_applicant(app, name, ent), ent, S.pending_acceptance)
    reviewer = login("reviewer")

    def count(**query) -> int:
        page = reviewer.get("/acceptancequeueview/list/", query_string=query)
        return int(re.search(r"记录数目:</strong>\s*(\d+)", page.get_data(as_text=True))[1])

    assert count() == 2 and count(_flt_0_enterprise=ent_a.id) == 1
    assert count(_flt_0_enterprise="") == 2 and count(_flt_1_enterprise="") == 2
    assert count(_flt_0_enterprise="abc") == 0  # a forged value still finds nothing

"""Hostile input (issue 6, item 7): script payloads typed into free-text fields are shown as
text on every page and in the certificate PDF, and SQL-like text in every search box of
every list page is only ever a search value."""
from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from app.enums import ApplicationState as S
from app.enums import ApplicationType
from app.extensions import db
from app.models import Consultation, Practitioner, Registration
from app.registry.images import check_and_normalise
from tests import image_samples as samples
from tests import people
from tests.workflow_support import act, enterprise_of, make_applicant, put_application, stored_file

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
JS = "javascript:alert(1)"
SHORT = SCRIPT + IMG  # fits real_name (64 characters)
LONG = SCRIPT + IMG + JS

# Each page must show the payload as text: the escaped form is there, the live markup is not.
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"
LIVE_MARKUP = re.compile(r"<script>alert|<img src=x|(?:href|src|action)\s*=\s*[\"']?\s*javascript:",
                         re.IGNORECASE)


def assert_inert(client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    html = response.get_data(as_text=True)
    assert not LIVE_MARKUP.search(html), (url, LIVE_MARKUP.search(html).group(0))
    assert ESCAPED_SCRIPT in html, f"{url} does not show the payload as text"


def _person(username: str) -> Practitioner:
    user_id = db.session.scalar(sa.text("SELECT id FROM ab_user WHERE username = :u"),
                                {"u": username})
    return db.session.scalar(sa.select(Practitioner).filter_by(user_id=user_id))


# ---------------------------------------------------------------- XSS: names and addresses
def test_a_practitioner_name_and_enterprise_data_are_shown_as_text(app, login):
    person = _person("prac_a")
    enterprise = enterprise_of("ent_a", app)
    person.real_name = SHORT  # as sign-up would store it: the name is taken as typed
    enterprise.name, enterprise.address = LONG, LONG
    db.session.commit()
    application = db.session.scalar(sa.text(
        "SELECT id FROM application WHERE practitioner_id = :p"), {"p": person.id})
    # Submitted: the enterprise and the authority do not see a draft.
    db.session.execute(sa.text("UPDATE application SET state = 'pending_enterprise' WHERE id = :a"),
                       {"a": application})
    db.session.commit()
    registration = db.session.scalar(sa.select(Registration.id).filter_by(practitioner_id=person.id))
    pages = {
        "prac_a": ["/myprofileview/list/", f"/myprofileview/show/{person.id}",
                   "/myapplicationview/list/", f"/myapplicationview/show/{application}"],
        "ent_a": ["/ownenterpriseview/list/", f"/ownenterpriseview/show/{enterprise.id}",
                  "/enterpriseapplicationview/list/",
                  f"/enterpriseapplicationview/show/{application}",
                  "/enterpriseemploymentview/list/", "/enterpriseregistrationview/list/",
                  f"/enterpriseregistrationview/show/{registration}"],
        "reviewer": ["/practitioneradminview/list/", f"/practitioneradminview/show/{person.id}",
                     "/enterpriseadminview/list/", f"/enterpriseadminview/show/{enterprise.id}",
                     "/applicationadminview/list/", f"/applicationadminview/show/{application}",
                     "/registrationadminview/list/",
                     f"/registrationadminview/show/{registration}",
                     "/employmentadminview/list/"],
    }
    for username, urls in pages.items():
        client = login(username)
        for url in urls:
            assert_inert(client, url)


# ---------------------------------------------------------------- XSS: workflow reasons
def test_return_reasons_and_items_are_shown_as_text(app, login):
    person = _person("prac_a")
    app_id = put_application(person, enterprise_of("ent_a", app), S.pending_acceptance)
    response = act(login("reviewer"), app_id, "review_return", reason=LONG,
                   items=[{"field": "other", "reason": LONG}])
    assert response.status_code == 200, response.json
    for username, url in (("prac_a", f"/myapplicationview/show/{app_id}"),
                          ("ent_a", f"/enterpriseapplicationview/show/{app_id}"),
                          ("reviewer", f"/applicationadminview/show/{app_id}"),
                          ("approver", f"/applicationadminview/show/{app_id}")):
        assert_inert(login(username), url)


def test_a_correction_reason_and_value_are_shown_as_text(app, login):
    person = _person("prac_a")
    details = {"correction_field": "phone", "correction_value": LONG,
               "corrections": {"phone": LONG}, "correction_reason": LONG}
    app_id = put_application(person, enterprise_of("ent_a", app), S.pending_enterprise,
                             app_type=ApplicationType.correction, details=details)
    for username, url in (("prac_a", f"/myapplicationview/show/{app_id}"),
                          ("ent_a", f"/enterpriseapplicationview/show/{app_id}"),
                          ("reviewer", f"/applicationadminview/show/{app_id}")):
        assert_inert(login(username), url)


# ---------------------------------------------------------------- XSS: consultations
def test_a_consultation_question_and_answer_are_shown_as_text(app, login):
    asker = login("prac_a")
    response = asker.post("/myconsultationview/add", data={
        "category": "initial", "subject": LONG, "question": LONG})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    consultation = db.session.scalar(sa.select(Consultation).filter_by(subject=LONG))
    assert consultation is not None and consultation.question == LONG
    reviewer = login("reviewer")
    response = reviewer.post(f"/consultationadminview/edit/{consultation.id}",
                             data={"answer": LONG, "published": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Consultation, consultation.id).answer == LONG
    for client, urls in ((asker, ["/myconsultationview/list/",
                                  f"/myconsultationview/show/{consultation.id}"]),
                         (reviewer, ["/consultationadminview/list/",
                                     f"/consultationadminview/show/{consultation.id}"])):
        for url in urls:
            assert_inert(client, url)


# ---------------------------------------------------------------- XSS: the certificate PDF
def test_the_certificate_pdf_shows_the_payload_as_text_and_runs_no_script(app, login):
    enterprise = enterprise_of("ent_a", app)
    person = make_applicant(app, "holder", enterprise)
    for kind, content in (("photo", samples.photo()), ("signature", samples.signature())):
        normalised, content_type = check_and_normalise(kind, content)
        image = stored_file(normalised)
        image.content_type = content_type
        setattr(person, kind, image)
    person.real_name, enterprise.name = SHORT, LONG
    db.session.commit()
    app_id = put_application(person, enterprise, S.pending_decision)
    assert act(login("approver"), app_id, "approve").status_code == 200
    registration = db.session.scalar(sa.select(Registration).filter_by(practitioner_id=person.id))
    response = login("holder").post(f"/myregistrationview/action/certificate/{registration.id}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf = response.data
    # Long values may wrap onto a second line: compare without white space.
    text = "".join("".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())
    for value in (SHORT, LONG):
        assert "".join(value.split()) in text, value
    assert b"/JS" not in pdf and b"/JavaScript" not in pdf and b"/OpenAction" not in pdf


# ---------------------------------------------------------------- SQL-like search values
SQL_VALUES = ["' OR '1'='1", "1; DROP TABLE practitioner; --", "%' --",
              "1 UNION SELECT password FROM ab_user --", "\x00"]
# The other practitioner's and enterprise's records (tests/people.py): a scoped account must
# never see them, whatever it searches for.
OTHERS = {"prac_a": ["测试乙", people.ID_B, "问题乙", "通知乙", "TESTb"],
          "ent_a": ["测试乙", people.ID_B, "测试建设工程有限公司乙", people.CREDIT_B, "TESTb"]}
# An error page or flash carrying the driver's text; the search value itself is echoed in the
# search box, so a statement is recognised by SQLAlchemy's table.column form.
LEAKS = re.compile(r"Traceback|sqlalchemy|psycopg2|sqlite3|SELECT\s+\w+\.\w+|syntax error|"
                   r"Background on this error", re.IGNORECASE)


def list_views(app, role: str) -> list:
    """Every ModelView list page the role may open, with its search filters."""
    from flask_appbuilder import ModelView

    granted = people_permissions(role)
    return [view for view in app.appbuilder.baseviews if isinstance(view, ModelView)
            and ("can_list", view.class_permission_name) in granted]


def people_permissions(role: str) -> set[tuple[str, str]]:
    from app.security import ROLES

    return ROLES[role].permissions()


def search_urls(view, value: str, every_filter: bool) -> list[str]:
    """One URL per search column, in FAB's notation _flt_<filter index>_<column>: with every
    filter FAB offers for the column (equal, not equal, starts with, in...) or the first only."""
    base = f"{view.route_base}/list/"
    urls = []
    for column, filters in view._filters.get_search_filters().items():
        for index in range(len(filters) if every_filter else 1):
            urls.append(f"{base}?{_query({f'_flt_{index}_{column}': value})}")
    return urls


def _query(args: dict) -> str:
    from urllib.parse import urlencode

    return urlencode(args)


def _row_counts() -> dict[str, int]:
    names = sa.inspect(db.engine).get_table_names()
    with db.engine.connect() as conn:
        return {n: conn.execute(sa.text(f'SELECT COUNT(*) FROM "{n}"')).scalar_one() for n in names}


@pytest.mark.parametrize("username,role", [("reviewer", "reviewer"), ("approver", "approver"),
                                           ("prac_a", "practitioner"), ("ent_a", "enterprise")])
def test_sql_like_search_values_are_only_search_values(app, login, username, role):
    client = login(username)
    views = list_views(app, role)
    assert views, role
    before = _row_counts()
    tried = 0
    for view in views:
        for value in SQL_VALUES:
            # Every filter with the first value, the first filter with the others: enough
            # to reach each filter class without thousands of requests.
            for url in search_urls(view, value, every_filter=value == SQL_VALUES[0]):
                response = client.get(url)
                tried += 1
                # A NUL character is refused as malformed (app/errors.py), anything else searched.
                expected = 400 if value == "\x00" else 200
                assert response.status_code == expected, (url, response.status_code)
                html = response.get_data(as_text=True)
                assert not LEAKS.search(html), (url, LEAKS.search(html).group(0))
                for marker in OTHERS.get(username, []):
                    assert marker not in html, (url, marker)
    assert tried > 0
    after = _row_counts()
    assert after.keys() == before.keys()  # no table dropped
    # The audit log may record the searches; no other table changes.
    assert {k: v for k, v in after.items() if k != "audit_log"} == \
        {k: v for k, v in before.items() if k != "audit_log"}

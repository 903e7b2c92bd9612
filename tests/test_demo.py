"""The demo command builds a believable sample, runs twice without changing anything, and is
refused in production."""
import sqlalchemy as sa

from app.demo import DEMO_ACCOUNTS, load_demo_data
from app.enums import ApplicationState
from app.extensions import db
from app.identity import parse_credit_code, parse_resident_id
from app.models import (
    Application,
    Employment,
    Enterprise,
    EnterpriseUser,
    Notification,
    Practitioner,
    QualificationCertificate,
    Registration,
    RegistrationSpecialty,
)
from tests import logins

COUNTED = (Enterprise, Practitioner, QualificationCertificate, Employment, Registration,
           RegistrationSpecialty, EnterpriseUser)


def _counts():
    return {m.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in COUNTED}


def test_demo_load_is_idempotent_and_prints_the_accounts(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load", "--practitioners", "60", "--enterprises", "8"])
    assert first.exit_code == 0, first.output
    after_first = _counts()
    second = runner.invoke(args=["demo", "load", "--practitioners", "60", "--enterprises", "8"])
    assert second.exit_code == 0, second.output
    db.session.expire_all()
    assert _counts() == after_first
    assert "created enterprises 0, practitioners 0, registrations 0" in second.output
    for account in DEMO_ACCOUNTS:
        assert account.username in first.output
    # The passwords and TOTP secrets printed the second time are the ones that work, and a
    # second run keeps the enrolment (the same secret), with the one-liner for the code.
    printed = [_printed_accounts(run.output) for run in (first, second)]
    password, secret = printed[1]["reviewer"]
    assert secret == printed[0]["reviewer"][1] and len(secret) == 32
    assert f"print(pyotp.TOTP('{secret}').now())" in second.output
    assert printed[1]["practitioner"][1] is None  # optional for practitioners: no secret
    logins.login(app.test_client(), "reviewer", password,
                 code=logins.current_code(app, "reviewer", secret))


def _printed_accounts(output: str) -> dict[str, tuple[str, str | None]]:
    """username -> (password, TOTP secret or None) from the table `demo load` prints."""
    rows = [line.split() for line in output.splitlines() if line.startswith("  ")]
    return {row[1]: (row[2], row[3] if len(row) > 3 else None) for row in rows}


def test_demo_data_is_valid_and_spread_over_cities(app):
    created = load_demo_data(practitioners=120, enterprises=21)
    assert created["practitioners"] == 120 and created["enterprises"] == 21
    cities = db.session.scalars(sa.select(Enterprise.city).distinct()).all()
    assert len(cities) >= 21
    for code in db.session.scalars(sa.select(Enterprise.credit_code)):
        assert parse_credit_code(code) == code
    people = db.session.scalars(sa.select(Practitioner)).all()
    for person in people:
        parsed = parse_resident_id(person.id_number)
        assert (parsed.birth_date, parsed.sex) == (person.birth_date, person.sex.name)
    registered = db.session.scalar(sa.select(sa.func.count()).select_from(Registration))
    assert 0.5 * len(people) < registered < len(people)
    numbers = db.session.scalars(sa.select(Registration.number)).all()
    assert len(set(numbers)) == len(numbers) and all(n.startswith("粤") for n in numbers)


def test_demo_accounts_link_to_a_practitioner_and_an_enterprise(app, login):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "load", "--practitioners", "20"]).exit_code == 0
    sm = app.appbuilder.sm
    practitioner = db.session.scalar(sa.select(Practitioner).filter_by(
        user_id=sm.find_user(username="practitioner").id))
    assert practitioner is not None and practitioner.registrations
    link = db.session.scalar(sa.select(EnterpriseUser).filter_by(
        user_id=sm.find_user(username="enterprise").id))
    assert link.enterprise_id == practitioner.registrations[0].enterprise_id
    # The demo practitioner's message centre holds what the real code writes on approval.
    kinds = db.session.scalars(sa.select(Notification.kind).filter_by(
        user_id=practitioner.user_id)).all()
    assert sorted(kinds) == ["approve", "certificate_issued"]


def test_demo_has_decisions_for_the_dashboards(app):
    load_demo_data(practitioners=60, enterprises=8)
    decided = db.session.scalars(sa.select(Application).where(Application.state.in_(
        [ApplicationState.approved, ApplicationState.refused]))).all()
    assert decided and {a.state for a in decided} == {ApplicationState.approved,
                                                      ApplicationState.refused}
    assert len({a.app_type for a in decided}) == 3
    for application in decided:
        assert application.submitted_at < application.decided_at and application.city
        assert [d.transition for d in application.decisions][-1] in ("approve", "refuse")


def test_demo_is_refused_in_production(app):
    app.config["PRODUCTION"] = True
    before = _counts()
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code != 0 and "refused in production" in result.output
    assert _counts() == before

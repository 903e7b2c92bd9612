"""Structural rules enforced by the database itself, on SQLite and PostgreSQL alike."""
import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.enums import ApplicationState, ApplicationType, RegistrationStatus, Sex
from app.extensions import db
from app.identity import IdentityError
from app.models import Application, Employment, Enterprise, Practitioner, Registration
from tests.people import ID_A, ID_B


def _practitioner(id_number):
    return db.session.scalar(sa.select(Practitioner).filter_by(id_number=id_number))


def test_birth_date_and_sex_are_derived_from_the_id_number(app):
    person = Practitioner(real_name="王喆", id_number="44010620000229002" + "4", phone="13800000009")
    assert (person.birth_date, person.sex) == (dt.date(2000, 2, 29), Sex.female)


def test_an_invalid_id_number_never_reaches_the_database(app):
    with pytest.raises(IdentityError):
        Practitioner(real_name="王", id_number="440106200002290025", phone="1")


def test_id_number_is_unique(app):
    db.session.add(Practitioner(real_name="重复", id_number=ID_A, phone="13800000000"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_credit_code_is_unique(app):
    existing = db.session.scalar(sa.select(Enterprise))
    db.session.add(Enterprise(name="另一家", credit_code=existing.credit_code,
                              legal_representative="某", city="广州市", address="某路"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def _registration(person, status, number):
    return Registration(number=number, practitioner_id=person.id,
                        qualification_id=person.registrations[0].qualification_id,
                        enterprise_id=person.registrations[0].enterprise_id, status=status,
                        first_registered_on=dt.date(2021, 1, 1))


def test_one_valid_registration_per_person_and_qualification(app):
    person = _practitioner(ID_A)
    db.session.add(_registration(person, RegistrationStatus.cancelled, "粤2OLD1"))
    db.session.commit()  # a cancelled one beside the valid one is fine
    db.session.add(_registration(person, RegistrationStatus.valid, "粤2NEW1"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_one_application_in_progress_per_person_and_qualification(app):
    person = _practitioner(ID_B)
    open_one = db.session.scalar(sa.select(Application).filter_by(practitioner_id=person.id))
    assert open_one.state == ApplicationState.draft
    second = Application(app_type=ApplicationType.renewal, practitioner_id=person.id,
                         qualification_id=open_one.qualification_id)
    db.session.add(second)
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    # Once the first is decided, a new one may start. (The state is written here directly
    # only to set up the case; the application changes it only through the workflow.)
    db.session.execute(sa.update(Application).where(Application.id == open_one.id)
                       .values(state=ApplicationState.approved))
    db.session.add(Application(app_type=ApplicationType.renewal, practitioner_id=person.id,
                               qualification_id=open_one.qualification_id))
    db.session.commit()


def test_one_current_employment_per_person(app):
    person = _practitioner(ID_A)
    other = db.session.scalar(sa.select(Enterprise).where(
        Enterprise.id != person.employments[0].enterprise_id))
    db.session.add(Employment(practitioner_id=person.id, enterprise_id=other.id,
                              start_date=dt.date(2024, 1, 1)))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_enum_columns_refuse_unknown_values_in_the_database(app):
    with pytest.raises(IntegrityError):
        with db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE application SET state = 'bogus'"))

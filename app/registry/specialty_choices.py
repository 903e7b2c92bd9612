"""Which specialties a form may offer: those of the qualification chosen on it (domain.md
section 1). The map goes into the page (templates/specialty_choices.html) for
static/registry.js, which narrows the specialty list as the qualification or registration
changes; the views check the same rule on save, whatever the browser sent."""
from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import Registration, RegistrationSpecialty, Specialty
from ..scoping import current_practitioner_id


def specialty_choices(mode: str = "all") -> dict:
    """`mode`, for a form based on a registration: "held" offers its specialties (renewal),
    "not_held" the others of its qualification (adding one), "all" every one."""
    by_qualification: dict[int, list[int]] = {}
    for specialty_id, qualification_id in db.session.execute(
            select(Specialty.id, Specialty.qualification_id).order_by(Specialty.id)):
        by_qualification.setdefault(qualification_id, []).append(specialty_id)
    mine = select(Registration.id).where(Registration.practitioner_id == current_practitioner_id())
    registrations = dict(db.session.execute(
        select(Registration.id, Registration.qualification_id).where(Registration.id.in_(mine))).all())
    held: dict[int, list[int]] = {}
    for registration_id, specialty_id in db.session.execute(
            select(RegistrationSpecialty.registration_id, RegistrationSpecialty.specialty_id)
            .where(RegistrationSpecialty.registration_id.in_(mine))):
        held.setdefault(registration_id, []).append(specialty_id)
    return {"mode": mode, "qualification_specialties": by_qualification,
            "registration_qualification": registrations, "registration_specialties": held}


def register(app) -> None:
    app.jinja_env.globals["specialty_choices"] = specialty_choices

"""Which fields the applicant fills in for each application type (domain.md section 4): the
one declaration behind the per-type forms (app/applications/views.py) and behind what a
return notice may point at (app/applications/return_answers.py)."""
from __future__ import annotations

from ..enums import ApplicationType

APPLICATION_FORMS: dict[ApplicationType, list[str]] = {
    ApplicationType.initial: ["qualification", "specialties", "enterprise", "continuing_education"],
    ApplicationType.change: ["registration", "enterprise", "change_reason"],
    ApplicationType.renewal: ["registration", "specialties", "continuing_education"],
    ApplicationType.add_specialty: ["registration", "specialties"],
    ApplicationType.cancellation: ["registration", "cancellation_reason"],
    ApplicationType.re_registration: ["qualification", "specialties", "enterprise",
                                      "continuing_education"],
    ApplicationType.correction: ["correction_field", "correction_value", "correction_file",
                                 "correction_reason"],
}

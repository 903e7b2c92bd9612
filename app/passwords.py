"""Password rules: at least 8 characters with three of the four character classes (MLPS 2.0
level 3), and none of the passwords that attackers try first."""
from __future__ import annotations

import re

from flask_babel import gettext as _
from wtforms.validators import ValidationError

MIN_LENGTH = 8
CLASSES = (r"[a-z]", r"[A-Z]", r"[0-9]", r"[^a-zA-Z0-9]")
COMMON = {
    "password", "password1", "passw0rd", "p@ssw0rd", "p@ssword", "12345678", "123456789",
    "1234567890", "qwerty123", "qwertyuiop", "1qaz2wsx", "1q2w3e4r", "abc12345", "abcd1234",
    "a1234567", "admin123", "admin@123", "iloveyou", "11111111", "88888888", "woaini1314",
    "zxcvbnm123", "aa123456", "qq123456", "Aa123456", "Aa123456!", "Abc@1234", "Admin@123",
    "Passw0rd!", "P@ssw0rd", "Qwer1234", "Welcome1", "Welcome@1",
}


def problems(password: str, *, personal: tuple[str, ...] = ()) -> list[str]:
    found = []
    if len(password) < MIN_LENGTH:
        found.append(_("at least %(n)s characters", n=MIN_LENGTH))
    if sum(bool(re.search(c, password)) for c in CLASSES) < 3:
        found.append(_("three of: lower-case letters, capitals, digits, symbols"))
    if password in COMMON or password.lower() in {c.lower() for c in COMMON}:
        found.append(_("not a commonly used password"))
    if any(p and p.lower() in password.lower() for p in personal):
        found.append(_("not containing your ID number or phone number"))
    return found


class StrongPassword:
    """WTForms validator; `personal` names other fields whose values may not appear in it."""

    def __init__(self, *personal_fields: str):
        self.personal_fields = personal_fields

    def __call__(self, form, field):
        personal = tuple(str(form[name].data or "") for name in self.personal_fields)
        found = problems(field.data or "", personal=personal)
        if found:
            raise ValidationError(_("The password needs: %(p)s.", p="；".join(found)))

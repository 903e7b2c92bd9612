"""The two national identity numbers: resident ID (GB 11643-1999) and unified social credit
code (GB 32100-2015). Pure functions raising IdentityError with a Chinese message, plus
WTForms validators that name the field; forms and the API both use these."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from wtforms.validators import ValidationError

from .dates import province_today

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ID_SHAPE = re.compile(r"^\d{17}[\dX]$")


class IdentityError(ValueError):
    """Bad identity number; str(error) is the Chinese message shown to the user."""


@dataclass(frozen=True)
class ResidentId:
    number: str
    birth_date: dt.date
    sex: str  # "male" / "female"


def resident_id_check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11]


def parse_resident_id(value: str, today: dt.date | None = None) -> ResidentId:
    """Normalise (trim, upper-case x) and validate; return the number with birth date and sex."""
    number = (value or "").strip().upper()
    if len(number) != 18:
        raise IdentityError(f"身份证号码应为18位，当前为{len(number)}位")
    if not _ID_SHAPE.match(number):
        raise IdentityError("身份证号码前17位必须是数字，最后一位是数字或X")
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise IdentityError("身份证号码中的出生日期不是有效日期") from None
    today = today or province_today()
    if birth >= today or birth.year < 1900:
        raise IdentityError("身份证号码中的出生日期不合理")
    if resident_id_check_char(number[:17]) != number[17]:
        raise IdentityError("身份证号码校验位错误，请核对后重新输入")
    sex = "male" if int(number[16]) % 2 else "female"
    return ResidentId(number, birth, sex)


def credit_code_check_char(first17: str) -> str:
    total = sum(CREDIT_ALPHABET.index(c) * w for c, w in zip(first17, CREDIT_WEIGHTS, strict=True))
    return CREDIT_ALPHABET[(31 - total % 31) % 31]


def parse_credit_code(value: str) -> str:
    """Normalise (trim, upper-case) and validate a unified social credit code."""
    code = (value or "").strip().upper()
    if len(code) != 18:
        raise IdentityError(f"统一社会信用代码应为18位，当前为{len(code)}位")
    bad = sorted({c for c in code if c not in CREDIT_ALPHABET})
    if bad:
        raise IdentityError(
            "统一社会信用代码含有不允许的字符：" + "、".join(bad) + "（不使用I、O、S、V、Z）"
        )
    # GB 32100 §4: positions 3-8 are the registering authority's administrative-division
    # code (GB/T 2260), digits only. The registration-authority code (position 1) is not
    # restricted to python-stdnum's list: A, N and Y are in use.
    if not code[2:8].isdigit():
        raise IdentityError("统一社会信用代码第3至8位是登记管理机关的行政区划码，只能是数字")
    if credit_code_check_char(code[:17]) != code[17]:
        raise IdentityError("统一社会信用代码校验位错误，请核对后重新输入")
    return code


def mask_id_number(number: str) -> str:
    """440106********1234: what the public may see of an ID number."""
    return number[:6] + "*" * 8 + number[14:] if len(number) == 18 else "*" * len(number)


class _FieldValidator:
    """WTForms adapter: the message names the field, and the normalised value is kept."""

    parse = staticmethod(lambda value: value)

    def __call__(self, form, field):
        if not field.data:
            return
        try:
            result = self.parse(field.data)
        except IdentityError as exc:
            raise ValidationError(f"{field.label.text}：{exc}") from None
        field.data = getattr(result, "number", result)


class ResidentIdValidator(_FieldValidator):
    parse = staticmethod(parse_resident_id)


class CreditCodeValidator(_FieldValidator):
    parse = staticmethod(parse_credit_code)


def marshmallow_validator(parse):
    """The same rule for the REST API (marshmallow schemas FAB builds)."""
    from marshmallow import ValidationError as SchemaError

    def validate(value):
        try:
            parse(value)
        except IdentityError as exc:
            raise SchemaError(str(exc)) from None

    return validate

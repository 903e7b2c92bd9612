"""Masking of personal data before a question and its answer become a public FAQ entry.

Two passes: first what the registry knows about the asker (their real name, ID number,
phone, e-mail, registration and certificate numbers, their enterprise's name and credit
code), replaced wherever it appears; then patterns that catch the same kinds of data about
anyone else (ID numbers, mobile and landline numbers, e-mail addresses, registration and
certificate numbers, credit codes, company names). The result is a proposal: staff read
and edit it before publishing, so over-masking is preferred to a leak."""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select

from ..extensions import db
from ..models import Application, Consultation, EnterpriseUser, Practitioner

NAME = "某某"
ENTERPRISE = "某公司"
ID_NUMBER = "[身份证号]"
PHONE = "[电话]"
EMAIL = "[邮箱]"
NUMBER = "[编号]"
CREDIT_CODE = "[信用代码]"

_CREDIT_CHAR = "0-9A-HJ-NPQRTUWXY"  # GB 32100: no I, O, S, V, Z
PATTERNS: list[tuple[re.Pattern, str]] = [
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), EMAIL),
    # Credit codes before ID numbers: an all-digit credit code also looks like an ID number.
    (re.compile(rf"(?<![0-9A-Za-z])[{_CREDIT_CHAR}]{{2}}\d{{6}}[{_CREDIT_CHAR}]{{10}}"
                r"(?![0-9A-Za-z])"), CREDIT_CODE),
    (re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])"), ID_NUMBER),
    (re.compile(r"(?<![0-9A-Za-z])\d{15}(?![0-9A-Za-z])"), ID_NUMBER),  # first-generation IDs
    (re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)"), PHONE),
    # Landlines with their area code: (020)12345678, 020-12345678, 0755 8888 8888, 02012345678.
    (re.compile(r"(?<!\d)(?:\(0\d{2,3}\)|（0\d{2,3}）|0\d{2,3}[- ]?)\d{3,4}[- ]?\d{4}"
                r"(?:-\d{1,6})?(?!\d)"), PHONE),
    # Registration numbers start with the province's abbreviation (粤24420192020…).
    (re.compile(r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼]"
                r"\d[0-9A-Za-z]{5,}"), NUMBER),
    # Certificate and 资质 numbers: letters then at least six digits (JZ2019000123, D144012345).
    (re.compile(r"(?<![0-9A-Za-z])[A-Za-z]{1,4}\d{6,}[0-9A-Za-z]*"), NUMBER),
    # Any other long run of digits is a number of some kind (a bank card, an old ID).
    (re.compile(r"\d{9,}"), NUMBER),
    # Company names: a run of characters that are not common particles, ending in a legal form.
    (re.compile(r"[^\s，。,.;；:：!！?？、()（）\[\]【】“”\"'我你您他她在是的了向从到和与及请问某]{2,30}"
                r"(?:有限责任公司|股份有限公司|有限公司|集团|事务所|设计院|研究院)"), ENTERPRISE),
]


@dataclass
class Known:
    """What the registry knows about the people a consultation concerns."""

    names: set[str] = field(default_factory=set)
    enterprises: set[str] = field(default_factory=set)
    numbers: dict[str, str] = field(default_factory=dict)  # value -> its mask (ID, phone…)

    def add(self, mask_: str, *values) -> None:
        self.numbers.update((v, mask_) for v in values if v)

    def replacements(self) -> list[tuple[str, str]]:
        pairs = [(v, NAME) for v in self.names] + [(v, ENTERPRISE) for v in self.enterprises] \
            + list(self.numbers.items())
        # Longest first, so a name inside an enterprise's name does not break it up.
        return sorted(((v.strip(), mask) for v, mask in pairs if v and len(v.strip()) >= 2),
                      key=lambda pair: -len(pair[0]))


def mask(text: str | None, known: Known | None = None) -> str:
    """`text` with the personal data in `known` and any data matching PATTERNS masked."""
    result = text or ""
    for value, replacement in (known or Known()).replacements():
        result = re.sub(re.escape(value), replacement, result, flags=re.IGNORECASE)
    for pattern, replacement in PATTERNS:
        result = pattern.sub(replacement, result)
    return result


def _person(known: Known, person: Practitioner | None) -> None:
    if person is None:
        return
    known.names.add(person.real_name)
    known.add(ID_NUMBER, person.id_number)
    known.add(PHONE, person.phone)
    known.add(EMAIL, person.email)
    known.add(NUMBER, *(r.number for r in person.registrations),
              *(c.certificate_number for c in person.certificates))
    for employment in person.employments:
        _enterprise(known, employment.enterprise)


def _enterprise(known: Known, enterprise) -> None:
    if enterprise is None:
        return
    known.enterprises.add(enterprise.name)
    known.names.add(enterprise.legal_representative)
    known.add(CREDIT_CODE, enterprise.credit_code)
    known.add(NUMBER, enterprise.aptitude_certificate_no)


def known_about(consultation: Consultation) -> Known:
    """The asker (as practitioner or enterprise staff), and the application it is about."""
    known = Known()
    asker = consultation.asker
    if asker is not None:
        known.names.update(_names_of(asker))
        # Practitioners log in with their ID number; other accounts' names are masked too.
        is_id = re.fullmatch(r"\d{17}[\dXx]", asker.username or "") is not None
        known.add(ID_NUMBER if is_id else NAME, asker.username)
        known.add(EMAIL, asker.email)
    _person(known, db.session.scalar(
        select(Practitioner).where(Practitioner.user_id == consultation.asker_id)))
    for link in db.session.scalars(
            select(EnterpriseUser).where(EnterpriseUser.user_id == consultation.asker_id)):
        _enterprise(known, link.enterprise)
    application: Application | None = consultation.application
    if application is not None:
        _person(known, application.practitioner)
        _enterprise(known, application.enterprise)
    return known


def _names_of(user) -> Iterable[str]:
    full = f"{user.first_name or ''}{user.last_name or ''}".strip()
    return {v for v in (full, user.first_name, user.last_name) if v}


def anonymised(consultation: Consultation) -> tuple[str, str]:
    """The proposed public question and answer for `consultation`."""
    known = known_about(consultation)
    question = consultation.question
    if consultation.subject and consultation.subject not in (question or ""):
        question = f"{consultation.subject}\n{question or ''}"
    return mask(question, known), mask(consultation.answer, known)

"""Export of the registration register (注册登记簿) to CSV and Excel, for the authority.

The rows are those of the list page with its current search filters; they are read in one
streamed query (the register can hold 100 000 rows) and written as they arrive. Every text
cell is neutralised against formula injection: a spreadsheet would run `=HYPERLINK(…)`,
`+cmd|…` or `@SUM(…)` typed into a name or company field as a formula (CSV/DDE injection)."""
from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import logging
import tempfile
from collections.abc import Iterable, Iterator

import openpyxl
from flask import Response, has_request_context, request, send_file, stream_with_context, url_for
from flask_appbuilder.widgets import ListWidget
from flask_babel import get_translations, gettext
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter
from sqlalchemy import Select, select

from ..audit import record
from ..dates import province_today
from ..downloads import attachment
from ..enums import N_, RegistrationStatus
from ..extensions import db
from ..models import (
    Enterprise,
    Practitioner,
    QualificationType,
    Registration,
    RegistrationSpecialty,
    Specialty,
)
from ..scoping import acting_user

log = logging.getLogger(__name__)

# (header msgid, width of the Excel column in characters)
COLUMNS = [
    (N_("Registration number"), 22),
    (N_("Real name"), 10),
    (N_("ID number"), 21),
    (N_("Qualification"), 18),
    (N_("Specialties and expiry dates"), 44),
    (N_("Employer"), 32),
    (N_("Unified social credit code"), 21),
    (N_("Registration status"), 10),
    (N_("First registered on"), 12),
]
# A spreadsheet treats a cell starting with one of these as a formula (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROWS_PER_FETCH = 2000
CSV_ROWS_PER_CHUNK = 1000


def is_formula_like(text: str) -> bool:
    return text.startswith(FORMULA_STARTS)


def neutralised(text: str) -> str:
    """The CSV form of a text cell: a leading apostrophe makes a spreadsheet show it as text."""
    return "'" + text if is_formula_like(text) else text


# ---------------------------------------------------------------- the rows
def register_query(registration_ids) -> Select:
    """One row per registration and specialty, in registration order; `registration_ids`
    is the list page's filtered query of Registration.id."""
    return (
        select(Registration.id, Registration.number, Practitioner.real_name,
               Practitioner.id_number, QualificationType.name.label("qualification"),
               Specialty.name.label("specialty"), RegistrationSpecialty.expires_on,
               Enterprise.name.label("enterprise"), Enterprise.credit_code, Registration.status,
               Registration.first_registered_on)
        .join(Practitioner, Practitioner.id == Registration.practitioner_id)
        .join(QualificationType, QualificationType.id == Registration.qualification_id)
        .join(Enterprise, Enterprise.id == Registration.enterprise_id)
        .outerjoin(RegistrationSpecialty, RegistrationSpecialty.registration_id == Registration.id)
        .outerjoin(Specialty, Specialty.id == RegistrationSpecialty.specialty_id)
        .where(Registration.id.in_(registration_ids.scalar_subquery()))
        .order_by(Registration.id, RegistrationSpecialty.specialty_id)
    )


# The specialties cell: "建筑工程至2028-05-01；市政公用工程至2027-01-02"; a qualification
# without specialties has one period with no name.
SPECIALTY_UNTIL = N_("%(specialty)s until %(date)s")
UNTIL = N_("until %(date)s")
SPECIALTY_SEPARATOR = N_("; ")


class Words:
    """The export's translated words, looked up once: flask_babel resolves the locale and
    catalogue on every call, which at 100 000 rows took most of the export's time."""

    def __init__(self):
        translate = get_translations().ugettext
        self.specialty_until = translate(SPECIALTY_UNTIL)
        self.until = translate(UNTIL)
        self.separator = translate(SPECIALTY_SEPARATOR)
        self.status = {status: translate(status.value) for status in RegistrationStatus}

    def specialties(self, periods: Iterable[tuple[str | None, dt.date | None]]) -> str:
        parts = []
        for name, expires_on in periods:
            if expires_on is None:
                continue  # a registration without any specialty row (none are created so)
            if name is None:
                parts.append(self.until % {"date": expires_on.isoformat()})
            else:
                parts.append(self.specialty_until % {"specialty": name,
                                                     "date": expires_on.isoformat()})
        return self.separator.join(parts)


def specialties_text(periods) -> str:
    """A registration's specialties with their expiry, as the export writes them (for the
    registration pages)."""
    return Words().specialties((p.specialty.name if p.specialty else None, p.expires_on)
                               for p in periods)


def register_rows(registration_ids) -> Iterator[list]:
    """The export's rows as Python values (dates stay dates), streamed from the database.
    The query runs when the first row is asked for: Flask generates a streamed response
    after the request's teardown has closed its database session, so the rows must be
    read in the session of the generator's own context."""
    words = Words()
    result = db.session.execute(
        register_query(registration_ids).execution_options(yield_per=ROWS_PER_FETCH))
    count = 0
    for _id, group in itertools.groupby(result, key=lambda row: row.id):
        rows = list(group)
        first = rows[0]
        count += 1
        yield [first.number, first.real_name, first.id_number, first.qualification,
               words.specialties((r.specialty, r.expires_on) for r in rows),
               first.enterprise, first.credit_code, words.status[first.status],
               first.first_registered_on]
    # Who took how much personal data out of the register: written once the last row is
    # out, in this generator's own session (see above).
    user = acting_user()
    log.info("register export by %s: %s registrations", user and user.username, count)
    record("register_export", object_type="Registration", actor=user, commit=True,
           detail={"rows": count, "filters": export_filters()})


def check_filters(registration_ids) -> None:
    """Run the filtered query once before a streamed response starts, so that a failing
    filter answers with an error page, not with a CSV cut short after its header."""
    db.session.execute(select(Registration.id).where(
        Registration.id.in_(registration_ids.scalar_subquery())).limit(1))


def headers() -> list[str]:
    return [gettext(msgid) for msgid, _width in COLUMNS]


# ---------------------------------------------------------------- CSV
def csv_chunks(rows: Iterable[list]) -> Iterator[bytes]:
    """UTF-8 with BOM (Chinese Excel reads a CSV without it as GBK), CRLF line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(headers())
    rows = iter(rows)
    while True:
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
        batch = list(itertools.islice(rows, CSV_ROWS_PER_CHUNK))
        if not batch:
            return
        writer.writerows([_csv_cell(value) for value in row] for row in batch)


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return neutralised(str(value))


# ---------------------------------------------------------------- Excel
def write_xlsx(rows: Iterable[list], target) -> None:
    """A workbook written row by row (openpyxl's write-only mode keeps memory flat)."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(gettext("Registration register"))
    for index, (_msgid, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.append(headers())
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value) for value in row])
    workbook.save(target)


def _xlsx_cell(sheet, value):
    if isinstance(value, str) and is_formula_like(value):
        # openpyxl stores any str starting with "=" as a formula; force a plain string, and
        # quotePrefix keeps Excel from turning it into one when the cell is edited.
        cell = WriteOnlyCell(sheet, value)
        cell.data_type = "s"
        cell.quotePrefix = True
        return cell
    return value


# ---------------------------------------------------------------- responses
def _disposition(extension: str) -> str:
    """An attachment named after the register and today's date, with an ASCII fallback."""
    today = province_today().isoformat()
    return attachment(f"{gettext('Registration register')}-{today}.{extension}",
                      f"registration-register-{today}.{extension}")


def csv_response(registration_ids) -> Response:
    # Streamed: the first bytes leave while the database is still being read.
    check_filters(registration_ids)
    chunks = csv_chunks(register_rows(registration_ids))
    return Response(stream_with_context(chunks), mimetype="text/csv",
                    headers={"Content-Disposition": _disposition("csv")})


def xlsx_response(registration_ids) -> Response:
    # A workbook is a zip file and must be complete before it is sent; it spills to disk
    # beyond a few megabytes.
    target = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    write_xlsx(register_rows(registration_ids), target)
    size = target.tell()
    target.seek(0)
    response = send_file(target, mimetype=XLSX_MIMETYPE)
    response.content_length = size
    response.headers["Content-Disposition"] = _disposition("xlsx")
    return response


# ---------------------------------------------------------------- the buttons on the list
def export_filters() -> dict[str, list[str]]:
    """The list page's current search filters (FAB's _flt_ arguments)."""
    if not has_request_context():
        return {}
    return {key: request.args.getlist(key) for key in request.args if key.startswith("_flt_")}


def export_url(endpoint: str) -> str:
    """The export route with the list page's current filters."""
    return url_for(endpoint, **export_filters())


class RegisterListWidget(ListWidget):
    """FAB's list widget with export buttons that carry the current search filters."""

    template = "register_list_widget.html"

    def __init__(self, **kwargs):
        view = kwargs["modelview_name"]
        kwargs["export_csv_url"] = export_url(f"{view}.export_csv")
        kwargs["export_xlsx_url"] = export_url(f"{view}.export_xlsx")
        super().__init__(**kwargs)

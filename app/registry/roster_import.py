"""The authority's import of the qualification roster (资格证书名单) from CSV or a workbook
(.xlsx, .xls, .ods: app/registry/workbook_reader.py).

Two steps, the same for the web page and `flask roster import`:

1. validate_roster(data, filename) reads the file and checks every row against the rules and
   the database, without writing anything, and returns a RosterReport: counts, the rows to
   insert, and the first errors, each with the row number the user sees in the file (header =
   row 1), the column and a message in the user's language (Chinese by default).
2. apply_roster(report) inserts the new rows in one transaction (bulk Core inserts in
   batches), or nothing at all when any row has an error.

A certificate number already on file with identical data is "unchanged", so importing the
same file twice changes nothing; on file with different data it is an error. The database is
queried in chunks keyed by the file's own certificate and ID numbers, never once per row."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePath

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..dates import province_today
from ..enums import N_, CertificateSource, VerificationStatus
from ..extensions import db
from ..identity import IdentityError, parse_resident_id
from ..models import Practitioner, QualificationCertificate, QualificationType
from .workbook_reader import WorkbookError, read_first_sheet, workbook_kind

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
PREVIEW_ROWS = 20
MAX_ERRORS = 500
BATCH_SIZE = 5000
LOOKUP_CHUNK = 900  # bound parameters per IN (...) query, below every backend's limit
VALIDATE_PROGRESS_EVERY = 10000

Progress = Callable[[str, int, int], None]  # (stage "validate" / "insert", done, total)


@dataclass(frozen=True)
class Column:
    key: str  # attribute of QualificationCertificate, and the English header alias
    header: str  # the Chinese header in the file and the template
    label: str  # English message id of the column's name (translated when shown)
    required: bool
    max_length: int | None
    example: str
    rule: str  # English message id explaining what the column holds


COLUMNS = (
    Column("real_name", "姓名", N_("Real name"), True, 64, "张三",
           N_("The holder's name as on the ID card.")),
    Column("id_number", "身份证号码", N_("ID number"), True, None, "110105198001010016",
           N_("18-character resident ID number; the check character is verified.")),
    Column("qualification", "执业资格", N_("Qualification"), True, None, "二级注册建造师",
           N_("The qualification's name or code, e.g. 二级注册建造师 or constructor.")),
    Column("specialty", "专业", N_("Specialty"), False, None, "建筑工程",
           N_("A specialty of that qualification; empty only when it has no specialties.")),
    Column("certificate_number", "证书编号", N_("Certificate number"), True, 40, "JZ20210001",
           N_("At most 40 characters, unique in the file.")),
    Column("issue_date", "签发日期", N_("Issue date"), True, None, "2021-06-01",
           N_("A date such as 2021-06-01 or 2021/6/1 (or an Excel date cell), not in the future.")),
)
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}


def column_label(key: str) -> str:
    """The column's name in the user's language (身份证号码 in Chinese)."""
    return _(COLUMN_BY_KEY[key].label)

# Fields compared with a certificate already on file.
COMPARED = ("real_name", "id_number", "qualification_id", "specialty_id", "issue_date")
COMPARED_COLUMN = {"qualification_id": "qualification", "specialty_id": "specialty"}

ALLOWED_SUFFIXES = (".csv", ".xlsx", ".xls", ".ods")
# How an upload waiting for confirmation is stored. The .xlsx type is longer than the 64
# characters of StoredFile.content_type, hence the generic Excel one; the content decides the
# format when the file is read again anyway (file_kind).
CONTENT_TYPES = {"csv": "text/csv", "xlsx": "application/vnd.ms-excel",
                 "xls": "application/vnd.ms-excel",
                 "ods": "application/vnd.oasis.opendocument.spreadsheet"}

_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
                   r"(?:[ T]0{1,2}:00(?::00(?:\.0+)?)?)?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


class RosterFileError(ValueError):
    """The file as a whole cannot be imported; str(error) is the translated message."""


class RosterImportError(RuntimeError):
    """Applying a report failed; nothing was imported. str(error) is the translated message."""


@dataclass(frozen=True)
class RowError:
    row: int  # as the user sees it in the file: the header is row 1
    column: str  # the column's name in the user's language
    message: str


@dataclass
class RosterReport:
    filename: str = ""
    total: int = 0  # data rows read (blank rows are skipped)
    new: int = 0  # valid rows whose certificate number is not on file
    unchanged: int = 0  # rows identical to a certificate already on file
    invalid: int = 0  # rows with at least one error
    error_count: int = 0  # errors found, of which the first max_errors are kept
    errors: list[RowError] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)  # qualification_certificate rows to insert
    preview: list[dict] = field(default_factory=list)  # the first rows to insert, for display
    linked: int = 0  # new rows linked to a practitioner already in the registry
    imported: int = 0  # set by apply_roster

    @property
    def ok(self) -> bool:
        return self.invalid == 0


# ---------------------------------------------------------------- reading the file
def file_kind(filename: str, data: bytes) -> str:
    """"csv", "xlsx", "xls" or "ods": the name must be one of these, and a workbook's content
    decides its format (an .xlsx renamed .xls is read as .xlsx)."""
    suffix = PurePath(filename or "").suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise RosterFileError(_("Only .csv, .xlsx, .xls and .ods files can be imported."))
    kind = workbook_kind(filename, data)
    if kind is not None:
        return kind
    if suffix != ".csv":
        raise RosterFileError(_(
            "The file is not a readable %(suffix)s workbook (it is damaged, or another kind of "
            "file under that name); open it in Excel or WPS and save it again, or save it as "
            "CSV UTF-8.", suffix=suffix))
    return "csv"


def decode_text(data: bytes) -> str:
    """UTF-8 with or without BOM, else GB18030 (which includes GBK and GB2312)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise RosterFileError(
            _("The file is neither UTF-8 nor GB18030 (GBK) text; save it as CSV UTF-8.")) from None


def _csv_rows(data: bytes) -> Iterator[list]:
    text = decode_text(data)
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", "\t", ";"), key=first_line.count)
    yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


def _workbook_rows(data: bytes, kind: str) -> Iterator[list]:
    try:
        yield from read_first_sheet(data, kind)
    except WorkbookError as error:
        raise RosterFileError(str(error)) from None


def _header_key(value) -> str:
    return re.sub(r"[\s*＊]", "", str(value or "")).lstrip("\ufeff").lower()


HEADER_ALIASES = {**{c.header: c.key for c in COLUMNS}, **{c.key: c.key for c in COLUMNS}}


def read_table(data: bytes, filename: str) -> tuple[dict[str, int], Iterator[tuple[int, list]]]:
    """The column positions and an iterator of (row number, cells) for the non-blank data rows."""
    if not data:
        raise RosterFileError(_("The roster file is empty."))
    kind = file_kind(filename, data)
    rows = _csv_rows(data) if kind == "csv" else _workbook_rows(data, kind)
    header = next(rows, None)
    if header is None or not any(_header_key(v) for v in header):
        raise RosterFileError(_("The first row must name the columns: %(expected)s.",
                                expected="、".join(c.header for c in COLUMNS)))
    positions: dict[str, int] = {}
    for index, value in enumerate(header):
        key = HEADER_ALIASES.get(_header_key(value))
        if key is None:
            continue  # extra columns are ignored
        if key in positions:
            raise RosterFileError(_("The column %(column)s appears twice in the first row.",
                                    column=COLUMN_BY_KEY[key].header))
        positions[key] = index
    missing = [c.header for c in COLUMNS if c.required and c.key not in positions]
    if missing:
        raise RosterFileError(_(
            "Required columns are missing: %(missing)s. The first row must name the columns: "
            "%(expected)s (or real_name, id_number, qualification, specialty, "
            "certificate_number, issue_date).",
            missing="、".join(missing), expected="、".join(c.header for c in COLUMNS)))

    def data_rows():
        for number, cells in enumerate(rows, start=2):
            if any(cell is not None and str(cell).strip() for cell in cells):
                yield number, list(cells)

    return positions, data_rows()


# ---------------------------------------------------------------- checking the values
def _text(value) -> str:
    """A cell as text: integral numbers without ".0", everything trimmed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.strftime("%Y-%m-%d")
    return str(value).strip()


def parse_issue_date(value) -> dt.date | None:
    """A date from an Excel date cell or text such as 2021-06-01, 2021/6/1, 2021年6月1日."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    match = _DATE.match(text) or _COMPACT_DATE.match(text)
    if not match:
        return None
    try:
        return dt.date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


class _Catalogue:
    """Qualifications and specialties, loaded once."""

    def __init__(self, session):
        self.by_key: dict[str, QualificationType] = {}
        self.specialties: dict[int, dict[str, tuple[int, str]]] = {}
        self.specialty_names: dict[int, dict[int, str]] = {}
        self.owners: dict[str, list[str]] = {}  # specialty name -> qualification names
        for q in session.scalars(select(QualificationType).order_by(QualificationType.id)):
            self.by_key[q.name] = q
            self.by_key[q.code.lower()] = q
            keys = self.specialties[q.id] = {}
            self.specialty_names[q.id] = {}
            for s in q.specialties:
                keys[s.name] = keys[s.code.lower()] = (s.id, s.name)
                self.specialty_names[q.id][s.id] = s.name
                self.owners.setdefault(s.name, []).append(q.name)

    def qualification(self, value: str) -> QualificationType | None:
        return self.by_key.get(value) or self.by_key.get(value.lower())

    def choices(self) -> str:
        return "、".join(q.name for key, q in self.by_key.items() if key == q.name)


class _RowChecker:
    def __init__(self, report: RosterReport, positions: dict[str, int], catalogue: _Catalogue,
                 today: dt.date, max_errors: int):
        self.report = report
        self.positions = positions
        self.catalogue = catalogue
        self.today = today
        self.max_errors = max_errors
        self.seen_numbers: dict[str, int] = {}
        self.errors_in_row = False

    def error(self, row: int, key: str, message: str) -> None:
        self.errors_in_row = True
        self.report.error_count += 1
        if len(self.report.errors) < self.max_errors:
            self.report.errors.append(RowError(row, column_label(key), message))

    def cell(self, cells: list, key: str):
        index = self.positions.get(key)
        return cells[index] if index is not None and index < len(cells) else None

    def check(self, row: int, cells: list) -> dict | None:
        """The row as qualification_certificate values, or None when it has errors."""
        self.errors_in_row = False
        values = {}
        for key in ("real_name", "certificate_number"):
            text = _text(self.cell(cells, key))
            column = COLUMN_BY_KEY[key]
            if not text:
                self.error(row, key, _("%(column)s must not be empty.", column=column_label(key)))
            elif len(text) > column.max_length:
                self.error(row, key, _("%(column)s is longer than %(n)s characters.",
                                       column=column_label(key), n=column.max_length))
            values[key] = text

        number = values["certificate_number"]
        if number:
            first = self.seen_numbers.setdefault(number, row)
            if first != row:
                self.error(row, "certificate_number", _(
                    "Certificate number %(number)s also appears in row %(row)s of the file.",
                    number=number, row=first))

        raw_id = self.cell(cells, "id_number")
        id_text = _text(raw_id)
        if not id_text:
            self.error(row, "id_number", _("%(column)s must not be empty.",
                                           column=column_label("id_number")))
        elif isinstance(raw_id, (int, float)) and not isinstance(raw_id, bool):
            # A number cell: Excel keeps 15 significant digits of the 18, so the digits seen
            # are not the ID any more; never guess them back.
            self.error(row, "id_number", _(
                "The ID number is stored as a number, which loses its last digits; format the "
                "column as text and enter the numbers again."))
        else:
            try:
                values["id_number"] = parse_resident_id(id_text, today=self.today).number
            except IdentityError as exc:
                self.error(row, "id_number", _("Invalid ID number: %(reason)s", reason=str(exc)))

        self._check_qualification(row, cells, values)

        raw_date = self.cell(cells, "issue_date")
        issue_date = parse_issue_date(raw_date)
        if raw_date is None or not _text(raw_date):
            self.error(row, "issue_date", _("%(column)s must not be empty.",
                                            column=column_label("issue_date")))
        elif issue_date is None:
            self.error(row, "issue_date", _(
                "“%(value)s” is not a date; write it as 2021-06-01 or 2021/6/1.",
                value=_text(raw_date)))
        elif issue_date > self.today:
            self.error(row, "issue_date", _("The issue date %(date)s is in the future.",
                                            date=issue_date.isoformat()))
        values["issue_date"] = issue_date
        return None if self.errors_in_row else values

    def _check_qualification(self, row: int, cells: list, values: dict) -> None:
        text = _text(self.cell(cells, "qualification"))
        specialty = _text(self.cell(cells, "specialty"))
        if not text:
            self.error(row, "qualification", _("%(column)s must not be empty.",
                                               column=column_label("qualification")))
            return
        qualification = self.catalogue.qualification(text)
        if qualification is None:
            self.error(row, "qualification", _(
                "Unknown qualification “%(value)s”; use one of: %(choices)s.",
                value=text, choices=self.catalogue.choices()))
            return
        values["qualification_id"] = qualification.id
        known = self.catalogue.specialties[qualification.id]
        names = "、".join(self.catalogue.specialty_names[qualification.id].values())
        if not specialty:
            if known:
                self.error(row, "specialty", _(
                    "%(qualification)s needs a specialty: %(choices)s.",
                    qualification=qualification.name, choices=names))
            values["specialty_id"] = None
        elif not known:
            self.error(row, "specialty", _(
                "%(qualification)s has no specialties; leave the specialty empty.",
                qualification=qualification.name))
        elif (specialty in known) or (specialty.lower() in known):
            values["specialty_id"] = (known.get(specialty) or known[specialty.lower()])[0]
        elif specialty in self.catalogue.owners:
            self.error(row, "specialty", _(
                "The specialty “%(value)s” belongs to %(other)s, not to %(qualification)s.",
                value=specialty, other="、".join(self.catalogue.owners[specialty]),
                qualification=qualification.name))
        else:
            self.error(row, "specialty", _(
                "Unknown specialty “%(value)s” of %(qualification)s; use one of: %(choices)s.",
                value=specialty, qualification=qualification.name, choices=names))


def _existing_certificates(session, numbers: list[str]) -> dict[str, tuple]:
    table = QualificationCertificate.__table__
    found = {}
    for chunk in _chunks(numbers, LOOKUP_CHUNK):
        query = select(table.c.certificate_number, *(table.c[name] for name in COMPARED)).where(
            table.c.certificate_number.in_(chunk))
        for number, *values in session.execute(query):
            found[number] = tuple(values)
    return found


def _practitioner_ids(session, id_numbers: list[str]) -> dict[str, int]:
    found = {}
    for chunk in _chunks(id_numbers, LOOKUP_CHUNK):
        query = select(Practitioner.id_number, Practitioner.id).where(
            Practitioner.id_number.in_(chunk))
        for id_number, practitioner_id in session.execute(query):
            found[id_number] = practitioner_id
    return found


def validate_roster(data: bytes, filename: str, *, session=None, today: dt.date | None = None,
                    progress: Progress | None = None, max_errors: int = MAX_ERRORS,
                    preview_rows: int = PREVIEW_ROWS) -> RosterReport:
    """Read and check the whole file against the rules and the database; write nothing.
    Raises RosterFileError when the file as a whole cannot be read."""
    session = session or db.session
    today = today or province_today()
    report = RosterReport(filename=filename)
    positions, rows = read_table(data, filename)
    catalogue = _Catalogue(session)
    checker = _RowChecker(report, positions, catalogue, today, max_errors)

    candidates: list[tuple[int, dict]] = []
    for row, cells in rows:
        report.total += 1
        values = checker.check(row, cells)
        if values is None:
            report.invalid += 1
        else:
            candidates.append((row, values))
        if progress and report.total % VALIDATE_PROGRESS_EVERY == 0:
            progress("validate", report.total, 0)
    if report.total == 0:
        raise RosterFileError(_("The file has a header row but no data rows."))
    if progress:
        progress("validate", report.total, report.total)

    existing = _existing_certificates(session, [v["certificate_number"] for _r, v in candidates])
    practitioners = _practitioner_ids(
        session, sorted({v["id_number"] for _r, v in candidates
                         if v["certificate_number"] not in existing}))
    for row, values in candidates:
        on_file = existing.get(values["certificate_number"])
        if on_file is not None:
            differing = [column_label(COMPARED_COLUMN.get(name, name))
                         for name, old in zip(COMPARED, on_file, strict=True)
                         if values[name] != old]
            if differing:
                checker.error(row, "certificate_number", _(
                    "Certificate number %(number)s is already on file with different data: "
                    "%(fields)s.", number=values["certificate_number"],
                    fields="、".join(differing)))
                report.invalid += 1
            else:
                report.unchanged += 1
            continue
        values["practitioner_id"] = practitioners.get(values["id_number"])
        report.linked += values["practitioner_id"] is not None
        values["source"] = CertificateSource.roster
        values["verification"] = VerificationStatus.verified
        report.rows.append(values)
        if len(report.preview) < preview_rows:
            report.preview.append(_preview(row, values, catalogue))
    report.new = len(report.rows)
    report.errors.sort(key=lambda e: e.row)
    return report


def _preview(row: int, values: dict, catalogue: _Catalogue) -> dict:
    qualification_id = values["qualification_id"]
    qualification = next(q for q in catalogue.by_key.values() if q.id == qualification_id)
    return {
        "row": row,
        "real_name": values["real_name"],
        "id_number": values["id_number"],
        "qualification": qualification.name,
        "specialty": catalogue.specialty_names[qualification_id].get(values["specialty_id"], ""),
        "certificate_number": values["certificate_number"],
        "issue_date": values["issue_date"].isoformat(),
        "linked": values["practitioner_id"] is not None,
    }


# ---------------------------------------------------------------- applying
def apply_roster(report: RosterReport, *, session=None, progress: Progress | None = None,
                 batch_size: int = BATCH_SIZE) -> int:
    """Insert the report's new rows in one transaction, in batches; all or nothing.
    Returns how many rows were inserted."""
    session = session or db.session
    if not report.ok:
        raise RosterImportError(_(
            "Nothing was imported: %(n)s rows have errors. Correct them and import the file again.",
            n=report.invalid))
    table = QualificationCertificate.__table__
    done = 0
    try:
        for batch in _chunks(report.rows, batch_size):
            session.execute(table.insert(), batch)
            done += len(batch)
            if progress:
                progress("insert", done, report.new)
        session.commit()
    except IntegrityError:
        session.rollback()
        raise RosterImportError(_(
            "The roster changed while the file was being imported, so nothing was imported. "
            "Check the file again and repeat the import.")) from None
    except BaseException:
        session.rollback()
        raise
    report.imported = done
    return done


def import_roster(data: bytes, filename: str, *, dry_run: bool = False,
                  progress: Progress | None = None, **options) -> RosterReport:
    """Validate, then (unless dry_run or any error) apply: what the CLI and the web use."""
    report = validate_roster(data, filename, progress=progress, **options)
    if report.ok and not dry_run:
        apply_roster(report, progress=progress)
    return report


def template_csv() -> bytes:
    """The header row of an importable CSV file (UTF-8 with BOM, so that Excel opens it)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([c.header for c in COLUMNS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def error_lines(report: RosterReport) -> Iterable[str]:
    """The error report as text lines, for the command line."""
    for error in report.errors:
        yield _("Row %(row)s, %(column)s: %(message)s", row=error.row, column=error.column or "—",
                message=error.message)
    if report.error_count > len(report.errors):
        yield _("… and %(n)s more errors.", n=report.error_count - len(report.errors))

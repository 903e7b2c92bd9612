"""The first sheet of an uploaded .xlsx, .xls or .ods workbook, read with python-calamine.

calamine (Rust) parses the XML itself and expands no DTD entities, so a "billion laughs"
sharedStrings.xml is refused at once. It does build each sheet as one dense table spanning
the cells it finds: a two-cell workbook with a cell at XFD1048576 asks for 549 GB, and Rust
aborts the whole process when such an allocation fails. So the workbook is read in a forked
child process with a limit on its address space and on the time between two batches of
rows: a hostile workbook ends the child, never the web worker, and the upload is refused with
a message. The parent receives the rows in batches and yields them as they come.

Cells come as calamine gives them (str, int, float, bool, datetime.date/datetime/time/timedelta;
an empty cell is ""), for the roster's checks to turn into the same text the CSV path has."""
from __future__ import annotations

import faulthandler
import io
import logging
import multiprocessing
import os
import resource
import tempfile
import zipfile
from collections.abc import Iterator
from itertools import islice
from pathlib import Path, PurePath

from flask_babel import gettext as _

WORKBOOK_KINDS = ("xlsx", "xls", "ods")
# Address space the child may use on top of what it inherits from the web worker; 100,000
# rows need about 60 MB. A limit reached ends the child (MemoryError, or Rust's abort).
MEMORY_BUDGET = 1024 * 1024 * 1024
# Seconds the parent waits for the next batch of rows before giving up on the child.
BATCH_TIMEOUT = 120
BATCH_ROWS = 5000
# What the parts of a zip workbook (.xlsx, .ods) may unpack to, by the sizes the zip declares:
# a 50 MB upload of repeated XML can unpack to many GB (a zip bomb). A 100,000-row .xlsx
# unpacks to about 40 MB. A part that understates its size still meets the child's limits.
MAX_UNPACKED_BYTES = 512 * 1024 * 1024

log = logging.getLogger(__name__)

_ZIP = b"PK\x03\x04"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the compound file of .xls (and of encrypted .xlsx)
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"


class WorkbookError(ValueError):
    """The workbook cannot be read; str(error) is the translated message."""


def workbook_kind(filename: str, data: bytes) -> str | None:
    """"xlsx", "xls" or "ods" when the content is a workbook (whatever the name says about
    the format, the content decides), None when it is not a zip or compound file at all."""
    suffix = PurePath(filename or "").suffix.lower().lstrip(".")
    if data.startswith(_OLE2):
        # An .xls, or an .xlsx/.ods that Excel encrypted with a password: the reader for the
        # name's format tells which (calamine reports the password for either).
        return suffix if suffix in ("xlsx", "ods") else "xls"
    if not data.startswith(_ZIP):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names and archive.read("mimetype").strip() == ODS_MIMETYPE:
                return "ods"
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, RuntimeError):
        return suffix if suffix in WORKBOOK_KINDS else "xlsx"
    if "content.xml" in names and "xl/workbook.xml" not in names:
        return "ods"
    return "xlsx"


def _unreadable(kind: str) -> WorkbookError:
    return WorkbookError(_(
        "The file is not a readable %(suffix)s workbook (it is damaged, or another kind of "
        "file under that name); open it in Excel or WPS and save it again, or save it as "
        "CSV UTF-8.", suffix=f".{kind}"))


def read_first_sheet(data: bytes, kind: str, *, memory_budget: int = MEMORY_BUDGET,
                     timeout: float = BATCH_TIMEOUT) -> Iterator[list]:
    """Every row of the first sheet from row 1 on, blank rows included, as lists of cells.
    Raises WorkbookError (when iterated) for a damaged, encrypted or oversized workbook."""
    if kind not in WORKBOOK_KINDS:
        raise ValueError(kind)
    if _unpacked_size(data) > MAX_UNPACKED_BYTES:
        log.warning("workbook refused: its zip parts unpack to %s bytes", _unpacked_size(data))
        raise _too_large()
    with tempfile.TemporaryDirectory(prefix="roster-") as folder:
        # calamine names the exact trouble (a password, say) only when it reads a file whose
        # extension gives the format; from bytes it only says "Cannot detect file format".
        path = Path(folder) / f"upload.{kind}"
        path.write_bytes(data)
        context = multiprocessing.get_context("fork")  # the child needs none of the app
        receiver, sender = context.Pipe(duplex=False)
        child = context.Process(target=_read_in_child, args=(str(path), sender, memory_budget),
                                name="roster-workbook", daemon=True)
        child.start()
        sender.close()
        try:
            while True:
                if not receiver.poll(timeout):
                    raise WorkbookError(_(
                        "Reading the workbook took too long; save it as CSV UTF-8 and import that."))
                try:
                    what, payload = receiver.recv()
                except EOFError:  # the child ended without a word: out of memory, or killed
                    child.join()
                    log.warning("workbook reader ended with exit code %s (memory limit %s MB)",
                                child.exitcode, memory_budget // 2**20)
                    raise _too_large() from None
                if what == "rows":
                    yield from payload
                elif what == "done":
                    return
                else:
                    raise _CHILD_ERRORS.get(payload, _unreadable)(kind)
        finally:
            receiver.close()
            if child.is_alive():
                child.kill()
            child.join()


def _unpacked_size(data: bytes) -> int:
    """The sum of the sizes a zip workbook declares for its parts; 0 for any other file."""
    if not data.startswith(_ZIP):
        return 0
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, RuntimeError):
        return 0  # a damaged zip: calamine's reading reports it


def _too_large(_kind: str = "") -> WorkbookError:
    return WorkbookError(_(
        "The workbook is too large to read: its first sheet has cells far outside the data "
        "(delete the empty rows and columns after the last row and column), or save it as CSV "
        "UTF-8 and import that."))


def _password(_kind: str) -> WorkbookError:
    return WorkbookError(_(
        "The workbook is protected with a password; save a copy without the password (in "
        "Excel: File → Info → Protect Workbook → Encrypt with Password, empty) and import that."))


def _no_sheet(_kind: str) -> WorkbookError:
    return WorkbookError(_("The workbook has no worksheet."))


_CHILD_ERRORS = {"password": _password, "memory": _too_large, "no sheet": _no_sheet}


def _read_in_child(path: str, sender, memory_budget: int) -> None:
    """Runs in the forked child: read the sheet under an address-space limit, send the rows."""
    os.environ["RUST_BACKTRACE"] = "0"  # an allocation refused: one line, not a backtrace
    faulthandler.disable()  # nor Python's traceback dump of the abort (pytest enables it)
    import python_calamine

    limit = _address_space() + memory_budget
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        with python_calamine.CalamineWorkbook.from_path(path) as workbook:
            if not workbook.sheet_names:
                sender.send(("error", "no sheet"))
                return
            rows = workbook.get_sheet_by_index(0).iter_rows()
            while batch := list(islice(rows, BATCH_ROWS)):
                sender.send(("rows", batch))
        sender.send(("done", None))
    except python_calamine.PasswordError:
        sender.send(("error", "password"))
    except MemoryError:
        sender.send(("error", "memory"))
    except Exception:  # noqa: BLE001 - any other failure of the parser: a damaged file
        sender.send(("error", "unreadable"))
    finally:
        sender.close()


def _address_space() -> int:
    """This process's current virtual memory size in bytes (Linux)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0

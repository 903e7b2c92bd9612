"""The roster from .xlsx, .xls and .ods workbooks (issue 15, point 4): real files written in the
test (tests/registry/workbook_samples.py), uploaded by the reviewer or given to `flask roster
import`; cells read the same as the CSV path; damaged, password-protected and hostile workbooks
refused with a Chinese message, the web worker unharmed and nothing written."""
from __future__ import annotations

import datetime as dt

import pytest

from app.registry import workbook_reader
from app.registry.roster_import import validate_roster
from tests.registry import workbook_samples as samples
from tests.registry.test_roster_import import (
    HEADER,
    ID_ZHANG,
    ROWS,
    assert_rows_imported,
    certificates,
    count_in,
    csv_bytes,
    error_table,
    file_id_in,
    snapshot,
    upload,
)

WRITERS = {"xlsx": samples.xlsx_bytes, "xls": samples.xls_bytes, "ods": samples.ods_bytes}


def workbook(kind: str, rows=ROWS) -> bytes:
    return WRITERS[kind](rows, HEADER)


def with_cells(rows):
    """ROWS with what a workbook has in place of text: date cells next to text dates, and a
    certificate number typed into a number cell."""
    rows = [list(r) for r in rows]
    rows[0][5], rows[2][5] = dt.date(2021, 6, 1), dt.date(2019, 12, 31)
    return rows


@pytest.mark.parametrize("kind", ["xls", "ods"])
def test_xls_and_ods_uploads_preview_and_import_every_row(app, login, kind):
    client = login("reviewer")
    before = certificates()
    data = workbook(kind, with_cells(ROWS))
    html = upload(client, data, f"名单.{kind}").get_data(as_text=True)
    assert (count_in(html, "total"), count_in(html, "new"), count_in(html, "invalid")) == (4, 4, 0)
    assert error_table(html) == [] and "2019-12-31" in html
    assert set(certificates()) == set(before)

    response = client.post("/roster/confirm", data={"file_id": file_id_in(html)})
    assert response.status_code == 302
    assert_rows_imported(before)


@pytest.mark.parametrize("kind", ["xlsx", "xls", "ods"])
def test_workbook_cells_give_what_the_csv_gives(app, kind):
    """Date cells become the same dates as the CSV's text, a number cell of a certificate
    number its digits without ".0", and the rows to insert are identical."""
    rows = with_cells(ROWS)
    rows[1][4] = 20210002
    text_rows = [list(r) for r in ROWS]
    text_rows[1][4] = "20210002"
    from_csv = validate_roster(csv_bytes(text_rows), "roster.csv")
    from_workbook = validate_roster(workbook(kind, rows), f"roster.{kind}")
    assert from_workbook.ok and from_csv.ok
    assert from_workbook.rows == from_csv.rows
    assert from_workbook.preview == from_csv.preview
    assert from_workbook.preview[1]["certificate_number"] == "20210002"


@pytest.mark.parametrize("kind", ["xlsx", "xls", "ods"])
def test_an_id_number_in_a_number_cell_is_refused_never_guessed(app, kind):
    rows = [list(r) for r in ROWS]
    rows[0][1] = float(ID_ZHANG)  # what a spreadsheet keeps of an ID typed as a number
    rows.insert(2, [None] * 6)  # a blank row keeps the row numbers of the rows below it
    report = validate_roster(workbook(kind, rows), f"roster.{kind}")
    assert [(e.row, e.column) for e in report.errors] == [(2, "身份证号码")]
    assert "存成了数字" in report.errors[0].message
    assert [p["row"] for p in report.preview] == [3, 5, 6]


REFUSED = {
    "password-protected .xlsx": (samples.encrypted_xlsx_bytes, "名单.xlsx", "设有打开密码"),
    "password-protected .xls": (lambda: samples.xls_bytes(ROWS, HEADER, password=True),
                                "名单.xls", "设有打开密码"),
    "password-protected .ods": (lambda: samples.ods_bytes(ROWS, HEADER, encrypted=True),
                                "名单.ods", "设有打开密码"),
    "truncated .xlsx": (lambda: workbook("xlsx")[:700], "名单.xlsx", "不是可读取的.xlsx工作簿"),
    "damaged .xls": (lambda: workbook("xls")[:1024] + b"\xff" * 4096, "名单.xls",
                     "不是可读取的.xls工作簿"),
    "truncated .ods": (lambda: workbook("ods")[:300], "名单.ods", "不是可读取的.ods工作簿"),
    "web page saved as .xls": (lambda: b"<html><table><tr><td>1</td></tr></table></html>",
                               "名单.xls", "不是可读取的.xls工作簿"),
    "billion laughs in sharedStrings.xml": (samples.billion_laughs_xlsx, "名单.xlsx",
                                            "不是可读取的.xlsx工作簿"),
    "cell at XFD1048576": (samples.far_cell_xlsx, "名单.xlsx", "工作簿过大，无法读取"),
}


@pytest.mark.parametrize("case", REFUSED, ids=list(REFUSED))
def test_damaged_protected_and_hostile_workbooks_are_refused_with_a_message(app, login, case):
    make, name, message = REFUSED[case]
    client = login("reviewer")
    before = snapshot()
    response = upload(client, make(), name, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and message in html, html[-3000:]
    assert snapshot() == before
    # The worker that read it still serves the next upload.
    html = upload(client, workbook("ods"), "名单.ods").get_data(as_text=True)
    assert count_in(html, "new") == 4


def test_a_zip_bomb_is_refused_before_it_is_unpacked(app, login, monkeypatch):
    """The limit is lowered to 1 MB so that the test's bomb is small; a 3 MB one is well
    formed and would otherwise be read (its header row then refused)."""
    monkeypatch.setattr(workbook_reader, "MAX_UNPACKED_BYTES", 1024 * 1024)
    bomb = samples.zip_bomb_xlsx(3 * 1024 * 1024)
    assert len(bomb) < 20_000
    client = login("reviewer")
    before = snapshot()
    html = upload(client, bomb, "名单.xlsx", follow_redirects=True).get_data(as_text=True)
    assert "工作簿过大，无法读取" in html, html[-2000:]
    assert snapshot() == before
    html = upload(client, samples.zip_bomb_xlsx(1000), "名单.xlsx",
                  follow_redirects=True).get_data(as_text=True)
    assert "工作簿过大" not in html and "第一行" in html, html[-2000:]


def test_a_workbook_that_takes_too_long_is_refused(app):
    """The parent stops waiting for the child (here at once) and ends it."""
    rows = workbook_reader.read_first_sheet(workbook("ods"), "ods", timeout=0)
    with pytest.raises(workbook_reader.WorkbookError, match="读取工作簿超时"):
        next(rows)


def test_command_line_reads_xls_and_ods_and_refuses_a_protected_one(app, tmp_path):
    runner = app.test_cli_runner()
    before = certificates()
    ods = tmp_path / "名单.ods"
    ods.write_bytes(workbook("ods", with_cells(ROWS)))
    result = runner.invoke(args=["roster", "import", str(ods), "--dry-run"])
    assert result.exit_code == 0 and "新增 4" in result.output, result.output

    locked = tmp_path / "名单.xls"
    locked.write_bytes(samples.xls_bytes(ROWS, HEADER, password=True))
    result = runner.invoke(args=["roster", "import", str(locked)])
    assert result.exit_code != 0 and "设有打开密码" in result.output
    assert set(certificates()) == set(before)

    xls = tmp_path / "roster.xls"
    xls.write_bytes(workbook("xls", with_cells(ROWS)))
    result = runner.invoke(args=["roster", "import", str(xls)])
    assert result.exit_code == 0, result.output
    assert_rows_imported(before)

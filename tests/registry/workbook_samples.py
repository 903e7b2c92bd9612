"""Real workbooks written by the tests: .xlsx with openpyxl, and, as no .ods or .xls writer is
installed, .ods (an ODF zip) and .xls (BIFF8 records in a compound file) written here byte by
byte after the specifications (OpenDocument 1.2 part 1; MS-XLS and MS-CFB), plus the hostile
and password-protected variants. Cells: str, int/float (number cells), datetime.date (date
cells), None (empty)."""
from __future__ import annotations

import datetime as dt
import io
import struct
import zipfile
from xml.sax.saxutils import escape

# ---------------------------------------------------------------- .xlsx
SPREADSHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"


def xlsx_bytes(rows, header) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def raw_xlsx(shared_strings: str, sheet_rows: str) -> bytes:
    """A minimal .xlsx written by hand, so that its sharedStrings.xml and sheet XML can be
    anything a hostile sender writes."""
    content_types = (
        '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
        'package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/></Types>')
    files = {
        "[Content_Types].xml": content_types,
        "_rels/.rels": f'<?xml version="1.0"?><Relationships xmlns="{PACKAGE_REL_NS}">'
                       f'<Relationship Id="rId1" Type="{REL_NS}/officeDocument" '
                       'Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<?xml version="1.0"?><workbook xmlns="{SPREADSHEET_NS}" '
                           f'xmlns:r="{REL_NS}"><sheets><sheet name="名单" sheetId="1" '
                           'r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": (
            f'<?xml version="1.0"?><Relationships xmlns="{PACKAGE_REL_NS}">'
            f'<Relationship Id="rId1" Type="{REL_NS}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{REL_NS}/sharedStrings" Target="sharedStrings.xml"/>'
            '</Relationships>'),
        "xl/worksheets/sheet1.xml": f'<?xml version="1.0"?><worksheet xmlns="{SPREADSHEET_NS}">'
                                    f'<sheetData>{sheet_rows}</sheetData></worksheet>',
        "xl/sharedStrings.xml": shared_strings,
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return out.getvalue()


def billion_laughs_xlsx(levels: int = 10) -> bytes:
    """sharedStrings.xml whose last string expands to 10**levels copies of "lol" (3 GB at 9
    levels) for an XML parser that expands DTD entities."""
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, levels))
    shared = (f'<?xml version="1.0"?><!DOCTYPE sst [{entities}]><sst xmlns="{SPREADSHEET_NS}" '
              f'count="2" uniqueCount="2"><si><t>姓名</t></si><si><t>&lol{levels - 1};</t></si>'
              '</sst>')
    rows = '<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>1</v></c></row>'
    return raw_xlsx(shared, rows)


def far_cell_xlsx() -> bytes:
    """Two cells, A1 and XFD1048576: a reader that builds the sheet as one dense table asks for
    17 billion cells."""
    shared = (f'<?xml version="1.0"?><sst xmlns="{SPREADSHEET_NS}" count="1" uniqueCount="1">'
              '<si><t>姓名</t></si></sst>')
    rows = ('<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
            '<row r="1048576"><c r="XFD1048576" t="s"><v>0</v></c></row>')
    return raw_xlsx(shared, rows)


def zip_bomb_xlsx(unpacked: int) -> bytes:
    """A valid .xlsx whose sheet XML is padded with whitespace to `unpacked` bytes: a few KB
    in the zip (deflate packs repeated bytes about 1000 to 1)."""
    shared = (f'<?xml version="1.0"?><sst xmlns="{SPREADSHEET_NS}" count="1" uniqueCount="1">'
              '<si><t>姓名</t></si></sst>')
    row = '<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
    return raw_xlsx(shared, row + " " * unpacked)


# ---------------------------------------------------------------- .ods
ODS_MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"
_ODS_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
           'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
           'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')
_MANIFEST_NS = 'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"'


def _ods_cell(value) -> str:
    if value is None or value == "":
        return "<table:table-cell/>"
    if isinstance(value, dt.date):
        return (f'<table:table-cell office:value-type="date" office:date-value="'
                f'{value.isoformat()}"><text:p>{value.isoformat()}</text:p></table:table-cell>')
    if isinstance(value, (int, float)):
        return (f'<table:table-cell office:value-type="float" office:value="{value!r}">'
                f'<text:p>{value!r}</text:p></table:table-cell>')
    return (f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}'
            '</text:p></table:table-cell>')


def ods_bytes(rows, header, *, encrypted: bool = False) -> bytes:
    """An OpenDocument spreadsheet as LibreOffice lays it out: "mimetype" first and stored,
    the manifest, content.xml with one table. encrypted=True marks content.xml as encrypted
    in the manifest, as a password-protected file has it."""
    body = "".join("<table:table-row>" + "".join(_ods_cell(v) for v in row) + "</table:table-row>"
                   for row in [header, *rows])
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_ODS_NS} '
               'office:version="1.2"><office:body><office:spreadsheet><table:table '
               f'table:name="名单">{body}</table:table></office:spreadsheet></office:body>'
               '</office:document-content>')
    encryption = ('<manifest:encryption-data manifest:checksum-type="SHA1/1K" '
                  'manifest:checksum="AAAA"><manifest:algorithm manifest:algorithm-name='
                  '"Blowfish CFB" manifest:initialisation-vector="AAAA"/>'
                  '</manifest:encryption-data>') if encrypted else ""
    manifest = (f'<?xml version="1.0" encoding="UTF-8"?><manifest:manifest {_MANIFEST_NS} '
                'manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
                f'manifest:media-type="{ODS_MIMETYPE}"/><manifest:file-entry '
                f'manifest:full-path="content.xml" manifest:media-type="text/xml">{encryption}'
                '</manifest:file-entry></manifest:manifest>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), ODS_MIMETYPE)  # stored, not deflated
        archive.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return out.getvalue()


# ---------------------------------------------------------------- .xls (BIFF8)
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_DATE_XF = 1  # the second XF record below: built-in number format 14 (m/d/yyyy), a date cell


def _record(kind: int, data: bytes = b"") -> bytes:
    assert len(data) <= 8224, "a BIFF8 record holds 8224 bytes; keep the samples small"
    return struct.pack("<HH", kind, len(data)) + data


def _bof(substream: int) -> bytes:  # 0x0005 workbook globals, 0x0010 worksheet
    return _record(0x0809, struct.pack("<HHHHII", 0x0600, substream, 0x0DBB, 1996, 0, 0x0006))


def _xf(number_format: int) -> bytes:
    return _record(0x00E0, struct.pack("<HHHBBBBIIH", 0, number_format, 0, 0x20, 0, 0, 0,
                                       0, 0, 0x20C0))


def xls_bytes(rows, header, *, password: bool = False) -> bytes:
    """An Excel 97-2003 workbook: the globals (XF records, the sheet's BoundSheet8, the shared
    strings) and one worksheet of LabelSst and Number cells, in the "Workbook" stream of a
    compound file. password=True adds the FilePass record an encrypted workbook carries."""
    strings: list[str] = []
    cells = b""
    table = [header, *rows]
    for r, row in enumerate(table):
        for c, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, dt.date):
                cells += _record(0x0203, struct.pack("<HHHd", r, c, _DATE_XF,
                                                     (value - _EXCEL_EPOCH).days))
            elif isinstance(value, (int, float)):
                cells += _record(0x0203, struct.pack("<HHHd", r, c, 0, float(value)))
            else:
                strings.append(str(value))
                cells += _record(0x00FD, struct.pack("<HHHI", r, c, 0, len(strings) - 1))
    sst = struct.pack("<II", len(strings), len(strings)) + b"".join(
        struct.pack("<HB", len(s), 1) + s.encode("utf-16-le") for s in strings)
    width = max(len(row) for row in table)
    sheet = (_bof(0x0010) + _record(0x0200, struct.pack("<IIHHH", 0, len(table), 0, width, 0))
             + cells + _record(0x000A))

    def globals_(sheet_offset: int) -> bytes:
        name = "名单".encode("utf-16-le")
        return (_bof(0x0005)
                + (_record(0x002F, struct.pack("<HHH", 1, 1, 1) + b"\0" * 48) if password else b"")
                + _record(0x0042, struct.pack("<H", 1200))  # CodePage: UTF-16
                + _xf(0) + _xf(14)
                + _record(0x0085, struct.pack("<IBBBB", sheet_offset, 0, 0, 2, 1) + name)
                + _record(0x00FC, sst) + _record(0x000A))

    head = globals_(0)
    stream = globals_(len(head)) + sheet
    return compound_file({"Workbook": stream})


# ---------------------------------------------------------------- compound file (MS-CFB v3)
_FREE, _END, _FAT_SECTOR, _NO_STREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
_SECTOR = 512


def compound_file(streams: dict[str, bytes]) -> bytes:
    """A version 3 compound file: sector 0 the FAT, sector 1 the directory, then each stream
    in consecutive sectors. Streams are padded to 4096 bytes so that none goes into the mini
    stream (readers stop at the end record of their data)."""
    assert len(streams) <= 3
    fat = [_FAT_SECTOR, _END]
    entries = [_directory_entry("Root Entry", 5, _END, 0, child=1 if streams else _NO_STREAM)]
    data = b""
    for index, (name, stream) in enumerate(streams.items(), start=1):
        stream = stream.ljust(4096, b"\0")
        start = 2 + len(data) // _SECTOR
        count = -(-len(stream) // _SECTOR)
        fat += [start + i + 1 for i in range(count - 1)] + [_END]
        entries.append(_directory_entry(name, 2, start, len(stream),
                                        right=index + 1 if index < len(streams) else _NO_STREAM))
        data += stream.ljust(count * _SECTOR, b"\0")
    assert len(fat) <= _SECTOR // 4, "one FAT sector: keep the samples under 63 KB"
    entries += [b"\0" * 64 + struct.pack("<HBBIII", 0, 0, 0, _NO_STREAM, _NO_STREAM, _NO_STREAM)
                + b"\0" * 48] * (4 - len(entries))
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16
              + struct.pack("<HHHHH", 0x003E, 3, 0xFFFE, 9, 6) + b"\0" * 6
              + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, _END, 0, _END, 0)
              + struct.pack("<I", 0) + struct.pack("<I", _FREE) * 108)
    fat_sector = struct.pack(f"<{_SECTOR // 4}I", *(fat + [_FREE] * (_SECTOR // 4 - len(fat))))
    return header + fat_sector + b"".join(entries) + data


def _directory_entry(name: str, kind: int, start: int, size: int, *, child: int = _NO_STREAM,
                     right: int = _NO_STREAM) -> bytes:
    encoded = (name + "\0").encode("utf-16-le")
    return (encoded.ljust(64, b"\0")
            + struct.pack("<HBBIII", len(encoded), kind, 1, _NO_STREAM, right, child)
            + b"\0" * 16 + b"\0" * 4 + b"\0" * 16 + struct.pack("<IQ", start, size))


def encrypted_xlsx_bytes() -> bytes:
    """What Excel writes for an .xlsx with an open password: not a zip but a compound file
    with the EncryptionInfo and EncryptedPackage streams (their content is not needed to
    recognise it, so it is filler here)."""
    return compound_file({"EncryptionInfo": b"\x04\x00\x04\x00" + b"\0" * 200,
                          "EncryptedPackage": b"\0" * 5000})

"""The authority's import of the qualification roster: real CSV and XLSX files posted as
multipart uploads by the reviewer, a preview that writes nothing, a per-row error report in
Chinese, all or nothing, and a second import of the same file that changes nothing. Every
assertion about the outcome reads the database."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
import sqlalchemy as sa

from app.dates import province_today
from app.enums import CertificateSource, VerificationStatus
from app.extensions import db
from app.identity import resident_id_check_char
from app.models import Practitioner, QualificationCertificate, Specialty, StoredFile
from app.registry.roster_import import RosterImportError, apply_roster, validate_roster
from tests import logins, people
from tests.registry import workbook_samples

HEADER = ["姓名", "身份证号码", "执业资格", "专业", "证书编号", "签发日期"]


def rid(first17: str) -> str:
    return first17 + resident_id_check_char(first17)


ID_ZHANG = rid("44030419900215002")
ID_LI = rid("44010619870304125")
ID_WANG = rid("44050719780720004")

ROWS = [
    ["张三", ID_ZHANG, "二级注册建造师", "建筑工程", "RT-0001", "2021-06-01"],
    ["李四", ID_LI, "二级造价工程师", "安装工程", "RT-0002", "2021/6/1"],
    ["王五", ID_WANG, "architect", "", "RT-0003", "2019-12-31"],
    # Practitioner A of the fixtures: this row is linked to them.
    ["测试甲", people.ID_A, "constructor", "公路工程", "RT-0004", "2020/1/15"],
]


def csv_bytes(rows, header=HEADER, encoding="utf-8-sig") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows, header=HEADER) -> bytes:
    return workbook_samples.xlsx_bytes(rows, header)


def upload(client, data: bytes, filename: str, **kwargs):
    return client.post("/roster/upload", data={"file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data", **kwargs)


def file_id_in(html: str) -> int | None:
    match = re.search(r'name="file_id" value="(\d+)"', html)
    return int(match.group(1)) if match else None


def count_in(html: str, name: str) -> int:
    return int(re.search(rf'id="count-{name}">(\d+)<', html).group(1))


def error_table(html: str) -> list[tuple[int, str, str]]:
    body = html.split('class="table table-condensed table-bordered table-striped roster-errors"')
    if len(body) < 2:
        return []
    rows = re.findall(r"<tr><td>(\d+)</td><td>(.*?)</td><td>(.*?)</td></tr>", body[1])
    return [(int(r), c, m) for r, c, m in rows]


def certificates() -> dict[str, QualificationCertificate]:
    db.session.rollback()  # see what the requests committed
    db.session.expire_all()
    return {c.certificate_number: c for c in db.session.scalars(sa.select(QualificationCertificate))}


def snapshot() -> set[tuple]:
    return {(c.id, c.certificate_number, c.real_name, c.id_number, c.qualification_id,
             c.specialty_id, c.issue_date, c.practitioner_id, c.source, c.verification)
            for c in certificates().values()}


def specialty_id(name: str) -> int:
    return db.session.scalar(sa.select(Specialty.id).where(Specialty.name == name))


def assert_rows_imported(before: dict):
    after = certificates()
    assert set(after) - set(before) == {"RT-0001", "RT-0002", "RT-0003", "RT-0004"}
    zhang, li, wang, linked = (after[f"RT-000{i}"] for i in range(1, 5))
    assert (zhang.real_name, zhang.id_number, zhang.qualification.code, zhang.specialty_id,
            zhang.issue_date) == ("张三", ID_ZHANG, "constructor", specialty_id("建筑工程"),
                                  dt.date(2021, 6, 1))
    assert (li.qualification.code, li.specialty_id, li.issue_date) == (
        "cost", specialty_id("安装工程"), dt.date(2021, 6, 1))
    assert (wang.qualification.code, wang.specialty_id, wang.issue_date) == (
        "architect", None, dt.date(2019, 12, 31))
    for cert in (zhang, li, wang, linked):
        assert cert.source == CertificateSource.roster
        assert cert.verification == VerificationStatus.verified
    prac_a = db.session.scalar(sa.select(Practitioner.id).where(Practitioner.id_number == people.ID_A))
    assert linked.practitioner_id == prac_a
    assert zhang.practitioner_id is None and li.practitioner_id is None


# ---------------------------------------------------------------- the happy paths
@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_preview_writes_nothing_and_confirm_imports_every_row(app, login, kind):
    client = login("reviewer")
    before = certificates()
    if kind == "csv":
        data = csv_bytes(ROWS)
    else:  # Excel date cells and a text date side by side
        rows = [list(r) for r in ROWS]
        rows[0][5], rows[2][5] = dt.datetime(2021, 6, 1), dt.date(2019, 12, 31)
        data = xlsx_bytes(rows)

    response = upload(client, data, f"名单.{kind}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert (count_in(html, "total"), count_in(html, "new"), count_in(html, "unchanged"),
            count_in(html, "invalid")) == (4, 4, 0, 0)
    assert "确认导入" in html and "正在导入，请稍候…" in html and "RT-0004" in html
    assert error_table(html) == []
    assert set(certificates()) == set(before)  # the preview wrote nothing
    file_id = file_id_in(html)
    assert db.session.get(StoredFile, file_id).data == data

    response = client.post("/roster/confirm", data={"file_id": file_id})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/qualificationcertificateadminview/list/")
    assert_rows_imported(before)
    db.session.expire_all()
    assert db.session.get(StoredFile, file_id) is None  # kept only until confirmed
    listing = client.get("/qualificationcertificateadminview/list/").get_data(as_text=True)
    assert "导入完成" in listing or "新增4条" in listing


def test_reimporting_the_same_file_changes_nothing(app, login):
    client = login("reviewer")
    data = csv_bytes(ROWS)
    html = upload(client, data, "roster.csv").get_data(as_text=True)
    client.post("/roster/confirm", data={"file_id": file_id_in(html)})
    first = snapshot()

    response = upload(client, data, "roster.csv")
    html = response.get_data(as_text=True)
    assert (count_in(html, "total"), count_in(html, "new"), count_in(html, "unchanged"),
            count_in(html, "invalid")) == (4, 0, 4, 0)
    assert "没有需要导入的数据" in html and file_id_in(html) is None
    assert snapshot() == first

    # The library says the same, and applying the empty report inserts nothing.
    report = validate_roster(data, "roster.csv")
    assert (report.total, report.new, report.unchanged, report.invalid) == (4, 0, 4, 0)
    assert apply_roster(report) == 0
    assert snapshot() == first


def test_gbk_encoded_csv_is_read(app, login):
    client = login("reviewer")
    before = certificates()
    html = upload(client, csv_bytes(ROWS, encoding="gbk"), "gbk.csv").get_data(as_text=True)
    assert count_in(html, "new") == 4 and "张三" in html and "二级造价工程师" in html
    client.post("/roster/confirm", data={"file_id": file_id_in(html)})
    assert_rows_imported(before)

    bad = [list(r) for r in ROWS]
    bad[1][2] = "三级建造师"
    html = upload(client, csv_bytes(bad, encoding="gb18030"), "gbk.csv").get_data(as_text=True)
    assert (3, "执业资格") == error_table(html)[0][:2]
    assert "未知的执业资格“三级建造师”" in error_table(html)[0][2]


def test_english_column_names_are_accepted(app):
    header = ["real_name", "id_number", "qualification", "specialty", "certificate_number",
              "issue_date"]
    report = validate_roster(csv_bytes(ROWS, header=header), "roster.csv")
    assert (report.total, report.new, report.invalid) == (4, 4, 0)


def test_progress_is_reported_for_every_batch(app):
    report = validate_roster(csv_bytes(ROWS), "roster.csv")
    calls = []
    assert apply_roster(report, batch_size=3, progress=lambda *a: calls.append(a)) == 4
    assert calls == [("insert", 3, 4), ("insert", 4, 4)]
    assert {"RT-0001", "RT-0004"} <= set(certificates())


# ---------------------------------------------------------------- the error report
def _with(change):
    rows = [list(r) for r in ROWS]
    change(rows)
    return rows


def _set(row, column, value):
    return lambda rows: rows[row].__setitem__(HEADER.index(column), value)


ERROR_CASES = {
    "bad ID check character": (
        _set(1, "身份证号码", ID_LI[:17] + ("0" if ID_LI[17] != "0" else "1")),
        3, "身份证号码", "身份证号码校验位错误"),
    "unknown qualification": (
        _set(0, "执业资格", "一级建造师"), 2, "执业资格", "未知的执业资格“一级建造师”"),
    "specialty of another qualification": (
        _set(1, "专业", "公路工程"), 3, "专业", "专业“公路工程”属于二级注册建造师，不属于二级造价工程师"),
    "specialty missing": (
        _set(0, "专业", ""), 2, "专业", "二级注册建造师须填写专业"),
    "specialty on a qualification without specialties": (
        _set(2, "专业", "建筑工程"), 4, "专业", "二级注册建筑师不分专业"),
    "duplicate certificate number in the file": (
        _set(3, "证书编号", "RT-0001"), 5, "证书编号", "证书编号RT-0001与文件第2行重复"),
    "certificate number on file with different data": (
        _set(3, "证书编号", "JZ2019TESTA"), 5, "证书编号",
        "证书编号JZ2019TESTA已在库中，但以下信息与库中不一致：专业、签发日期"),
    "bad date": (
        _set(2, "签发日期", "2021-13-01"), 4, "签发日期", "“2021-13-01”不是有效日期"),
    "date in the future": (
        _set(2, "签发日期", (province_today() + dt.timedelta(days=1)).isoformat()), 4, "签发日期",
        "晚于今天"),
    "empty name": (_set(0, "姓名", ""), 2, "姓名", "姓名不能为空"),
    "certificate number too long": (
        _set(0, "证书编号", "X" * 41), 2, "证书编号", "证书编号不能超过40个字符"),
}


@pytest.mark.parametrize("case", ERROR_CASES, ids=list(ERROR_CASES))
def test_each_bad_row_is_reported_in_chinese_and_nothing_is_imported(app, login, case):
    change, row, column, message = ERROR_CASES[case]
    client = login("reviewer")
    before = snapshot()
    response = upload(client, csv_bytes(_with(change)), "roster.csv")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    errors = error_table(html)
    assert len(errors) == 1, errors
    assert errors[0][:2] == (row, column) and message in errors[0][2], errors
    assert count_in(html, "invalid") == 1 and count_in(html, "total") == 4
    assert "确认导入" not in html and file_id_in(html) is None
    assert snapshot() == before  # the three good rows were not imported either


def test_several_errors_in_several_rows_are_all_listed(app):
    rows = _with(lambda r: (_set(0, "执业资格", "一级建造师")(r), _set(0, "签发日期", "昨天")(r),
                            _set(2, "身份证号码", "123")(r)))
    report = validate_roster(csv_bytes(rows), "roster.csv")
    assert [(e.row, e.column) for e in report.errors] == [(2, "执业资格"), (2, "签发日期"),
                                                          (4, "身份证号码")]
    assert "身份证号码应为18位" in report.errors[2].message
    assert (report.total, report.invalid, report.error_count) == (4, 2, 3)
    before = snapshot()
    with pytest.raises(RosterImportError, match="2"):
        apply_roster(report)
    assert snapshot() == before


def test_missing_column_is_a_file_level_error(app, login):
    client = login("reviewer")
    before = snapshot()
    header = [h for h in HEADER if h != "证书编号"]
    rows = [r[:4] + r[5:] for r in ROWS]
    response = upload(client, csv_bytes(rows, header=header), "roster.csv", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "缺少必需的列：证书编号" in html
    assert snapshot() == before


def test_files_that_are_not_a_roster_are_refused_with_a_message(app, login, monkeypatch):
    client = login("reviewer")
    before = snapshot()
    cases = [
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 40, "photo.png", "只能导入.csv、.xlsx、.xls或.ods文件"),
        (b"not a zip", "roster.xlsx", "不是可读取的.xlsx"),
        (csv_bytes([]), "roster.csv", "没有数据行"),
        (b"", "roster.csv", "文件是空的"),
    ]
    for data, name, message in cases:
        html = upload(client, data, name, follow_redirects=True).get_data(as_text=True)
        assert message in html, name
    monkeypatch.setattr("app.registry.roster_views.MAX_UPLOAD_BYTES", 100)
    html = upload(client, csv_bytes(ROWS), "big.csv", follow_redirects=True).get_data(as_text=True)
    assert "文件超过" in html
    assert snapshot() == before


# ---------------------------------------------------------------- confirmation
def test_confirm_validates_again_and_imports_nothing_when_the_register_changed(app, login):
    client = login("reviewer")
    html = upload(client, csv_bytes(ROWS), "roster.csv").get_data(as_text=True)
    file_id = file_id_in(html)
    # Meanwhile somebody records RT-0002 with other data.
    constructor = certificates()["JZ2019TESTA"].qualification_id
    db.session.add(QualificationCertificate(
        real_name="另一人", id_number=ID_WANG, qualification_id=constructor,
        specialty_id=specialty_id("建筑工程"), certificate_number="RT-0002",
        issue_date=dt.date(2018, 1, 1), source=CertificateSource.declared))
    db.session.commit()
    before = snapshot()
    response = client.post("/roster/confirm", data={"file_id": file_id})
    html = response.get_data(as_text=True)
    assert "未导入任何数据" in html and (3, "证书编号") == error_table(html)[0][:2]
    assert snapshot() == before


def test_confirm_accepts_only_the_file_this_session_uploaded(app, login):
    client = login("reviewer")
    html = upload(client, csv_bytes(ROWS), "roster.csv").get_data(as_text=True)
    file_id = file_id_in(html)
    before = snapshot()
    other = login("reviewer")  # another session of the same role
    response = other.post("/roster/confirm", data={"file_id": file_id}, follow_redirects=True)
    assert "上传的文件已失效" in response.get_data(as_text=True)
    response = client.post("/roster/confirm", data={"file_id": str(file_id + 1000)},
                           follow_redirects=True)
    assert "上传的文件已失效" in response.get_data(as_text=True)
    assert snapshot() == before


# ---------------------------------------------------------------- the page and who may use it
def test_upload_page_explains_the_columns_and_offers_the_template(app, login):
    client = login("reviewer")
    html = client.get("/roster/upload").get_data(as_text=True)
    for header in HEADER:
        assert header in html
    assert 'name="csrf_token"' in html and 'type="file"' in html and "50 MB" in html
    assert 'href="/roster/template"' in html and "roster_import.js" in html
    assert "onclick" not in html and "onsubmit" not in html
    assert client.get("/static/roster_import.js").status_code == 200
    template = client.get("/roster/template")
    assert template.status_code == 200 and template.mimetype == "text/csv"
    assert template.data.decode("utf-8-sig").strip() == ",".join(HEADER)
    assert "/roster/upload" in client.get("/").get_data(as_text=True)  # in the reviewer's menu


@pytest.mark.parametrize("username", ["prac_a", "ent_a"])
def test_practitioners_and_enterprises_cannot_reach_the_import(app, login, username):
    client = login(username)
    before = snapshot()
    assert client.get("/roster/upload").status_code == 403
    assert client.get("/roster/template").status_code == 403
    assert upload(client, csv_bytes(ROWS), "roster.csv").status_code == 403
    assert client.post("/roster/confirm", data={"file_id": "1"}).status_code == 403
    assert "/roster/upload" not in client.get("/").get_data(as_text=True)
    assert snapshot() == before


# ---------------------------------------------------------------- command line
def test_command_line_import_dry_run_and_errors(app, tmp_path):
    runner = app.test_cli_runner()
    good = tmp_path / "roster.csv"
    good.write_bytes(csv_bytes(ROWS))
    before = certificates()

    result = runner.invoke(args=["roster", "import", str(good), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert set(certificates()) == set(before)

    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes(_with(_set(1, "专业", "公路工程"))))
    result = runner.invoke(args=["roster", "import", str(bad)])
    assert result.exit_code != 0
    assert "第3行" in result.output and "不属于二级造价工程师" in result.output
    assert set(certificates()) == set(before)

    result = runner.invoke(args=["roster", "import", str(good)])
    assert result.exit_code == 0, result.output
    assert "已导入" in result.output
    assert_rows_imported(before)
    result = runner.invoke(args=["roster", "import", str(good)])
    assert result.exit_code == 0 and "未变化 4" in result.output


def test_excel_specifics_number_cells_and_blank_rows(app):
    rows = [list(r) for r in ROWS]
    rows[0][1] = float(ID_ZHANG)  # what Excel keeps of an ID typed into a number cell
    rows[1][4] = 20210002  # a certificate number typed as a number is read as its digits
    rows.insert(2, [None] * 6)  # a blank row keeps the row numbers of the rows below it
    report = validate_roster(xlsx_bytes(rows), "roster.xlsx")
    assert (report.total, report.invalid) == (4, 1)
    assert [(e.row, e.column) for e in report.errors] == [(2, "身份证号码")]
    assert "存成了数字" in report.errors[0].message
    assert [p["row"] for p in report.preview] == [3, 5, 6]
    assert report.preview[0]["certificate_number"] == "20210002"


def test_with_csrf_on_the_forms_carry_their_token(app):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    logins.login(client, "reviewer")
    assert upload(client, csv_bytes(ROWS), "roster.csv").status_code == 400
    page = client.get("/roster/upload").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/roster/upload", content_type="multipart/form-data", data={
        "csrf_token": token, "file": (io.BytesIO(csv_bytes(ROWS)), "roster.csv")})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and count_in(html, "new") == 4
    before = set(certificates())
    assert client.post("/roster/confirm", data={"file_id": file_id_in(html)}).status_code == 400
    assert set(certificates()) == before
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    response = client.post("/roster/confirm", data={"file_id": file_id_in(html),
                                                    "csrf_token": token})
    assert response.status_code == 302
    assert_rows_imported({n: None for n in before})

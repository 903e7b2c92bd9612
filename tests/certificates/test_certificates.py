"""The electronic certificate: versions issued by approvals, the PDF rendered with the
embedded CJK font and read back, the digital signature and its full verification, and
the cases in which no certificate may be printed."""
import datetime as dt
import io

import pytest
import sqlalchemy as sa
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.general import load_cert_from_pemder
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from app.certificates.images import FONT_FILE
from app.certificates.signing import check
from app.certificates.versions import usage_until
from app.dates import add_years, province_today
from app.enums import ApplicationState as S
from app.enums import ApplicationType, RegistrationEventKind, RegistrationStatus
from app.extensions import db
from app.models import Certificate, Practitioner, Registration, RegistrationEvent
from tests.workflow_support import (
    act,
    enterprise_of,
    make_certificate_holder,
    put_application,
    run_in_threads,
)

RARE_NAME = "王喆璟堃昇玥韡赟犇淼燚"


@pytest.fixture
def holder(app, login):
    """A registered practitioner with a real ID photo and signature, signed in."""
    person, registration = make_certificate_holder(app, login)
    return {"person": person, "registration": registration, "client": login("holder"),
            "login": login}


def _approve(login, app_id):
    response = act(login("approver"), app_id, "approve")
    assert response.status_code == 200, response.json
    db.session.expire_all()


def _download(client, registration_id):
    return client.post(f"/myregistrationview/action/certificate/{registration_id}")


def _certificates(registration_id) -> list[Certificate]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Certificate).filter_by(
        registration_id=registration_id).order_by(Certificate.version)))


def _embedded_fonts(pdf: bytes) -> dict[str, bool]:
    """BaseFont name -> whether a TrueType font program (/FontFile2) is embedded."""
    fonts = {}
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            fonts[str(font["/BaseFont"])] = bool(descriptor and "/FontFile2" in descriptor.get_object())
    return fonts


def _text(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_approval_issues_version_one_and_records_the_history(holder):
    [certificate] = _certificates(holder["registration"].id)
    assert certificate.version == 1 and not certificate.void and len(certificate.token) >= 32
    [event] = db.session.scalars(sa.select(RegistrationEvent).filter_by(
        registration_id=holder["registration"].id)).all()
    assert event.kind == RegistrationEventKind.initial and event.specialties == "建筑工程"


def test_the_pdf_has_every_field_in_an_embedded_font_and_a_valid_signature(holder):
    person, registration = holder["person"], holder["registration"]
    person.real_name = RARE_NAME
    db.session.commit()
    response = _download(holder["client"], registration.id)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    pdf = response.data
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    width, height = (float(v) for v in reader.pages[0].mediabox[2:])
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    fonts = _embedded_fonts(pdf)
    assert any("WenQuanYi" in name and embedded for name, embedded in fonts.items()), fonts
    text = _text(pdf)
    certificate = _certificates(registration.id)[0]
    enterprise = registration.enterprise
    for value in (RARE_NAME, person.id_number, registration.number, enterprise.name,
                  enterprise.credit_code, "二级注册建造师", "建筑工程",
                  f"{registration.specialties[0].expires_on.year}年", "广东省住房和城乡建设厅",
                  f"{certificate.usage_until.year}年{certificate.usage_until.month:02d}月",
                  "手写签名", f"/verify/{certificate.token}"):
        assert value in text, value
    images = reader.pages[0].images
    assert len(images) >= 4  # photo, signature, seal, QR code (the watermark is the page background)
    assert check(pdf).valid


def test_the_font_covers_level_one_hanzi_and_rare_name_characters():
    cmap = TTFont("certificate", str(FONT_FILE), subfontIndex=0).face.charToGlyph
    level_one = [bytes([hi, lo]).decode("gb2312") for hi in range(0xB0, 0xD8)
                 for lo in range(0xA1, 0xFF) if (hi, lo) < (0xD7, 0xFA)]
    assert len(level_one) == 3755
    assert [c for c in level_one + list(RARE_NAME) if ord(c) not in cmap] == []


def test_a_second_download_is_the_same_signed_document(holder):
    first = _download(holder["client"], holder["registration"].id).data
    second = _download(holder["client"], holder["registration"].id).data
    assert first == second and len(_certificates(holder["registration"].id)) == 1


def test_someone_else_cannot_download_the_certificate(holder):
    response = _download(holder["login"]("prac_b"), holder["registration"].id)
    assert response.status_code == 404


def _painted_over(pdf: bytes) -> bytes:
    """An incremental update that paints a white box over the top of the page."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    box = writer.add_object(generic.StreamObject(stream_data=b"q 1 1 1 rg 40 600 520 160 re f Q"))
    writer.add_stream_to_page(0, box)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_an_incremental_update_painting_over_a_field_is_detected(app, holder):
    pdf = _download(holder["client"], holder["registration"].id).data
    forged = _painted_over(pdf)
    # The signature alone still looks fine: intact and trusted ...
    root = load_cert_from_pemder(str(app.config["CERTIFICATE_SIGNING_CERT"]))
    status = validate_pdf_signature(
        PdfFileReader(io.BytesIO(forged)).embedded_signatures[0],
        ValidationContext(trust_roots=[root], allow_fetching=False))
    assert status.intact and status.valid and status.trusted
    # ... the full result is what reveals it.
    assert check(forged).problem == "modified"
    tampered = bytearray(pdf)
    position = tampered.index(b"/Keywords") - 200
    tampered[position] = tampered[position] ^ 0x01
    assert not check(bytes(tampered)).valid


def _check_page(client, content: bytes) -> str:
    return client.post("/verify/file/", data={"file": (io.BytesIO(content), "c.pdf")},
                       content_type="multipart/form-data").get_data(as_text=True)


def test_the_public_file_check_says_valid_or_altered(holder, client):
    pdf = _download(holder["client"], holder["registration"].id).data
    page = _check_page(client, pdf)
    assert "签名有效" in page and holder["registration"].number in page
    assert "签名后被修改" in _check_page(client, _painted_over(pdf))
    assert "没有数字签名" in _check_page(client, _unsigned_pdf())
    assert "不是可读的PDF" in _check_page(client, b"not a pdf at all")
    assert "请选择电子证书PDF文件" in client.post("/verify/file/", data={}).get_data(as_text=True)


def _unsigned_pdf() -> bytes:
    out = io.BytesIO()
    page = canvas.Canvas(out)
    page.drawString(100, 700, "certificate")
    page.save()
    return out.getvalue()


def test_a_change_issues_a_new_version_and_voids_the_old(app, holder):
    registration = holder["registration"]
    old_pdf = _download(holder["client"], registration.id).data
    app_id = put_application(holder["person"], enterprise_of("ent_b", app),
                             S.pending_decision, app_type=ApplicationType.change,
                             registration=registration)
    _approve(holder["login"], app_id)
    first, second = _certificates(registration.id)
    assert first.void and not second.void and second.version == 2
    new_pdf = _download(holder["client"], registration.id).data
    assert new_pdf != old_pdf and "第2版" in _text(new_pdf)
    check_page = _check_page(holder["client"], old_pdf)
    assert "已被替换或作废" in check_page


@pytest.mark.parametrize("status", [RegistrationStatus.cancelled, RegistrationStatus.lapsed,
                                    RegistrationStatus.suspended, RegistrationStatus.revoked])
def test_no_download_while_cancelled_lapsed_or_suspended(holder, status):
    registration = db.session.get(Registration, holder["registration"].id)
    registration.status = status
    db.session.commit()
    response = _download(holder["client"], registration.id)
    assert response.status_code == 302
    page = holder["client"].get(response.headers["Location"]).get_data(as_text=True)
    assert "不能打印证书" in page


def test_a_cancellation_voids_every_version(app, holder):
    registration = holder["registration"]
    app_id = put_application(holder["person"], enterprise_of("ent_a", app),
                             S.pending_decision, app_type=ApplicationType.cancellation,
                             registration=registration)
    _approve(holder["login"], app_id)
    assert all(c.void for c in _certificates(registration.id))
    assert _download(holder["client"], registration.id).status_code == 302


def test_the_usage_period_is_capped_by_expiry_and_the_65th_birthday(holder):
    registration = db.session.get(Registration, holder["registration"].id)
    today = dt.date(2026, 1, 10)
    period = registration.specialties[0]
    period.expires_on = dt.date(2028, 1, 1)
    assert usage_until(registration, today) == today + dt.timedelta(days=180)
    period.expires_on = dt.date(2026, 3, 1)
    assert usage_until(registration, today) == dt.date(2026, 3, 1)
    period.expires_on = dt.date(2028, 1, 1)
    person = db.session.get(Practitioner, registration.practitioner_id)
    person.birth_date = dt.date(1961, 2, 20)  # 65 on 2026-02-20
    assert usage_until(registration, today) == add_years(person.birth_date, 65)
    db.session.rollback()


def test_an_ended_usage_period_gives_a_fresh_version_on_download(holder):
    registration = holder["registration"]
    [certificate] = _certificates(registration.id)
    certificate.usage_until = province_today() - dt.timedelta(days=1)
    db.session.commit()
    assert _download(holder["client"], registration.id).status_code == 200
    old, new = _certificates(registration.id)
    assert old.void and new.version == 2 and new.usage_until > province_today()


def test_registration_numbers_are_unique_under_concurrent_approvals(app):
    """Eight approvals allocate serials at the same moment, each on its own connection:
    the counter row's atomic UPDATE … RETURNING gives each a different number."""
    import threading

    from app.applications.effects import next_serial
    from tests.workflow_support import qualification

    qualification_id = qualification().id
    barrier, serials, errors = threading.Barrier(8), [], []

    def allocate():
        with app.app_context():
            try:
                barrier.wait()
                serials.append(next_serial(qualification_id, 2031))
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - reported by the assertion below
                errors.append(error)
            finally:
                db.session.remove()

    run_in_threads(allocate, 8)
    assert errors == [] and sorted(serials) == list(range(1, 9))


def test_the_registration_page_shows_the_current_version_and_the_print_button(holder):
    registration = holder["registration"]
    page = holder["client"].get(f"/myregistrationview/show/{registration.id}").get_data(as_text=True)
    [certificate] = _certificates(registration.id)
    assert f"第1版，使用有效期至{certificate.usage_until}" in page
    assert "打印电子证书" in page and f"/action/certificate/{registration.id}" in page

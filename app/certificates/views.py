"""The practitioner's registrations with the "print certificate" action, and the public
check of a certificate file's digital signature."""
from __future__ import annotations

import io

from flask import flash, redirect, url_for
from flask_appbuilder import BaseView as PlainView
from flask_appbuilder.actions import action
from flask_appbuilder.baseviews import expose
from flask_appbuilder.models.sqla.filters import FilterEqualFunction
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from pypdf import PdfReader
from sqlalchemy import select

from ..audit import record
from ..dates import province_today
from ..downloads import private_download
from ..extensions import db
from ..models import Certificate, Registration
from ..scoping import current_practitioner_id
from ..view_base import READ, BaseView, RegistryInterface
from .pdf import signed_pdf
from .public_views import PublicVerificationView
from .register_export import specialties_text
from .signing import check
from .versions import CertificateBlocked, certificate_for_download

MAX_PDF_BYTES = 5 * 1024 * 1024


class MyRegistrationView(BaseView):
    datamodel = RegistryInterface(Registration)
    base_filters = [["practitioner_id", FilterEqualFunction, current_practitioner_id]]
    base_permissions = READ
    list_title = _l("My registrations")
    list_columns = ["number", "qualification", "enterprise", "status", "first_registered_on"]
    show_columns = list_columns + ["specialties", "current_certificate"]
    search_columns = ["qualification", "status"]
    formatters_columns = {"specialties": specialties_text, "current_certificate": lambda c: _(
        "Version %(v)s, usage period until %(d)s", v=c.version, d=c.usage_until) if c else
        _("None yet: one is issued when you print it.")}

    @action("certificate", _l("Print the electronic certificate"), icon="fa-print",
            multiple=False)
    def certificate(self, registration):
        """The signed PDF of the current version (a new version once the usage period ends)."""
        try:
            current, pdf = print_certificate(registration)
        except CertificateBlocked as blocked:
            flash(str(blocked), "warning")
            return redirect(url_for(".list"))
        fallback = f"certificate-{registration.number}-v{current.version}.pdf"
        return private_download(pdf, "application/pdf", certificate_file_name(current), fallback)


def print_certificate(registration: Registration, actor=None) -> tuple[Certificate, bytes]:
    """The one way a certificate is printed, alone or in a batch: the current version (a new
    one once the usage period ends), its signed PDF, and the audit row, committed; or
    CertificateBlocked with nothing changed. `actor`: who asked, when the queue worker
    prints (in a request: the user)."""
    try:
        current = certificate_for_download(registration, province_today())
        pdf = signed_pdf(current)
    except CertificateBlocked:
        db.session.rollback()
        raise
    record("certificate_download", object_type="Certificate", object_id=current.id, actor=actor,
           detail={"registration": registration.number, "version": current.version})
    db.session.commit()
    return current, pdf


def certificate_file_name(certificate: Certificate) -> str:
    return _("Electronic certificate %(number)s version %(v)s.pdf",
             number=certificate.registration.number, v=certificate.version)


class CertificateFileForm(FlaskForm):
    file = FileField(_l("Certificate PDF"),
                     validators=[FileRequired(_l("Choose the certificate PDF file."))])


PROBLEMS = {
    "unreadable": _l("This is not a readable PDF file."),
    "unsigned": _l("The file carries no digital signature: it is not an electronic "
                   "certificate issued by this system."),
    "broken": _l("The digital signature does not match the content: the file has been "
                 "altered."),
    "untrusted": _l("The file is signed, but not by the registration authority."),
    "modified": _l("The file was changed after it was signed (for example text painted "
                   "over a field): it is not valid."),
    "unknown": _l("The signature is valid but no such certificate is on record."),
}


class CertificateFileCheckView(PlainView):
    """Public: anyone holding a certificate file can check that it is unaltered and see
    which version it is. Public by design, like SignupView."""

    route_base = "/verify/file"
    default_view = "index"
    limits = PublicVerificationView.limits  # the same budget per client address

    @expose("/", methods=["GET", "POST"])
    def index(self):
        form = CertificateFileForm()
        outcome = None
        if form.validate_on_submit():
            outcome = self._outcome(form.file.data.read(MAX_PDF_BYTES + 1))
        return self.render_template("certificate_check.html", form=form, outcome=outcome,
                                    title=_("Check a certificate file"))

    @staticmethod
    def _outcome(content: bytes) -> dict:
        if len(content) > MAX_PDF_BYTES:
            return {"valid": False, "message": _l("The file is larger than 5 MB.")}
        result = check(content)
        if not result.valid:
            return {"valid": False, "message": PROBLEMS[result.problem]}
        token = (PdfReader(io.BytesIO(content)).metadata or {}).get("/Keywords", "")
        certificate = db.session.scalar(select(Certificate).where(
            Certificate.token == str(token).strip()))
        if certificate is None:
            return {"valid": False, "message": PROBLEMS["unknown"]}
        return {"valid": True, "certificate": certificate,
                "link": f"/verify/{certificate.token}"}

"""入库登记 (domain.md sections 3.1 and 10): the practitioner's entry into the registry with
personal data, the ID photo and the signature image, and the files behind them, served only
to the person and the authority."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView
from flask_appbuilder.baseviews import expose
from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
from flask_appbuilder.models.sqla.filters import FilterEqualFunction
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from wtforms import FileField, StringField
from wtforms.validators import DataRequired, Length

from ..audit import changes, record
from ..enums import CertificateSource, RegistryStatus, VerificationStatus
from ..extensions import db
from ..models import (
    ATTACHMENT_KINDS,
    IMAGE_COLUMNS,
    Application,
    Practitioner,
    QualificationCertificate,
    StoredFile,
)
from ..notifications import default_locale, notify, path_for
from ..scoping import MetOtherwise, Refused, current_practitioner_id, may_see_person_files, refuse
from ..view_base import BaseView as ScopedBase
from ..view_base import RegistryInterface
from . import storage
from .images import ACCEPT, SCAN, SPECS, ImageRejected, check_and_normalise
from .scans import DESCRIPTION as SCAN_DESCRIPTION
from .scans import check_scan

EDITABLE = ("phone", "email", "education")


def _me() -> Practitioner:
    person = db.session.get(Practitioner, current_practitioner_id())
    if person is None:
        abort(404)
    return person



# ---------------------------------------------------------------- the rules of 入库登记
# Shared by the page below and the API (entry_api.py): each answers None when done, or
# the message saying why not, with nothing changed.
LOCKED = _l("After registry entry the photo and signature change only through a data "
            "correction application.")


def save_details(person: Practitioner, values) -> str | None:
    for field in EDITABLE:
        value = (values.get(field) or "").strip()[:120]
        if field == "phone" and not (value.isdigit() and len(value) == 11):
            db.session.rollback()
            return _("Mobile phone: enter the 11-digit number.")
        setattr(person, field, value or None)
    record("update", object_type="Practitioner", object_id=person.id,
           detail={"changes": changes(person)})
    db.session.commit()
    return None


def save_image(person: Practitioner, kind: str, content: bytes) -> str | None:
    """The ID photo or the signature (kind), through every content check."""
    if person.registry_status == RegistryStatus.entered:
        return LOCKED
    try:
        normalised, content_type = check_and_normalise(kind, content)
    except ImageRejected as rejected:
        return _("Not accepted: %(why)s", why=rejected)
    stored = storage.save(normalised, content_type)
    setattr(person, f"{kind}_id", stored.id)
    record("upload", object_type="Practitioner", object_id=person.id,
           detail={"kind": kind, "file_id": stored.id, "size": stored.size})
    db.session.commit()
    return None


def enter(person: Practitioner) -> tuple[str | None, bool]:
    """Submit the entry: (why not, or None; whether it is complete at once, as it is when
    a certificate is verified already)."""
    statuses = {c.verification for c in person.certificates}
    missing = []
    if person.photo_id is None:
        missing.append(_("the ID photo"))
    if person.signature_id is None:
        missing.append(_("the signature image"))
    if not statuses - {VerificationStatus.rejected}:
        missing.append(_("at least one qualification certificate"))
    if missing:
        return _("Still missing: %(m)s.", m="、".join(missing)), False
    entered = VerificationStatus.verified in statuses
    person.registry_status = RegistryStatus.entered if entered else RegistryStatus.pending
    record("registry_entry", object_type="Practitioner", object_id=person.id,
           detail={"status": person.registry_status.name})
    db.session.commit()
    return None, entered


class RegistryEntryView(BaseView):
    route_base = "/registry"
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        person = db.session.get(Practitioner, current_practitioner_id())
        if person is None:  # the superuser sees every menu; this one is a practitioner's
            flash(_("This page is a practitioner's: your account has no registry record."),
                  "warning")
            return redirect(url_for("HomeView.index"))
        certificates = db.session.scalars(select(QualificationCertificate).where(
            QualificationCertificate.practitioner_id == person.id)).all()
        return self.render_template(
            "registry_entry.html", person=person, certificates=certificates, specs=SPECS,
            image_accept=ACCEPT,
            locked=person.registry_status == RegistryStatus.entered,
            title=_l("Registry entry"))

    @expose("/details", methods=["POST"])
    @has_access
    def details(self):
        problem = save_details(_me(), request.form)
        flash(problem or _("Your personal data has been saved."),
              "danger" if problem else "success")
        return redirect(url_for(".index"))

    @expose("/upload/<kind>", methods=["POST"])
    @has_access
    def upload(self, kind):
        if kind not in SPECS:
            abort(404)
        upload = request.files.get("file")
        problem = save_image(_me(), kind, upload.read(SPECS[kind].max_bytes + 1) if upload
                             else b"")
        flash(problem or _("Uploaded. Check the preview below."),
              "warning" if problem == LOCKED else "danger" if problem else "success")
        return redirect(url_for(".index"))

    @expose("/submit", methods=["POST"])
    @has_access
    def submit(self):
        problem, entered = enter(_me())
        flash(problem or (_("Registry entry complete.") if entered else
                          _("Submitted: a reviewer will verify your certificate.")),
              "danger" if problem else "success")
        return redirect(url_for(".index"))

    @expose("/file/<int:file_id>")
    @has_access
    def file(self, file_id):
        """A photo, signature or scan: to its owner and to the authority, nobody else."""
        stored = db.session.get(StoredFile, file_id)
        if stored is None:
            abort(404)
        owner_files = select(Practitioner.id).where(
            (Practitioner.photo_id == file_id) | (Practitioner.signature_id == file_id))
        scans = select(QualificationCertificate.practitioner_id).where(
            QualificationCertificate.scan_id == file_id)
        # A new image filed with an application (a data correction, or in answer to a return)
        # before it is approved, and the documents sent in answer to a return.
        filed = select(Application.practitioner_id).where(or_(
            *(Application.details[("corrections", column)].as_integer() == file_id
              for column in IMAGE_COLUMNS),
            *(Application.details[("attachments", key)].as_integer() == file_id
              for key in ATTACHMENT_KINDS)))
        owners = {*db.session.scalars(owner_files), *db.session.scalars(scans),
                  *db.session.scalars(filed)}
        if not may_see_person_files(owners):
            abort(404)
        response = Response(storage.load(stored), mimetype=stored.content_type)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Content-Disposition"] = "inline"
        response.headers["Cache-Control"] = "private, no-store"
        return response


class MyQualificationCertificateView(ScopedBase):
    """Certificates a practitioner declares at 入库. One that matches the authority's roster
    (name + ID number + certificate number) is verified at once; one that does not is queued
    for a reviewer with the uploaded scan, who verifies or rejects it with a reason."""

    datamodel = RegistryInterface(QualificationCertificate)
    base_filters = [["practitioner_id", FilterEqualFunction, current_practitioner_id]]
    base_permissions = ["can_list", "can_show", "can_add", "can_delete"]
    list_title = _l("My qualification certificates")
    list_columns = ["qualification", "specialty", "certificate_number", "issue_date",
                    "verification", "rejection_reason"]
    show_columns = list_columns + ["source"]
    add_columns = ["qualification", "specialty", "certificate_number", "issue_date", "scan"]
    add_form_extra_fields = {
        # Not FAB's generated field: its uniqueness check would stop a roster match.
        "certificate_number": StringField(
            _l("Certificate number"), [DataRequired(), Length(max=40)],
            widget=BS3TextFieldWidget()),
        "scan": FileField(_l("Scan of the certificate"), description=_l(
            "Needed when the certificate is not on the authority's roster. %(spec)s",
            spec=SCAN_DESCRIPTION), render_kw={"accept": ACCEPT + ",application/pdf"}),
    }
    add_template = "specialty_add.html"  # the specialty list follows the qualification

    def _add(self):
        """FAB's add, except that a certificate found in the roster is linked, not added."""
        form = self.add_form.refresh()
        if request.method != "POST" or not form.validate():
            return self._get_add_widget(form=form)
        item = self.datamodel.obj()
        form.populate_obj(item)
        try:
            self.declare(item)
        except Refused as refused:
            flash(str(refused), "danger")
            return self._get_add_widget(form=form)
        except AlreadyVerified as linked:
            flash(str(linked), "success")
            return None
        self.datamodel.add(item)
        flash(_("Added: a reviewer will verify the certificate with your scan."), "success")
        return None

    def pre_add(self, item):  # the API's add (app/accounts/api_forms.py)
        self.declare(item)

    def declare(self, item):
        person = db.session.get(Practitioner, current_practitioner_id())
        if person is None:
            refuse(_("Complete your personal data before adding certificates."))
        if item.specialty is not None and item.specialty.qualification is not item.qualification:
            refuse(_("These specialties do not belong to the qualification: %(s)s",
                     s=item.specialty.name))
        if item.specialty is None and item.qualification.specialties:
            refuse(_("Choose the specialty of the certificate."))
        number = (item.certificate_number or "").strip()
        roster = db.session.scalar(select(QualificationCertificate).where(
            QualificationCertificate.certificate_number == number))
        if roster is not None:
            if roster.practitioner_id not in (None, person.id) or \
                    roster.id_number != person.id_number or roster.real_name != person.real_name:
                refuse(_("This certificate number is on record for someone else. Check the "
                         "number, or ask the authority."))
            if roster.practitioner_id == person.id:
                refuse(_("This certificate is already in your list."))
            roster.practitioner_id = person.id  # matches the roster: verified at once
            record("certificate_claim", object_type="QualificationCertificate",
                   object_id=roster.id, detail={"matched": "roster"})
            db.session.commit()
            raise AlreadyVerified(_("The certificate matches the roster and is verified."),
                                  roster.id)
        scan = request.files.get("scan")
        content = scan.read(SCAN.max_bytes + 1) if scan else b""
        if not content:
            refuse(_("The certificate is not in the roster: upload a scan for the reviewer."))
        try:
            normalised, content_type = check_scan(content)
        except ImageRejected as rejected:
            refuse(_("Not accepted: %(why)s", why=rejected))
        item.scan_id = storage.save(normalised, content_type).id
        item.certificate_number = number
        item.practitioner_id, item.real_name, item.id_number = (
            person.id, person.real_name, person.id_number)
        item.source = CertificateSource.declared
        item.verification = VerificationStatus.pending

    def pre_delete(self, item):
        if item.verification == VerificationStatus.verified:
            refuse(_("A verified certificate cannot be changed."))


class AlreadyVerified(MetOtherwise):  # noqa: N818 - not an error
    """The roster row was linked instead of adding a new one."""


def tell_verification_result(certificate: QualificationCertificate) -> None:
    """A reviewer verified or rejected a declared certificate: a verified one completes the
    holder's pending registry entry, and the holder is told either way (with the reason)."""
    person = certificate.practitioner
    if person is None:
        return
    verified = certificate.verification == VerificationStatus.verified
    if verified and person.registry_status == RegistryStatus.pending:
        person.registry_status = RegistryStatus.entered
    if person.user_id is None or certificate.verification == VerificationStatus.pending:
        return
    with default_locale():
        title = (_("Qualification certificate %(n)s verified", n=certificate.certificate_number)
                 if verified else
                 _("Qualification certificate %(n)s not verified", n=certificate.certificate_number))
        body = _("You can now apply for registration of %(q)s.", q=certificate.qualification.name) \
            if verified else _("Reason: %(reason)s", reason=certificate.rejection_reason or "")
    notify(person.user_id, title, body, kind="certificate_verification",
           link=path_for("MyQualificationCertificateView.show", pk=certificate.id))

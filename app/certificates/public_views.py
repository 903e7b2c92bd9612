"""Public verification (公众查询, domain.md section 9): anyone, without logging in, checks a
certificate by the token its QR code carries (/verify/<token>), or looks a registration up
by real name plus registration number (/verify/), and sees the live record."""
from __future__ import annotations

from flask import current_app
from flask_appbuilder import BaseView
from flask_appbuilder.baseviews import expose
from flask_appbuilder.utils.limit import Limit
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from ..audit import record as audit_record
from ..dates import province_today
from ..enums import AuditResult
from ..labels import COLUMN_LABELS as L
from .public_record import (
    certificate_by_token,
    public_record,
    registration_by_name_and_number,
    version_verdict,
)


def _verify_rate_limit() -> str:
    return current_app.config["VERIFY_RATE_LIMIT"]  # read per request, so tests can lower it


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class RegistrationQueryForm(FlaskForm):
    real_name = StringField(L["real_name"], [DataRequired(), Length(max=64)], filters=[_strip])
    number = StringField(L["number"], [DataRequired(), Length(max=40)], filters=[_strip])


def _public(body: str, status: int = 200):
    """The record is live and personal: no cache may keep it (it would go on showing a
    version as current after it was voided), and search engines are asked not to index it."""
    return body, status, {"Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow"}


def _audit_lookup(action: str, object_type: str, object_id, found: bool) -> None:
    """Who looked whose record up, from where. What was typed (a name, a token) is not
    kept: only whether it matched and which record."""
    audit_record(action, object_type=object_type, object_id=object_id, commit=True,
                 result=AuditResult.success if found else AuditResult.failure)


class PublicVerificationView(BaseView):
    """Public pages: no permission, by design (anyone may check a certificate). FAB applies
    `limits` to the view's blueprint: each of its pages counts per client address."""

    route_base = "/verify"
    default_view = "query"
    limits = [Limit(limit_value=_verify_rate_limit, key_func=get_remote_address)]

    @expose("/", methods=["GET", "POST"])
    def query(self):
        form = RegistrationQueryForm()
        record = searched = None
        if form.validate_on_submit():
            searched = True
            registration = registration_by_name_and_number(form.real_name.data, form.number.data)
            if registration is not None:
                record = public_record(registration, province_today())
            _audit_lookup("verify_lookup", "Registration", registration and registration.id,
                          found=registration is not None)
        return _public(self.render_template(
            "verify_query.html", form=form, record=record, searched=searched,
            title=_l("Registration lookup")))

    # <path:> so that a "token" with slashes in it gets the very same answer as any other
    # unknown one, instead of the router's own 404.
    @expose("/<path:token>")
    def certificate(self, token: str):
        certificate = certificate_by_token(token)
        _audit_lookup("verify_certificate", "Certificate", certificate and certificate.id,
                      found=certificate is not None)
        if certificate is None:
            return _public(self.render_template(
                "verify_unknown.html", title=_l("Certificate not found")), 404)
        today = province_today()
        record = public_record(certificate.registration, today)
        return _public(self.render_template(
            "verify_certificate.html", record=record,
            verdict=version_verdict(certificate, record, today),
            title=_l("Certificate verification")))

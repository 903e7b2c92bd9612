"""Public verification over the API (公众查询), for the service hall's terminals and other
systems: by the token a certificate's QR code carries, or by real name plus registration
number. The same functions as the pages (public_record.py): the same masking, the same
audit row without what was typed, the same rate limit per client address and route
(PublicVerificationView.limits), and no cache may keep the answer."""
from __future__ import annotations

import dataclasses
import datetime as dt
import enum

from flask_appbuilder.api import BaseApi, expose, safe
from flask_babel import gettext

from ..accounts.api_answers import DocumentedAnswers
from ..accounts.api_forms import field_errors, filled_form
from ..dates import province_today
from .public_record import (
    certificate_by_token,
    public_record,
    registration_by_name_and_number,
    version_verdict,
)
from .public_views import PublicVerificationView, RegistrationQueryForm, _audit_lookup

NOT_FOUND = ("No registration matches this name and registration number. Check both and "
             "try again.")  # the page's own text (verify_query.html)
HEADERS = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow"}


def _plain(value):
    """A record's dataclasses as JSON: dates as YYYY-MM-DD, enums by name."""
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.name
    return value


class PublicVerificationApi(DocumentedAnswers, BaseApi):
    resource_name = "verify"
    openapi_spec_tag = "Public verification"
    limits = PublicVerificationView.limits
    csrf_exempt = True

    def _answer(self, status: int, **body):
        response = self.response(status, **body)
        response.headers.update(HEADERS)
        return response

    @expose("/certificate/<path:token>", methods=["GET"])
    @safe
    def certificate(self, token: str):
        """A certificate by the token of its QR code.
        ---
        get:
          summary: A certificate by the token of its QR code, with the live record and
            whether this version may still be relied on (no login; rate-limited per address)
          parameters:
          - in: path
            name: token
            required: true
            schema:
              type: string
          responses:
            200:
              description: The live record (the ID number masked) and the verdict on this version
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      record:
                        type: object
                      verdict:
                        type: object
            404:
              $ref: '#/components/responses/404'
            429:
              description: Too many lookups from this address; try again later
        """
        certificate = certificate_by_token(token)
        _audit_lookup("verify_certificate", "Certificate", certificate and certificate.id,
                      found=certificate is not None)
        if certificate is None:
            return self._answer(404, message=gettext("Certificate not found"))
        today = province_today()
        record = public_record(certificate.registration, today)
        return self._answer(200, record=_plain(record),
                            verdict=_plain(version_verdict(certificate, record, today)))

    @expose("/registration", methods=["POST"])
    @safe
    def registration(self):
        """A registration by real name plus registration number.
        ---
        post:
          summary: A registration by real name plus registration number, both exactly as
            on the certificate (no login; rate-limited per address)
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [real_name, number]
                  properties:
                    real_name:
                      type: string
                      maxLength: 64
                    number:
                      type: string
                      maxLength: 40
          responses:
            200:
              description: The live record, the ID number masked
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      record:
                        type: object
            400:
              $ref: '#/components/responses/400'
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/422'
            429:
              description: Too many lookups from this address; try again later
        """
        form = filled_form(RegistrationQueryForm)
        if form is None:
            return self.response_400(message=gettext("The request body must be a JSON object."))
        if not form.validate():
            return self.response_422(message=field_errors(form))
        registration = registration_by_name_and_number(form.real_name.data, form.number.data)
        _audit_lookup("verify_lookup", "Registration", registration and registration.id,
                      found=registration is not None)
        if registration is None:
            return self._answer(404, message=gettext(NOT_FOUND))
        return self._answer(200, record=_plain(public_record(registration, province_today())))

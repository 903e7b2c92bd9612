"""Registrations over the REST API, each list the twin of its web screen (WebTwinApi): the
practitioner's own with the PDF of the current certificate, the enterprise's, and the
authority's register with its export. The PDF and the export are the web's own functions
(print_certificate, csv_response, xlsx_response): the same version rule, signature and
audit row."""
from __future__ import annotations

from flask_appbuilder.api import rison, safe
from flask_appbuilder.api.schemas import get_list_schema
from flask_appbuilder.baseviews import expose
from flask_appbuilder.security.decorators import permission_name, protect
from marshmallow import Schema, fields

from ..accounts.api_base import WebTwinApi, twin
from ..downloads import private_download
from ..models import Registration
from .register_export import csv_response, xlsx_response
from .versions import CertificateBlocked
from .views import MyRegistrationView, certificate_file_name, print_certificate

COLUMNS = ["id", "number", "practitioner.id", "practitioner.real_name", "qualification.id",
           "qualification.name", "enterprise.id", "enterprise.name", "status",
           "first_registered_on"]
DAY = {"type": "string", "format": "date"}


class RegistrationDetail(Schema):
    specialties = fields.Method("_specialties", dump_only=True, metadata={
        "type": "array", "description": "The registered specialties and their periods",
        "items": {"type": "object", "properties": {
            "specialty": {"type": "string", "nullable": True}, "registered_on": DAY,
            "expires_on": DAY}}})
    certificate = fields.Method("_certificate", dump_only=True, metadata={
        "type": "object", "nullable": True,
        "description": "The current electronic certificate, none before the first print",
        "properties": {"version": {"type": "integer"}, "usage_until": DAY}})

    def _specialties(self, registration) -> list[dict]:
        return [{"specialty": s.specialty.name if s.specialty else None,
                 "registered_on": s.registered_on.isoformat(),
                 "expires_on": s.expires_on.isoformat()} for s in registration.specialties]

    def _certificate(self, registration) -> dict | None:
        current = registration.current_certificate
        return None if current is None else {"version": current.version,
                                              "usage_until": current.usage_until.isoformat()}


class RegistrationReadApi(WebTwinApi):
    list_columns = show_columns = COLUMNS
    detail_schema = RegistrationDetail
    openapi_spec_tag = "Registrations"


class OwnRegistrationApi(RegistrationReadApi):
    include_route_methods = {*RegistrationReadApi.include_route_methods, "certificate"}
    method_permission_name = {**RegistrationReadApi.method_permission_name,
                              "certificate": "show"}

    @expose("/<int:pk>/certificate", methods=["GET"])
    @protect()
    @safe
    @permission_name("show")
    def certificate(self, pk: int):
        """The signed PDF of the current certificate.
        ---
        get:
          summary: The signed PDF of the current certificate (a new version once the usage
            period has ended), as the print action of the web screen
          parameters:
          - in: path
            name: pk
            required: true
            schema:
              type: integer
          responses:
            200:
              description: The PDF, signed by the authority
              content:
                application/pdf:
                  schema:
                    type: string
                    format: binary
            404:
              $ref: '#/components/responses/404'
            409:
              description: No certificate can be printed now; the message says why
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      message:
                        type: string
        """
        # The web action's own pair, which FAB names bare ("certificate", not can_…), so
        # protect() cannot ask for it: it asks for can_show, and this for the action.
        if not self.appbuilder.sm.has_access("certificate", self.class_permission_name):
            return self.response_403()
        registration = self.datamodel.get(pk, self._base_filters)
        if registration is None:
            return self.response_404()
        try:
            current, pdf = print_certificate(registration)
        except CertificateBlocked as blocked:
            return self.response(409, message=str(blocked))
        fallback = f"certificate-{registration.number}-v{current.version}.pdf"
        return private_download(pdf, "application/pdf", certificate_file_name(current), fallback)


class RegisterApi(RegistrationReadApi):
    include_route_methods = {*RegistrationReadApi.include_route_methods, "export"}
    method_permission_name = {**RegistrationReadApi.method_permission_name, "export": "export"}

    @expose("/export/<kind>", methods=["GET"])
    @protect()
    @safe
    @permission_name("export")
    @rison(get_list_schema)
    def export(self, kind: str, **kwargs):
        """The register export, filtered as the list.
        ---
        get:
          summary: The register (注册名册) as CSV or Excel, the rows that the filters of the
            list (rison q) select, as the export buttons of the web screen
          parameters:
          - in: path
            name: kind
            required: true
            schema:
              type: string
              enum: [csv, xlsx]
          - in: query
            name: q
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/get_list_schema'
          responses:
            200:
              description: The file
              content:
                text/csv:
                  schema:
                    type: string
                application/vnd.openxmlformats-officedocument.spreadsheetml.sheet:
                  schema:
                    type: string
                    format: binary
            400:
              $ref: '#/components/responses/400'
        """
        if kind not in ("csv", "xlsx"):
            return self.response_404()
        # Filters of its own: FAB's self._filters is shared between requests.
        filters = self.datamodel.get_filters(self.search_columns)
        filters.rest_add_filters(kwargs.get("rison", {}).get("filters", []))
        query = self.datamodel.session.query(Registration.id)
        ids = self.datamodel.apply_filters(query, filters.get_joined_filters(self._base_filters))
        return (csv_response if kind == "csv" else xlsx_response)(ids)


def registration_apis(enterprise_view: type, register_view: type) -> list[type]:
    """The three twins; the enterprise's and the authority's screens are declared in
    app/views.py, which passes them in (this package may not import it)."""
    return [twin(MyRegistrationView, "my_registration", OwnRegistrationApi),
            twin(enterprise_view, "enterprise_registration", RegistrationReadApi),
            twin(register_view, "registration", RegisterApi)]

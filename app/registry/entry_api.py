"""入库登记 over the API: the practitioner's record, personal data, the ID photo and the
signature image (multipart/form-data, through every content check of the page), and the
submission; then the qualification certificates and the authority's roster. The twin of
RegistryEntryView: its permission pairs (api_base.add_twins) and its rules (save_details,
save_image, enter in views.py), called, not copied."""
from __future__ import annotations

from flask import request
from flask_appbuilder.api import BaseApi, expose, safe
from flask_appbuilder.security.decorators import permission_name, protect
from flask_babel import gettext

from ..accounts.api_answers import DocumentedAnswers
from ..accounts.api_base import twin
from ..accounts.api_forms import form_twin
from ..extensions import db
from ..models import Practitioner
from ..scoping import current_practitioner_id
from .images import SPECS
from .views import (
    MyQualificationCertificateView,
    RegistryEntryView,
    enter,
    save_details,
    save_image,
)

PERSON = ["real_name", "id_number", "sex", "birth_date", "phone", "email", "education"]
TEXT = {"type": "string", "nullable": True}
DONE = {"description": "Done", "content": {"application/json": {"schema": {
    "type": "object", "properties": {"message": {"type": "string"}}}}}}


def current_person() -> Practitioner | None:
    return db.session.get(Practitioner, current_practitioner_id())


class RegistryEntryApi(DocumentedAnswers, BaseApi):
    resource_name = "registry_entry"
    web_view = RegistryEntryView
    class_permission_name = "RegistryEntryView"
    openapi_spec_tag = "Registry entry"
    allow_browser_login = True
    method_permission_name = {"get": "index", "details": "details", "upload": "upload",
                              "submit": "submit"}

    def _refused(self, message):
        return self.response_422(message=str(message))

    @expose("/", methods=["GET"])
    @protect()
    @safe
    @permission_name("index")
    def get(self):
        """The signed-in practitioner's record.
        ---
        get:
          summary: The record of the signed-in practitioner, with the entry status and whether
            the photo and signature are on file
          responses:
            200:
              description: The record
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      result:
                        type: object
            404:
              $ref: '#/components/responses/404'
        """
        person = current_person()
        if person is None:
            return self.response_404()
        result = {key: getattr(person, key) for key in PERSON}
        result.update(birth_date=person.birth_date and person.birth_date.isoformat(),
                      sex=person.sex and person.sex.name,
                      registry_status=person.registry_status.name,
                      photo=person.photo_id is not None,
                      signature=person.signature_id is not None)
        return self.response(200, result=result)

    @expose("/details", methods=["PUT"])
    @protect()
    @safe
    @permission_name("details")
    def details(self):
        """Phone, e-mail and education.
        ---
        put:
          summary: The personal data a practitioner keeps (phone, e-mail, education)
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [phone]
                  properties:
                    phone:
                      type: string
                    email:
                      type: string
                    education:
                      type: string
          responses:
            200:
              $ref: '#/components/responses/Done'
            400:
              $ref: '#/components/responses/400'
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/422'
        """
        person, body = current_person(), request.get_json(silent=True)
        if person is None:
            return self.response_404()
        if not isinstance(body, dict) or not all(
                isinstance(v, str | None) for v in body.values()):
            return self.response_400(message=gettext("The request body must be a JSON object."))
        problem = save_details(person, body)
        return self._refused(problem) if problem else self.response(200, message="ok")

    @expose("/upload/<kind>", methods=["POST"])
    @protect()
    @safe
    @permission_name("upload")
    def upload(self, kind: str):
        """The ID photo or the signature image.
        ---
        post:
          summary: The ID photo (kind photo) or the handwritten signature (kind signature), as
            multipart/form-data with the image in the field file; the checks of the page apply
          parameters:
          - in: path
            name: kind
            required: true
            schema:
              type: string
              enum: [photo, signature]
          requestBody:
            required: true
            content:
              multipart/form-data:
                schema:
                  type: object
                  properties:
                    file:
                      type: string
                      format: binary
          responses:
            200:
              $ref: '#/components/responses/Done'
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/422'
        """
        person = current_person()
        if person is None or kind not in SPECS:
            return self.response_404()
        upload = request.files.get("file")
        content = upload.read(SPECS[kind].max_bytes + 1) if upload else b""
        problem = save_image(person, kind, content)
        return self._refused(problem) if problem else self.response(200, message="ok")

    @expose("/submit", methods=["POST"])
    @protect()
    @safe
    @permission_name("submit")
    def submit(self):
        """Submit the registry entry.
        ---
        post:
          summary: Submit the entry; complete at once when a certificate is verified, else a
            reviewer verifies the declared certificate first
          responses:
            200:
              description: Submitted
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      registry_status:
                        type: string
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/422'
        """
        person = current_person()
        if person is None:
            return self.response_404()
        problem, _entered = enter(person)
        if problem:
            return self._refused(problem)
        return self.response(200, registry_status=person.registry_status.name)

    def add_apispec_components(self, api_spec) -> None:
        super().add_apispec_components(api_spec)
        api_spec.components.responses["Done"] = DONE


CERTIFICATE = ["id", "qualification.id", "qualification.name", "specialty.id", "specialty.name",
               "certificate_number", "issue_date", "verification", "rejection_reason", "source"]


def certificate_apis(roster_view: type) -> list[type]:
    """One's own qualification certificates (declared through the page's form, the scan as
    multipart/form-data; one found in the roster is linked and verified at once), and the
    authority's roster (rows added, declared ones verified or rejected with the reason,
    through the roster screen's forms). The roster screen is declared in app/views.py,
    which passes it in."""
    tag = {"openapi_spec_tag": "Qualification certificates"}
    return [
        twin(MyQualificationCertificateView, "my_qualification_certificate",
             list_columns=CERTIFICATE, show_columns=CERTIFICATE, **tag),
        form_twin(MyQualificationCertificateView, "my_qualification_certificate", ("post",),
                  **tag),
        twin(roster_view, "qualification_roster", list_columns=[
            *CERTIFICATE, "real_name", "id_number", "practitioner.id"], show_columns=[
            *CERTIFICATE, "real_name", "id_number", "practitioner.id"], **tag),
        form_twin(roster_view, "qualification_roster", **tag),
    ]

"""Sign-up over the API, for a service hall terminal or another system: a practitioner's
account, or an enterprise with its administrator (usable once the authority has verified
it). The page's forms (their validators: resident ID check digit, credit code, password
rules) and the page's functions create the account; the page's rate limit per address
applies. Public by design, as the pages are."""
from __future__ import annotations

from flask_appbuilder.api import BaseApi, expose, safe
from flask_babel import gettext

from .api_answers import DocumentedAnswers
from .api_forms import field_errors, filled_form, form_schema
from .signup_views import REFUSED, EnterpriseSignupForm, PractitionerSignupForm, SignupView

FORMS = {"practitioner": PractitionerSignupForm, "enterprise": EnterpriseSignupForm}


class SignupApi(DocumentedAnswers, BaseApi):
    resource_name = "signup"
    openapi_spec_tag = "Sign-up"
    limits = SignupView.limits
    csrf_exempt = True

    @expose("/<kind>", methods=["POST"])
    @safe
    def signup(self, kind: str):
        """Ask for an account."""
        if kind not in FORMS:
            return self.response_404()
        form = filled_form(FORMS[kind])
        if form is None:
            return self.response_400(message=gettext("The request body must be a JSON object."))
        if not form.validate():
            return self.response_422(message=field_errors(form))
        if kind == "practitioner":
            problem = None if SignupView._create_practitioner(form) else str(REFUSED)
        else:
            problem = SignupView._create_enterprise(form)
        if problem:
            return self.response_422(message=problem)
        username = form.id_number.data if kind == "practitioner" else form.username.data
        return self.response(201, username=username)

    def operation_helper(self, path=None, operations=None, methods=None, func=None, **kwargs):
        super().operation_helper(path=path, operations=operations, methods=methods, func=func,
                                 **kwargs)
        operations["post"] = {
            "summary": "Sign up: a practitioner, or an enterprise with its administrator",
            "description": "kind practitioner: the practitioner logs in with the ID number. "
                           "kind enterprise: the administrator account works once the "
                           "authority has verified the enterprise. Rate-limited per address.",
            "parameters": [{"in": "path", "name": "kind", "required": True,
                            "schema": {"type": "string", "enum": list(FORMS)}}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "oneOf": [form_schema(form) for form in FORMS.values()]}}}},
            "responses": {
                "201": {"description": "Created", "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"username": {"type": "string"}}}}}},
                "400": {"$ref": "#/components/responses/400"},
                "404": {"$ref": "#/components/responses/404"},
                "422": {"$ref": "#/components/responses/422"},
                "429": {"description": "Too many sign-ups from this address"}}}

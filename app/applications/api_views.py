"""The applications over the REST API: one read API per web list, each its view's twin
(app/accounts/api_base.py WebTwinApi: the same permission, rows, order and filters): the
practitioner's own (my_application), the enterprise's queue and all its applications, the
authority's three queues and all applications. The detail adds what the web page shows
beside the columns: the timeline with every reason and item, the pre-checks, and the
transitions the caller may fire now with what each requires. Drafts are written through
each type's web form (APPLICATION_FORM_APIS, app/accounts/api_forms.py)."""
from __future__ import annotations

from flask import request, url_for
from flask_appbuilder.api import expose, safe
from flask_appbuilder.security.decorators import permission_name, protect
from flask_babel import gettext as _
from marshmallow import Schema, fields

from ..accounts.api_base import WebTwinApi, twin
from ..accounts.api_forms import form_twin
from ..audit import changes, record
from ..dates import province_now
from ..enums import ApplicationState
from ..extensions import db
from ..scoping import acting_user
from ..workflow import BY_NAME, ENTERPRISE_CHECKS
from . import views
from .return_answers import answer_fields, label, returnable_items, save_answer
from .rules import run_prechecks
from .transitions import available
from .workflow_views import FILED_DETAILS

# Related rows as {id, name}: the id is what rison `q` filters by (rel_o_m).
LIST_COLUMNS = ["id", "app_type", "state", "practitioner.id", "practitioner.real_name",
                "qualification.id", "qualification.name", "enterprise.id", "enterprise.name",
                "city", "registration.id", "registration.number", "submitted_at", "deadline",
                "decided_at"]
SHOW_COLUMNS = [*LIST_COLUMNS, "specialties.id", "specialties.name", "created_at"]


def _array_of(properties: dict, description: str) -> dict:
    return {"type": "array", "description": description,
            "items": {"type": "object", "properties": properties}}


TEXT, NULLABLE_TEXT = {"type": "string"}, {"type": "string", "nullable": True}
ITEMS = {"type": "array", "items": {"type": "object"}}


class ApplicationDetail(Schema):
    """The fields added to an application's detail; FAB's schema gives the columns."""

    filed = fields.Method("_filed", dump_only=True, metadata={
        "type": "object", "additionalProperties": TEXT,
        "description": "What the applicant wrote besides the columns, by field"})
    timeline = fields.Method("_timeline", dump_only=True, metadata=_array_of({
        "at": TEXT, "transition": TEXT, "label": TEXT, "from_state": TEXT, "to_state": TEXT,
        "actor_role": TEXT, "reason": NULLABLE_TEXT, "items": ITEMS},
        "Every transition so far, oldest first, with its reason and items"))
    prechecks = fields.Method("_prechecks", dump_only=True, metadata=_array_of({
        "rule": TEXT, "severity": TEXT, "outcome": TEXT, "message": TEXT},
        "The pre-checks as the reviewer sees them now"))
    to_correct = fields.Method("_to_correct", dump_only=True, metadata=_array_of({
        "key": TEXT, "kind": TEXT, "label": TEXT, "reason": TEXT},
        "What the latest return asks to correct, item by item (empty unless returned): "
        "POST my_application/<id>/answer with each key"))
    transitions = fields.Method("_transitions", dump_only=True, metadata=_array_of({
        "name": TEXT, "label": TEXT, "url": TEXT, "reason": {"type": "boolean"},
        "items": ITEMS, "confirm": ITEMS, "prechecks": {"type": "boolean"}},
        "What the caller may do now: POST url with the body the transition requires "
        "(reason; items, each one of those listed; confirm, each check listed)"))

    def _filed(self, app) -> dict:
        details = app.details or {}
        return {key: str(details[key]) for key in FILED_DETAILS if details.get(key)}

    def _timeline(self, app) -> list[dict]:
        return [{"at": province_now(d.created_at).isoformat(), "transition": d.transition,
                 "label": _(BY_NAME[d.transition].label) if d.transition in BY_NAME
                 else d.transition, "from_state": d.from_state.name,
                 "to_state": d.to_state.name, "actor_role": d.actor_role, "reason": d.reason,
                 "items": d.items or []} for d in sorted(app.decisions, key=lambda d: d.id)]

    def _to_correct(self, app) -> list[dict]:
        if app.state != ApplicationState.returned:
            return []
        return [{k: str(f[k]) for k in ("key", "kind", "label", "reason")}
                for f in answer_fields(app)]

    def _prechecks(self, app) -> list[dict]:
        return [{"rule": r.rule, "severity": r.severity, "outcome": r.outcome,
                 "message": str(r.message)} for r in run_prechecks(app)]

    def _transitions(self, app) -> list[dict]:
        returnable = [{"key": key, "label": label(key)} for key in returnable_items(app)]
        return [{"name": t.name, "label": _(t.label), "reason": t.reason,
                 "url": url_for(f"WorkflowApi.fire_{t.name}", pk=app.id),
                 "items": returnable if t.items else [], "prechecks": t.prechecks,
                 "confirm": [{"key": k, "label": _(ENTERPRISE_CHECKS[k])} for k in t.requires]}
                for t in available(app, acting_user().id)]


class ApplicationReadApi(WebTwinApi):
    list_columns = LIST_COLUMNS
    show_columns = SHOW_COLUMNS
    openapi_spec_tag = "Applications"
    detail_schema = ApplicationDetail


class OwnApplicationApi(ApplicationReadApi):
    """The practitioner's own, with the answer to a return (the web's 逐项补正)."""

    include_route_methods = {*ApplicationReadApi.include_route_methods, "answer"}
    method_permission_name = {**ApplicationReadApi.method_permission_name, "answer": "edit"}

    @expose("/<int:pk>/answer", methods=["POST"])
    @protect()
    @safe
    @permission_name("edit")  # as the web's answer page
    def answer(self, pk: int):
        """Correct what the return named.
        ---
        post:
          summary: Correct what the latest return named, item by item (to_correct in the
            detail), as multipart/form-data (a new photo, signature or document under the
            item key; a note under note_KEY) or JSON for the contact items; then fire
            resubmit
          parameters:
          - in: path
            name: pk
            required: true
            schema:
              type: integer
          requestBody:
            content:
              multipart/form-data:
                schema:
                  type: object
                  additionalProperties: true
              application/json:
                schema:
                  type: object
                  additionalProperties:
                    type: string
          responses:
            200:
              description: Saved; the application stays returned until resubmitted
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      id:
                        type: integer
            404:
              $ref: '#/components/responses/404'
            409:
              description: The application is not returned
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      message:
                        type: string
            422:
              $ref: '#/components/responses/422'
        """
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            return self.response_404()
        if item.state != ApplicationState.returned:
            return self.response(409, message=_("Only a returned application is corrected here."))
        values = request.get_json(silent=True) if request.is_json else request.form
        if not isinstance(values, dict) and not hasattr(values, "getlist"):
            return self.response_400(message=_("The request body must be a JSON object."))
        errors = save_answer(item, values, request.files)
        if errors:
            db.session.rollback()
            return self.response_422(message={key: [str(e)] for key, e in errors.items()})
        record("return_answer", object_type="Application", object_id=item.id,
               detail={"changes": changes(item.practitioner)})
        db.session.commit()
        return self.response(200, id=item.id)


APPLICATION_APIS = [twin(view, resource, base) for view, resource, base in (
    (views.MyApplicationView, "my_application", OwnApplicationApi),
    (views.EnterpriseQueueView, "enterprise_queue", ApplicationReadApi),
    (views.EnterpriseApplicationView, "enterprise_application", ApplicationReadApi),
    (views.AcceptanceQueueView, "acceptance_queue", ApplicationReadApi),
    (views.ReviewQueueView, "review_queue", ApplicationReadApi),
    (views.DecisionQueueView, "decision_queue", ApplicationReadApi),
    (views.ApplicationAdminView, "application", ApplicationReadApi),
)]

# A draft of each type, written through its own web form (its fields and rules), and
# edited while it is a draft or returned: POST /api/v1/apply_<type>/, PUT …/<id>.
APPLICATION_FORM_APIS = [
    form_twin(view, f"apply_{view.app_type.name}", openapi_spec_tag="Applications")
    for view in views.FORM_VIEWS]

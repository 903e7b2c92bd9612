"""The applications over the REST API: one read API per web list, each its view's twin
(app/accounts/api_base.py WebTwinApi: the same permission, rows, order and filters): the
practitioner's own (my_application), the enterprise's queue and all its applications, the
authority's three queues and all applications. The detail adds what the web page shows
beside the columns: the timeline with every reason and item, the pre-checks, and the
transitions the caller may fire now with what each requires. Drafts are written through
each type's web form (APPLICATION_FORM_APIS, app/accounts/api_forms.py)."""
from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from marshmallow import Schema, fields

from ..accounts.api_base import WebTwinApi, twin
from ..accounts.api_forms import form_twin
from ..dates import province_now
from ..scoping import acting_user
from ..workflow import BY_NAME, ENTERPRISE_CHECKS
from . import views
from .return_answers import label, returnable_items
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


APPLICATION_APIS = [twin(view, resource, ApplicationReadApi) for view, resource in (
    (views.MyApplicationView, "my_application"),
    (views.EnterpriseQueueView, "enterprise_queue"),
    (views.EnterpriseApplicationView, "enterprise_application"),
    (views.AcceptanceQueueView, "acceptance_queue"),
    (views.ReviewQueueView, "review_queue"),
    (views.DecisionQueueView, "decision_queue"),
    (views.ApplicationAdminView, "application"),
)]

# A draft of each type, written through its own web form (its fields and rules), and
# edited while it is a draft or returned: POST /api/v1/apply_<type>/, PUT …/<id>.
APPLICATION_FORM_APIS = [
    form_twin(view, f"apply_{view.app_type.name}", openapi_spec_tag="Applications")
    for view in views.FORM_VIEWS]

"""The OpenAPI operations of the transition routes (POST /api/v1/application/<id>/<name>),
written from the transition table as the routes are: who fires it, from which states to
which, and what it requires (a reason, items, the enterprise's confirmations, the
pre-checks, separation of duties). Built when the document is requested, so that it reads in
the request's language."""
from __future__ import annotations

from flask_babel import gettext as _

from ..enums import N_, ApplicationState
from ..security import ROLES
from ..workflow import AUTHORITY, BY_NAME, ENTERPRISE_CHECKS, OWN, OWN_ENTERPRISE, Transition
from .transitions import MAX_TEXT

REQUEST = "TransitionRequest"
DONE = "TransitionDone"
REFUSAL = "TransitionRefusal"
SCOPES = {OWN: N_("own applications"),
          OWN_ENTERPRISE: N_("the applications addressed to the user's enterprise"),
          AUTHORITY: N_("every application")}


def components() -> dict[str, dict]:
    """The schemas the operations refer to."""
    return {
        REQUEST: {
            "type": "object",
            "properties": {
                "reason": {"type": "string", "maxLength": MAX_TEXT,
                           "description": _("The reason, stated in the notice.")},
                "items": {"type": "array", "description": _(
                    "Items to correct: each a field or attachment and its reason."),
                    "items": {"type": "object", "required": ["field", "reason"],
                              "properties": {"field": {"type": "string"},
                                             "reason": {"type": "string"}}}},
                "confirm": {"type": "array", "uniqueItems": True,
                            "items": {"type": "string", "enum": list(ENTERPRISE_CHECKS)},
                            "description": _("The names of the checks confirmed.")},
            },
        },
        DONE: {
            "type": "object", "required": ["id", "state", "decision_id"],
            "properties": {"id": {"type": "integer"},
                           "state": {"type": "string", "enum": [s.name for s in ApplicationState]},
                           "decision_id": {"type": "integer"}},
        },
        REFUSAL: {
            "type": "object", "required": ["message"],
            "properties": {"message": {"type": "string"},
                           "details": {"description": _(
                               "What was wrong, by field (reason, items, confirm), or the "
                               "pre-checks' results (prechecks)."),
                               "type": "object", "nullable": True}},
        },
    }


def _states(states) -> str:
    return "、".join(_(s.value) for s in sorted(states, key=lambda s: s.name))


def description(transition: Transition) -> str:
    lines = [_("Fired by: %(role)s, on %(scope)s.", role=ROLES[transition.role].name,
               scope=_(SCOPES[transition.scope])),
             _("From: %(source)s; to: %(target)s.", source=_states(transition.source),
               target=_(transition.target.value))]
    if transition.reason:
        lines.append(_("A reason is required (reason)."))
    if transition.items:
        lines.append(_("Items to correct may be listed (items), each with its reason; the "
                       "fields that may be named depend on the application."))
    if transition.name == "review_return":
        lines.append(_("At least one item is required."))
    if transition.requires:
        lines.append(_("Each of these checks must be confirmed (confirm): %(checks)s.", checks="；".join(
            f"{key}（{_(ENTERPRISE_CHECKS[key])}）" for key in transition.requires)))
    if transition.prechecks:
        lines.append(_("The pre-checks run first: a blocking failure answers 422 with each "
                       "check's result in details.prechecks."))
    if transition.separate_from:
        lines.append(_("Separation of duties: whoever did %(names)s on the application may "
                       "not do this.", names="、".join(_(BY_NAME[n].label)
                                                     for n in transition.separate_from)))
    return "\n\n".join(lines)


def _refusal(text: str) -> dict:
    return {"description": text,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{REFUSAL}"}}}}


def operation(transition: Transition) -> dict:
    body = {"$ref": f"#/components/schemas/{REQUEST}"}
    required = [name for name, needed in (("reason", transition.reason),
                                          ("confirm", bool(transition.requires)),
                                          ("items", transition.name == "review_return")) if needed]
    if required:
        body = {"allOf": [body, {"type": "object", "required": required}]}
    return {
        "operationId": f"application_{transition.name}",
        "summary": _(transition.label),
        "description": description(transition),
        "parameters": [{"in": "path", "name": "pk", "required": True,
                        "schema": {"type": "integer"}, "description": _("Application No.")}],
        "requestBody": {"required": bool(required),
                        "content": {"application/json": {"schema": body}}},
        "responses": {
            "200": {"description": _("Done: the application's new state and the history row."),
                    "content": {"application/json": {
                        "schema": {"$ref": f"#/components/schemas/{DONE}"}}}},
            "400": _refusal(_("The request could not be read.")),
            "401": _refusal(_("Not signed in.")),
            "403": _refusal(_("Not allowed: the role may not fire this, or separation of duties.")),
            "404": _refusal(_("No such application in the user's scope (another user's "
                              "application answers the same).")),
            "409": _refusal(_("The application is no longer in a state this applies to.")),
            "422": _refusal(_("The reason, items or confirmations were wanting, or a pre-check "
                              "failed: see details.")),
        },
        "security": [{"jwt": []}],
    }

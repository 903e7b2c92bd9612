"""Firing a transition of app/workflow.py: scope, permission, payload, separation of duties,
pre-checks, then one conditional UPDATE and its history row in a single transaction.

Two people (or two tabs, or a double click) acting on the same application at once produce
exactly one transition: the UPDATE only matches while the application is still in the state
and version that was read, so the second attempt finds no row and is told it was handled."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import exists, inspect, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from ..audit import record
from ..dates import province_today
from ..enums import ApplicationState, AuditResult
from ..extensions import db
from ..models import Application, Decision
from ..notifications import default_locale, deliver_outbox, forget_outbox
from ..scoping import NOBODY, current_enterprise_id, current_practitioner_id
from ..security import ROLES
from ..workflow import (
    AUTHORITY,
    BY_NAME,
    ENTERPRISE_CHECKS,
    OWN,
    OWN_ENTERPRISE,
    WORKFLOW_PERMISSION_VIEW,
    Transition,
    transitions_from,
)
from .deadlines import deadline_for
from .effects import EffectRefused, apply_approval
from .return_answers import details_at, item_key, label, returnable_items
from .rules import run_prechecks
from .signals import transition_fired

MAX_TEXT = 2000


class TransitionError(Exception):
    status = 400

    def __init__(self, message: str, details: dict | list | None = None):
        super().__init__(message)
        self.message = message
        self.details = details

    def shown(self) -> str:
        """The refusal as a person reads it on a page: the message and what the details say,
        except the pre-check list, which the page shows in its own panel."""
        details = self.details if isinstance(self.details, dict) else {}
        return "；".join([self.message, *(str(v) for k, v in details.items() if k != "prechecks")])


class NotFound(TransitionError):
    status = 404


class Forbidden(TransitionError):
    status = 403


class Conflict(TransitionError):
    status = 409


class Invalid(TransitionError):
    status = 422


@dataclass
class Payload:
    reason: str = ""
    items: list[dict] = field(default_factory=list)
    confirmations: set[str] = field(default_factory=set)

    @classmethod
    def from_mapping(cls, data, getlist=None) -> Payload:
        """From a JSON body or a web form (items as parallel item_field / item_reason).
        A JSON value of the wrong type is refused (422, naming the field), never turned into
        text: a reason is a string, items a list of objects, confirm a list of names."""
        data = data or {}
        if getlist is not None:
            fields, reasons = getlist("item_field"), getlist("item_reason")
            items = [{"field": f, "reason": r} for f, r in zip(fields, reasons, strict=False)]
            confirmations = getlist("confirm")
        else:
            _check_types(data)
            items, confirmations = data.get("items") or [], data.get("confirm") or []
        reason = (data.get("reason") or "").strip()
        items = [{"field": (i.get("field") or "").strip(), "reason": (i.get("reason") or "").strip()}
                 for i in items]
        items = [i for i in items if i["field"] or i["reason"]]
        return cls(reason, items, set(confirmations))


def _is_text(value) -> bool:
    return value is None or isinstance(value, str)


def _check_types(data) -> None:
    errors = {}
    if not isinstance(data, dict):
        raise Invalid(_("The request body must be a JSON object (names with their values)."))
    if not _is_text(data.get("reason")):
        errors["reason"] = _("The reason must be text.")
    items = data.get("items")
    if items is not None and not (isinstance(items, list) and all(
            isinstance(i, dict) and _is_text(i.get("field")) and _is_text(i.get("reason"))
            for i in items)):
        errors["items"] = _("The items must be a list, each with its field and reason as text.")
    confirm = data.get("confirm")
    if confirm is not None and not (isinstance(confirm, list) and all(
            isinstance(c, str) for c in confirm)):
        errors["confirm"] = _("Confirm must be a list of the names of the checks confirmed.")
    if errors:
        raise Invalid(_("The action could not be done; please check the form."), errors)


def has_permission(transition: Transition) -> bool:
    return current_app.appbuilder.sm.has_access(
        f"can_{transition.permission}", WORKFLOW_PERMISSION_VIEW)


def scope_clause(transition: Transition):
    if transition.scope == OWN:
        return Application.practitioner_id == current_practitioner_id()
    if transition.scope == OWN_ENTERPRISE:
        return Application.enterprise_id == current_enterprise_id()
    if transition.scope == AUTHORITY:
        return Application.id.isnot(None)
    return Application.id == NOBODY  # unknown scope: deny


# What fire(), the pre-checks (rules.py), the approval's effects (effects.py,
# app/certificates/versions.py) and the parties' messages read of an application: loaded
# with it in one query (the single rows and the few specialties joined), instead of one
# lazy load per attribute as each part first touches it.
LOADED_WITH = (
    joinedload(Application.practitioner), joinedload(Application.qualification),
    joinedload(Application.enterprise), joinedload(Application.registration),
    joinedload(Application.specialties),
)


def _decided_by(user_id: int, transition: Transition):
    """Whether this user fired one of the transitions this one must be separate from, as a
    column of the application's query (fire() needs only this of its decisions)."""
    if not transition.separate_from:
        return literal(False)
    return exists().where(Decision.application_id == Application.id,
                          Decision.actor_id == user_id,
                          Decision.transition.in_(transition.separate_from))


def _load(pk: int, transition: Transition, user_id: int) -> tuple[Application, bool]:
    """The application and whether separation of duties lets this user fire `transition`."""
    row = db.session.execute(
        select(Application, _decided_by(user_id, transition)).options(*LOADED_WITH)
        .where(Application.id == pk, scope_clause(transition))).unique().first()
    if row is None:
        raise NotFound(_("The application does not exist."))
    app, decided = row
    return app, not decided


def separation_ok(app: Application, transition: Transition, user_id: int) -> bool:
    if not transition.separate_from:
        return True
    return not any(d.actor_id == user_id and d.transition in transition.separate_from
                   for d in app.decisions)


def available(app: Application, user_id: int) -> list[Transition]:
    """The transitions this user may fire on this application now (the buttons)."""
    result = []
    for transition in transitions_from(app.state):
        if not has_permission(transition):
            continue
        in_scope = db.session.scalar(select(Application.id).where(
            Application.id == app.id, scope_clause(transition)))
        if in_scope is not None and separation_ok(app, transition, user_id):
            result.append(transition)
    return result


def _validate(app: Application, transition: Transition, payload: Payload) -> None:
    errors = {}
    if transition.reason and not payload.reason:
        errors["reason"] = _("State the reason.")
    if len(payload.reason) > MAX_TEXT:
        errors["reason"] = _("At most %(n)s characters.", n=MAX_TEXT)
    if payload.items and not transition.items:
        errors["items"] = _("This action takes no itemised list.")
    if transition.name == "review_return" and not payload.items:
        errors["items"] = _("List every item to correct, each with its reason.")
    if any(not i["field"] or not i["reason"] for i in payload.items):
        errors["items"] = _("Each item needs the field or attachment and its reason.")
    elif payload.items:
        allowed = returnable_items(app)
        unknown = [i["field"] for i in payload.items if item_key(i["field"]) not in allowed]
        if unknown:
            errors["items"] = _("These items cannot be named in a return of this application "
                                "(the applicant could not correct them): %(items)s. Choose "
                                "from: %(allowed)s.", items="、".join(unknown),
                                allowed="、".join(label(k) for k in allowed))
        else:
            with default_locale():  # stored as the messages are, with the key for the answer
                for item in payload.items:
                    item["key"] = item_key(item["field"])
                    item["field"] = label(item["key"])
    missing = [key for key in transition.requires if key not in payload.confirmations]
    if missing:
        errors["confirm"] = _("Confirm: %(items)s", items="；".join(
            _(ENTERPRISE_CHECKS[key]) for key in missing))
    if errors:
        raise Invalid(_("The action could not be done; please check the form."), errors)


# Refusals that say someone tried what they may not (or no longer) do: each gets an audit
# row. A form error (422) is not an attempt on the application and is not recorded.
AUDITED_REFUSALS = (NotFound, Forbidden, Conflict)


def fire(pk: int, name: str, user, payload: Payload, today: dt.date | None = None) -> Decision:
    try:
        decision = _fire(pk, name, user, payload, today)
    except AUDITED_REFUSALS as refused:
        db.session.rollback()  # the refused attempt's row stands alone
        forget_outbox()
        record(f"transition:{name}", object_type="Application", object_id=pk,
               result=AuditResult.denied, actor=user, commit=True,
               detail={"status": refused.status, "message": str(refused.message)})
        raise
    except Exception:
        forget_outbox()
        raise
    # Committed: now the e-mail copies, which can neither fail nor undo the transition.
    deliver_outbox()
    return decision


def _fire(pk: int, name: str, user, payload: Payload, today: dt.date | None) -> Decision:
    today = today or province_today()
    transition = BY_NAME.get(name)
    if transition is None:
        raise NotFound(_("Unknown action."))
    if not has_permission(transition):
        raise Forbidden(_("You are not allowed to do this."))
    app, separated = _load(pk, transition, user.id)
    if app.state not in transition.source:
        raise Conflict(_("This application has already been handled (now: %(s)s). "
                         "Reload the page to see where it stands.", s=app.state))
    _validate(app, transition, payload)
    if not separated:
        raise Forbidden(_("Separation of duties: the person who reviewed an application "
                          "cannot also decide it."))
    prechecks = run_prechecks(app, today) if transition.prechecks else []
    blocking = [r.message for r in prechecks if r.blocks]
    if blocking:
        raise Invalid(_("The pre-checks failed: %(m)s", m="；".join(blocking)),
                      {"prechecks": [r.as_dict() for r in prechecks]})

    from_state, version = app.state, app.version
    values = _state_values(app, transition, today, prechecks)
    done = db.session.execute(
        update(Application)
        .where(Application.id == app.id, Application.state == from_state,
               Application.version == version)
        .values(state=transition.target, version=version + 1, **values)
        .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        db.session.rollback()
        raise Conflict(_("This application has just been handled by someone else. "
                         "Reload the page to see where it stands."))
    # The row now holds what the UPDATE wrote: set it on the object as loaded, rather than
    # expire it (which would drop the relations loaded with it and load each again).
    for key, value in {"state": transition.target, "version": version + 1, **values}.items():
        set_committed_value(app, key, value)
    decision = Decision(
        application_id=app.id, transition=transition.name, from_state=from_state,
        to_state=transition.target, actor_id=user.id, actor_role=ROLES[transition.role].name,
        reason=payload.reason or None, items=payload.items or None)
    db.session.add(decision)
    record(f"transition:{transition.name}", object_type="Application", object_id=app.id,
           actor=user, detail={"from": from_state, "to": transition.target,
                               "reason": payload.reason or None})
    try:
        # What follows only adds rows and reads rows the objects pending in this session do
        # not change: they are written together by the flushes the effects ask for and the
        # commit's, not by one autoflush before each read.
        with db.session.no_autoflush:
            # The parties' messages (received by app/service/transition_messages.py), in
            # this transaction: none if it is refused or rolled back.
            transition_fired.send(app, transition=transition, reason=payload.reason,
                                  items=payload.items)
            if transition.target == ApplicationState.approved:
                apply_approval(app, today)
        _commit_keeping(decision)
    except (EffectRefused, IntegrityError):
        db.session.rollback()
        raise Conflict(_("The register could not take this change; it may conflict with "
                         "another registration. Nothing was changed.")) from None
    return decision


def _commit_keeping(*items) -> None:
    """Commit; `items` keep the values they were written with. The session expires every
    object on commit, and the caller's first look at the decision (its id, its state) would
    read the row just written back with one more SELECT."""
    db.session.flush()
    kept = [(item, {attr.key: getattr(item, attr.key)
                    for attr in inspect(item).mapper.column_attrs}) for item in items]
    db.session.commit()
    for item, values in kept:
        for key, value in values.items():
            set_committed_value(item, key, value)


def _state_values(app: Application, transition: Transition, today: dt.date, prechecks) -> dict:
    # The authority's clock: acceptance starts one limit, acceptance the decision limit;
    # passing to decision and sending back keep it; anything else stops it.
    deadline = deadline_for(transition.target, app.app_type.name, today)
    if transition.target == ApplicationState.pending_decision or transition.name == "send_back":
        deadline = app.deadline
    values: dict = {"deadline": deadline}
    if transition.name in ("submit", "resubmit"):
        values["submitted_at"] = dt.datetime.now(dt.UTC)
        values["city"] = app.enterprise.city if app.enterprise else None
    if transition.target in (ApplicationState.approved, ApplicationState.refused):
        values["decided_at"] = dt.datetime.now(dt.UTC)
    details = details_at(app, transition.name, transition.target)
    if prechecks:
        details = {**(details or app.details or {}),
                   "prechecks": [r.as_dict() for r in prechecks]}
    if details is not None:
        values["details"] = details
    return values

"""Batch actions on the application lists, generated from app/workflow.py.

A list offers, as FAB list actions (the tick boxes and the action menu), the transitions that
can fire on its rows: those from a state its base_filters let it show, by a role that may open
it. Each action's FAB permission ("batch_<transition>" on the view) is granted, by
app/security.py, to the transition's role only, so FAB's own template hides the others.
Every ticked row then goes through fire() (app/applications/transitions.py) with all its
checks; nothing here decides whether a row may move. A reason, items or the enterprise's
confirmations are asked once for the batch, on a page listing the ticked applications; the
result page lists each row's outcome."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, request, url_for
from flask_appbuilder.actions import ActionItem
from flask_appbuilder.baseviews import expose
from flask_appbuilder.models.sqla.filters import FilterEqual, FilterNotEqual
from flask_babel import LazyString, gettext
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..audit import record
from ..enums import ApplicationState, AuditResult
from ..extensions import db
from ..models import Application
from ..scoping import acting_user
from ..security import BATCH_PREFIX, ROLES
from ..workflow import BY_NAME, ENTERPRISE_CHECKS, TRANSITIONS, Transition
from .return_answers import ITEMS, label, returnable_items
from .transitions import Invalid, Payload, TransitionError, fire, scope_clause

PREFIX = BATCH_PREFIX
MAX_BATCH = 200  # rows per action: one request, kept well inside a worker's timeout
FORM_FIELDS = ("reason", "items", "confirm")  # fire()'s errors that concern the batch's form
ICONS = {"success": "fa-check", "danger": "fa-times", "warning": "fa-undo"}


def view_states(view) -> set[ApplicationState]:
    """The states a list's rows can be in, read from its base_filters on `state`."""
    states = set(ApplicationState)
    for column, flt, value in view.base_filters or []:
        if column == "state" and issubclass(flt, FilterEqual):
            states &= {value}
        elif column == "state" and issubclass(flt, FilterNotEqual):
            states -= {value}
    return states


def batch_transitions(view) -> list[Transition]:
    """The transitions a batch of this list's rows can take: from a state the list shows, by
    a role that may open the list. Whether a row may take it is fire()'s to say."""
    states = view_states(view)
    opens = ("can_list", view.class_permission_name)
    return [t for t in TRANSITIONS if t.source & states and opens in ROLES[t.role].permissions()]


def batch_label(transition: Transition) -> str:
    return gettext("Batch: %(action)s", action=gettext(transition.label))


def asks_a_form(transition: Transition) -> bool:
    """A reason, items or confirmations are asked for on the batch's own page."""
    return bool(transition.reason or transition.items or transition.requires)


def batch_confirmation(transition: Transition) -> str:
    """Asked in FAB's dialog before a batch that has no page of its own runs (批量准予注册
    issues registrations at one click otherwise)."""
    return gettext("Carry out “%(action)s” on every ticked application? Each one is still "
                   "checked on its own, and the next page lists what was done.",
                   action=batch_label(transition))


def ticked_ids() -> list[int]:
    """The ticked rows' ids, each once (app/accounts/request_checks.py has already answered
    404 to a rowid that is not a whole number)."""
    return [int(value) for value in dict.fromkeys(request.form.getlist("rowid"))]


def list_as_left(list_url: str) -> str:
    """The list as the user left it, with its search, order and page: read from the page the
    action was posted from (the list itself, or the batch's form, which carries it on), so
    that 返回列表 and 取消 do not drop a filter. Only the query is taken, on the list's own
    path, so it can never lead elsewhere."""
    for seen in (request.form.get("batch_back", ""), request.referrer or ""):
        parts = urlsplit(seen)
        if parts.path == list_url:
            return f"{list_url}?{parts.query}" if parts.query else list_url
    return list_url


def too_many_or_none(ids, back: str, limit: int = MAX_BATCH):
    """A redirect with the reason when the batch is empty or over its limit, else None."""
    count = len(ids)
    if count == 0:
        flash(gettext("Tick at least one row first."), "warning")
        return redirect(back)
    if count > limit:
        flash(gettext("At most %(max)s rows at a time: you ticked %(n)s. Nothing was done; "
                      "tick fewer rows (or search to narrow the list).", max=limit, n=count),
              "warning")
        return redirect(back)
    return None


def own_actions_only(view) -> None:
    """FAB appends action permissions to base_permissions in place, and many views share one
    list (view_base.READ): each view gets its own copy first."""
    if view.base_permissions is not None:
        view.base_permissions = list(view.base_permissions)


class BatchTransitions:
    """Mixin for an application list (before the ModelView in the bases)."""

    batch_form_template = "batch_form.html"
    batch_result_template = "batch_result.html"

    def __init__(self, **kwargs):
        own_actions_only(self)
        super().__init__(**kwargs)
        for transition in batch_transitions(self):
            name = PREFIX + transition.name
            confirmation = None if asks_a_form(transition) else LazyString(
                batch_confirmation, transition)
            self.actions[name] = ActionItem(
                name, LazyString(batch_label, transition), confirmation,
                ICONS.get(transition.style, "fa-share"), True, False, func=self._batch_func(name))
            self.base_permissions.append(name)

    def _batch_func(self, name):
        def run(ids):
            return self._run_batch(name)

        run.__name__ = name  # FAB looks up method_permission_name by the function's name
        return run

    @expose("/action_post", methods=["POST"])
    def action_post(self):
        name = request.form.get("action", "")
        if name.startswith(PREFIX) and name.removeprefix(PREFIX) in BY_NAME:
            return self._run_batch(name)
        return super().action_post()

    def _run_batch(self, name: str):
        """The rows are handed to fire() by id, not looked up through this list: a row that
        has left the list meanwhile (another reviewer acted) is reported, not a 404."""
        back = list_as_left(url_for(f"{self.endpoint}.list"))
        ids = ticked_ids()
        transition = BY_NAME[name.removeprefix(PREFIX)]
        if name not in self.actions or not current_app.appbuilder.sm.has_access(
                name, self.class_permission_name):
            return self._refuse(transition, ids, back)
        stop = too_many_or_none(ids, back)
        if stop is not None:
            return stop
        rows, returnable = describe(ids, transition)
        needs_form = asks_a_form(transition)
        if needs_form and request.form.get("batch_step") != "fire":
            return self._form(transition, ids, rows, returnable, errors={}, back=back)
        outcomes = fire_each(ids, transition, rows)
        if not any(o["done"] for o in outcomes) and needs_form:
            errors = form_errors(outcomes)
            if errors:  # the batch's reason or confirmations were wanting: ask again
                return self._form(transition, ids, rows, returnable, errors=errors, back=back)
        return self.render_template(
            self.batch_result_template, title=batch_label(transition), outcomes=outcomes,
            done=sum(o["done"] for o in outcomes), back=back,
            link=lambda pk: url_for(f"{self.after_action_view}.show", pk=pk),
            id_label=gettext("Application No."), name_label=gettext("Applicant"))

    def _form(self, transition: Transition, ids, rows, returnable, errors, back: str):
        return self.render_template(
            self.batch_form_template, title=batch_label(transition), transition=transition,
            action_name=PREFIX + transition.name, ids=ids, rows=rows, errors=errors,
            checks=ENTERPRISE_CHECKS, returnable=returnable if transition.items else [],
            item_label=label, typed=request.form, back=back,
            post_url=url_for(f"{self.endpoint}.action_post"))

    def _refuse(self, transition: Transition, ids, back: str):
        """An action this role is not given (a forged form): refused and recorded, as
        fire() records a refused transition."""
        message = gettext("You are not allowed to do this.")
        record(f"transition:{transition.name}", object_type="Application",
               result=AuditResult.denied, commit=True,
               detail={"status": 403, "message": message, "batch": ids[:MAX_BATCH]})
        flash(message, "danger")
        return redirect(back)


def describe(ids, transition: Transition) -> tuple[dict[int, dict], list[str]]:
    """What the form and result pages show of each ticked row, read once in the
    transition's scope (a forged id of someone else's application shows nothing), and the
    items a return of any of them may name."""
    found = list(db.session.scalars(
        select(Application).where(Application.id.in_(ids), scope_clause(transition))
        .options(joinedload(Application.practitioner), joinedload(Application.qualification))))
    rows = {a.id: {"id": a.id, "name": a.practitioner.real_name,
                   "type": gettext(a.app_type.value), "qualification": a.qualification.name,
                   "state": gettext(a.state.value)} for a in found}
    named = {key for a in found for key in returnable_items(a)}
    return rows, [key for key in ITEMS if key in named]


def fire_each(ids, transition: Transition, rows) -> list[dict]:
    """fire() on every row, each in its own transaction, with a payload of its own (fire()
    rewrites the items it is given)."""
    user = acting_user()
    outcomes = []
    for pk in ids:
        payload = Payload.from_mapping(request.form, request.form.getlist)
        try:
            fire(pk, transition.name, user, payload)
        except TransitionError as refused:
            details = refused.details if isinstance(refused.details, dict) else {}
            outcomes.append(outcome(pk, rows.get(pk), refused.shown(), refused, details))
            continue
        outcomes.append(outcome(pk, rows.get(pk), None))
    return outcomes


def outcome(pk, row, refusal, error=None, details=None) -> dict:
    return {"id": pk, "row": row, "done": refusal is None, "message": refusal,
            "form_error": isinstance(error, Invalid) and bool(set(details or {}) & set(FORM_FIELDS)),
            "details": details or {}}


def form_errors(outcomes) -> dict:
    """The form's errors, when every row was refused for them (nothing else was wrong)."""
    if not outcomes or not all(o["form_error"] for o in outcomes):
        return {}
    return {k: str(v) for k, v in outcomes[0]["details"].items() if k in FORM_FIELDS}


__all__ = ["MAX_BATCH", "BatchTransitions", "batch_transitions", "too_many_or_none",
           "ticked_ids", "own_actions_only"]

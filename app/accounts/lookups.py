"""Type-ahead choice of a row from a relation that grows with the register (40,000
enterprises, an account per person): the form sends only what was chosen, the page asks
the view for matches as one types, and the view answers at most 20, scoped like the rest.

Why not FAB's own AJAXSelectField and Select2AJAXWidget: FAB's script (ab.js
loadSelectData) fetches the endpoint's whole answer once, without the typed text, which is
the very cost removed here; and the field looks the posted id up without any scope, through
the model's interface, so a forged id chose any enterprise (and a non-numeric one failed in
PostgreSQL). Why not ModelRestApi's `related` endpoint: it filters on one column (we match a
name or a credit code), counts the whole relation on every key press, needs a REST API and
its own permission per model, and its scope is per relation, not per asking screen. Here
the route lives on the screen that shows the field and takes that screen's own permission
(`lookup_permission`), so whoever may use the screen may look up, and nobody else."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import abort, jsonify, request, url_for
from flask_appbuilder.baseviews import expose
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import or_, select
from wtforms import Field
from wtforms.fields.core import UnboundField
from wtforms.validators import Optional, StopValidation

from ..enums import EnterpriseStatus
from ..extensions import db
from ..models import Enterprise
from ..scoping import NOBODY, current_enterprise_id

MIN_CHARS = 2
MAX_MATCHES = 20
MAX_TERM = 64


def _own_enterprise_only(query):
    """An enterprise's staff see their own enterprise and no other, wherever they look."""
    own = current_enterprise_id()
    return query if own == NOBODY else query.where(Enterprise.id == own)


@dataclass(frozen=True)
class Lookup:
    model: type
    searched: Callable[[], tuple]  # the columns a typed text is matched against
    label: Callable[[object], str]
    order: Callable[[], object]
    placeholder: object  # what the empty box says: what to type
    scope: Callable = lambda query: query

    def query(self):
        return self.scope(select(self.model))

    def matches(self, term: str) -> list:
        columns = self.searched()
        return list(db.session.scalars(self.query().where(or_(
            *(column.icontains(term, autoescape=True) for column in columns)))
            .order_by(self.order()).limit(MAX_MATCHES)))

    def chosen(self, keys) -> list:
        """The rows of these keys that the scope admits; anything else is not found."""
        ids = [int(k) for k in map(str.strip, map(str, keys)) if k.isdecimal() and len(k) < 12]
        if not ids:
            return []
        return list(db.session.scalars(self.query().where(self.model.id.in_(ids))))


def _enterprise_label(enterprise) -> str:
    return f"{enterprise.name}（{enterprise.credit_code}）"


ENTERPRISES = Lookup(
    Enterprise, lambda: (Enterprise.name, Enterprise.credit_code), _enterprise_label,
    lambda: Enterprise.name, _l("Type 2 or more characters of the name or the credit code"),
    scope=_own_enterprise_only)
# A practitioner choosing an employer: only enterprises in good standing.
ACTIVE_ENTERPRISES = Lookup(
    Enterprise, ENTERPRISES.searched, _enterprise_label, ENTERPRISES.order,
    ENTERPRISES.placeholder, scope=lambda query: _own_enterprise_only(query.where(
        Enterprise.status == EnterpriseStatus.active)))


def accounts(user_model) -> Lookup:
    return Lookup(user_model, lambda: (user_model.username, user_model.first_name),
                  lambda user: f"{user.first_name}（{user.username}）",
                  lambda: user_model.username,
                  _l("Type 2 or more characters of the name or the user name"))


class LookupWidget:
    """A select box holding only the chosen row; static/registry_lookup.js turns it into a
    Select2 type-ahead asking `endpoint`."""

    def __call__(self, field, **kwargs):
        chosen = field.chosen_rows()
        options = Markup('<option value=""></option>') + Markup("").join(
            Markup('<option value="%s" selected>%s</option>') % (row.id, field.spec.label(row))
            for row in chosen)
        css = f"form-control registry-lookup {kwargs.pop('class', '')}".strip()
        return Markup(
            '<select id="%s" name="%s" class="%s" data-lookup="%s" data-placeholder="%s" '
            'data-minimum="%d" style="width: 100%%">%s</select>') % (
            kwargs.get("id", field.id), field.name, css, url_for(field.endpoint,
                                                                 column=field.column),
            str(field.spec.placeholder), MIN_CHARS, options)


class LookupField(Field):
    """The chosen row of a relation, found through the lookup's scope: a posted key outside
    it (or not a key at all) is a field error, never a row of someone else's, never a 500."""

    widget = LookupWidget()

    def __init__(self, label=None, validators=None, *, spec: Lookup, endpoint: str,
                 column: str, in_search: bool = False, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.spec, self.endpoint, self.column, self.in_search = spec, endpoint, column, in_search
        self.raw = None

    def process_data(self, value):
        self.data = value

    def process_formdata(self, valuelist):
        self.raw = (valuelist[0] or "").strip() if valuelist else ""
        found = self.spec.chosen([self.raw]) if self.raw else []
        self.data = found[0] if found else None

    def pre_validate(self, form):
        if self.raw and self.data is None:
            # Stop: "this field is required" would hide what is wrong with the value.
            raise StopValidation(str(_l("Choose one of the matches offered.")))

    def chosen_rows(self) -> list:
        if self.in_search:  # a reopened filter: the values in the address, as the list has them
            prefix, suffix = "_flt_", f"_{self.column}"
            return self.spec.chosen(
                value for key, values in request.args.lists()
                if key.startswith(prefix) and key.endswith(suffix) for value in values)
        return [self.data] if self.data is not None else []

    def _value(self):
        return "" if self.data is None else str(self.data.id)


class LookupViews:
    """A mixin for a ModelView: `lookups` names the relations chosen by type-ahead in its
    add, edit and search forms, and the view answers their matches at /lookup/<column>."""

    lookups: dict[str, Lookup] = {}

    def _init_forms(self):
        super()._init_forms()
        endpoint = f"{self.__class__.__name__}.lookup"
        for form_class, in_search in ((self.add_form, False), (self.edit_form, False),
                                      (self.search_form, True)):
            for column, spec in self.lookups.items():
                unbound = getattr(form_class, column, None) if form_class else None
                if not isinstance(unbound, UnboundField):
                    continue
                kwargs = unbound.kwargs
                validators = [] if in_search else kwargs.get("validators") or [Optional()]
                setattr(form_class, column, LookupField(
                    kwargs.get("label", unbound.args[0] if unbound.args else None), validators,
                    description=kwargs.get("description", ""), spec=spec, endpoint=endpoint,
                    column=column, in_search=in_search))

    @expose("/lookup/<column>")
    @has_access
    @permission_name("list")  # a view without a list maps it (method_permission_name)
    def lookup(self, column):
        found = self.lookup_matches(column, request.args.get("q", ""))
        if found is None:
            abort(404)
        return jsonify(results=found)

    def lookup_matches(self, column: str, term: str) -> list[dict] | None:
        """The matches of the typed text (at most MAX_MATCHES), or None: no such lookup.
        The API's choices route answers with this too (api_forms.py)."""
        spec = self.lookups.get(column)
        if spec is None:
            return None
        term = term.strip()[:MAX_TERM]
        rows = spec.matches(term) if len(term) >= MIN_CHARS else []
        return [{"id": row.id, "text": spec.label(row)} for row in rows]

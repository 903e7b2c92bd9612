"""The base of every generated screen: translated labels, titles and enum values, and row
scoping that also covers FAB's action routes (app/scoping.py)."""
from __future__ import annotations

from flask import g
from flask_appbuilder.exceptions import DatabaseException
from flask_appbuilder.fields import EnumField
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_babel import LazyString, gettext
from sqlalchemy.exc import SQLAlchemyError
from wtforms import SelectField
from wtforms.fields.core import UnboundField

from .audit import AuditedInterface
from .enums import N_, LabeledEnum
from .labels import COLUMN_LABELS
from .scoping import ScopedModelView

READ = ["can_list", "can_show"]


def enum_field(enum_class: type[LabeledEnum], label) -> SelectField:
    """A select box whose labels are translated per request (FAB's EnumField fixes them
    at start-up, in whatever language was current then)."""
    return SelectField(
        label,
        choices=enum_class.choices,
        widget=Select2Widget(),
        coerce=lambda v: v if isinstance(v, enum_class) else enum_class[v],
    )


def translate_enum_fields(form_class) -> None:
    """Swap FAB's EnumFields, whose labels are fixed in the start-up language, for select
    boxes translated per request."""
    if form_class is None:
        return
    for name in list(vars(form_class)):
        unbound = getattr(form_class, name)
        if isinstance(unbound, UnboundField) and unbound.field_class is EnumField:
            enum_class = unbound.kwargs["enum_class"]
            field = enum_field(enum_class, unbound.kwargs.get("label"))
            field.kwargs["validators"] = unbound.kwargs.get("validators") or []
            setattr(form_class, name, field)


class RegistryInterface(AuditedInterface):
    """FAB's data interface, audited (app/audit.py), except that a failed insert never shows
    the database's own text (FAB flashes str() of the error, which carries the SQL statement)."""

    def add(self, item, commit: bool = True) -> None:
        try:
            super().add(item, commit)
        except SQLAlchemyError:
            g.refused = True
            raise DatabaseException(
                gettext("The data could not be saved. Please check it and try again.")) from None


def _blank_if_none(value):
    """None shows blank, a to-many relation as a list of names, anything else as FAB would."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "、".join(str(v) for v in value)
    return value


class BaseView(ScopedModelView):
    label_columns = COLUMN_LABELS
    page_size = 25

    def _init_titles(self):
        # FAB builds "Add <ModelName>" in English at start-up; derive translated titles from
        # the view's own (lazy) list title instead.
        name = self.list_title or self.datamodel.model_name
        self.list_title = name
        self.show_title = self.show_title or LazyString(gettext, N_("%(name)s: details"), name=name)
        self.add_title = self.add_title or LazyString(gettext, N_("%(name)s: add"), name=name)
        self.edit_title = self.edit_title or LazyString(gettext, N_("%(name)s: edit"), name=name)
        super()._init_titles()

    def _init_properties(self):
        super()._init_properties()
        # FAB shows an enum member's value (our English message id): translate it on render.
        self.formatters_columns = dict(self.formatters_columns)
        for column in self.datamodel.list_columns:
            if self.datamodel.is_enum(column):
                self.formatters_columns.setdefault(column, gettext)
        # An empty value shows as blank, not as "None".
        for column in {*(self.list_columns or []), *(self.show_columns or [])}:
            self.formatters_columns.setdefault(column, _blank_if_none)

    def _init_forms(self):
        super()._init_forms()
        for form_class in (self.add_form, self.edit_form, self.search_form):
            translate_enum_fields(form_class)



    # FAB answers a refused add or edit with a redirect, which loses what was typed. The
    # form is kept here, and shown again with the message when a rule refused it.
    def process_form(self, form, is_created):
        g.submitted_form = form
        super().process_form(form, is_created)

    def form_again(self, kind: str):
        """The add or edit page with the refused input, or None when nothing was refused."""
        form = g.pop("submitted_form", None)
        if form is None or not g.pop("refused", False):
            return None
        if kind == "add":
            widgets = self._get_add_widget(form=form)
            return self.render_template(self.add_template, title=self.add_title, widgets=widgets)
        widgets = self._get_edit_widget(form=form)
        return self.render_template(self.edit_template, title=self.edit_title, widgets=widgets)

    def post_add_redirect(self):
        return self.form_again("add") or super().post_add_redirect()

    def post_edit_redirect(self):
        return self.form_again("edit") or super().post_edit_redirect()

"""The base of every generated screen: translated labels, titles and enum values, and row
scoping that also covers FAB's action routes (app/scoping.py)."""
from __future__ import annotations

import datetime as dt

from flask import g, request, url_for
from flask_appbuilder.baseviews import expose
from flask_appbuilder.exceptions import DatabaseException
from flask_appbuilder.fields import EnumField, QuerySelectField
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.models.sqla import filters as fab_filters
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.widgets import RenderTemplateWidget
from flask_babel import LazyString, gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import false
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import joinedload, selectinload
from wtforms import BooleanField, SelectField
from wtforms.fields.core import UnboundField
from wtforms.validators import DataRequired, InputRequired

from .audit import AuditedInterface
from .dates import local_time
from .enums import N_, LabeledEnum
from .errors import refuse
from .labels import COLUMN_LABELS
from .scoping import ScopedModelView

READ = ["can_list", "can_show"]


def enum_field(enum_class: type[LabeledEnum], label) -> SelectField:
    """A select box whose labels are translated per request (FAB's EnumField fixes them
    at start-up, in whatever language was current then)."""
    def coerce(value):
        if isinstance(value, enum_class):
            return value
        try:
            return enum_class[value]
        except KeyError:  # a forged value: WTForms shows ValueError as a field error, not a 500
            raise ValueError(value) from None

    return SelectField(label, choices=enum_class.choices, widget=Select2Widget(), coerce=coerce)


NOT_CHOSEN = _l("(none chosen)")


def translate_enum_fields(form_class) -> None:
    """Swap FAB's EnumFields, whose labels are fixed in the start-up language, for select
    boxes translated per request; name the empty choice of an optional relation (FAB's
    is blank, and the select box then shows its internal value "__None")."""
    if form_class is None:
        return
    for name in list(vars(form_class)):
        unbound = getattr(form_class, name)
        if isinstance(unbound, UnboundField) and unbound.field_class is QuerySelectField \
                and unbound.kwargs.get("allow_blank"):
            unbound.kwargs["blank_text"] = NOT_CHOSEN
        if isinstance(unbound, UnboundField) and issubclass(unbound.field_class, BooleanField):
            # FAB makes a non-null column's field required; for a tick box that means it
            # can never be unticked (an unticked box sends nothing).
            unbound.kwargs["validators"] = [
                v for v in unbound.kwargs.get("validators") or []
                if not isinstance(v, (InputRequired, DataRequired))]
        if isinstance(unbound, UnboundField) and unbound.field_class is EnumField:
            enum_class = unbound.kwargs["enum_class"]
            field = enum_field(enum_class, unbound.kwargs.get("label"))
            field.kwargs["validators"] = unbound.kwargs.get("validators") or []
            setattr(form_class, name, field)


def without_defaults(form_class) -> None:
    """A search filter starts empty: FAB builds the search form from the model, so a
    column's default (created_at: now, in UTC, to the microsecond) filled the filter box."""
    if form_class is None:
        return
    for name in list(vars(form_class)):
        unbound = getattr(form_class, name)
        if isinstance(unbound, UnboundField):
            unbound.kwargs.pop("default", None)


# ---------------------------------------------------------------- search filters
# A list page's search arrives as URL arguments (?_flt_0_state=...) that anyone can type.
# FAB hands an enum column's value to the database as is, and SQLAlchemy refuses a name
# that is not a member (LookupError, a 500); a relation's value that is not a number makes
# PostgreSQL refuse the lookup (FAB raises ApplyFilterException, a 500). Such a value
# can match nothing: "equal" finds no row, "not equal" leaves the list as it is. A boolean's
# text is compared as FAB's checkbox means it.
def _enum_member(datamodel, column: str, value):
    enum_class = getattr(datamodel.obj, column).type.enum_class
    if isinstance(value, enum_class):
        return value
    return enum_class.__members__.get(str(value))


class EnumFilterEqual(fab_filters.FilterEqual):
    def apply(self, query, value):
        member = _enum_member(self.datamodel, self.column_name, value)
        return query.filter(false()) if member is None else super().apply(query, member)


class EnumFilterNotEqual(fab_filters.FilterNotEqual):
    def apply(self, query, value):
        member = _enum_member(self.datamodel, self.column_name, value)
        return query if member is None else super().apply(query, member)


def _is_key(value) -> bool:
    """Every model here has an integer primary key (and no driver takes one beyond 64 bits:
    SQLite's fails with an OverflowError)."""
    try:
        return abs(int(str(value))) < 2**63
    except ValueError:
        return False


def _left_empty(value) -> bool:
    """Nothing chosen in the filter's box (搜索 pressed before choosing, or after clearing):
    no restriction, as the empty box reads, rather than an empty list."""
    return value is None or str(value).strip() == ""


class RelationFilterEqual(fab_filters.FilterRelationOneToManyEqual):
    def apply(self, query, value):
        if _left_empty(value):
            return query
        return super().apply(query, value) if _is_key(value) else query.filter(false())


class RelationFilterNotEqual(fab_filters.FilterRelationOneToManyNotEqual):
    def apply(self, query, value):
        return super().apply(query, value) if _is_key(value) else query


class RelationFilterManyToMany(fab_filters.FilterRelationManyToManyEqual):
    def apply_item(self, query, field, value_item):
        return super().apply_item(query, field, value_item) if _is_key(value_item) \
            else query.filter(false())


def _boolean(value) -> bool:
    """FAB's search checkbox sends "y"; any other text means unticked (PostgreSQL refuses a
    comparison of a boolean with arbitrary text, which FAB passes through)."""
    return value is True or str(value) == "y"


class BooleanFilterEqual(fab_filters.FilterEqual):
    def apply(self, query, value):
        return super().apply(query, _boolean(value))


class BooleanFilterNotEqual(fab_filters.FilterNotEqual):
    def apply(self, query, value):
        return super().apply(query, _boolean(value))


_BY_TEST = {"is_enum": [EnumFilterEqual, EnumFilterNotEqual],
            "is_boolean": [BooleanFilterEqual, BooleanFilterNotEqual]}
_REPLACED = {
    fab_filters.FilterRelationOneToManyEqual: RelationFilterEqual,
    fab_filters.FilterRelationOneToManyNotEqual: RelationFilterNotEqual,
    fab_filters.FilterRelationManyToManyEqual: RelationFilterManyToMany,
}


class RegistryFilterConverter(fab_filters.SQLAFilterConverter):
    """FAB's filters, in FAB's order (so the _flt_<n>_ indexes stay the same), with the
    enum, boolean and relation filters above."""

    conversion_table = tuple(
        (test, _BY_TEST.get(test) or [_REPLACED.get(f, f) for f in filters])
        for test, filters in fab_filters.SQLAFilterConverter.conversion_table)


class RowsWithRelations:
    """A data interface whose list query loads the relations the list shows: in the page's
    own query (many-to-one, joined) or in one more for all rows (to-many, with what their
    names are made of), not one query per row and relation (an N+1)."""

    list_relations: frozenset[str] = frozenset()

    def show_in_list(self, columns) -> None:
        """The list columns of a view of this interface (views may share one)."""
        self.list_relations = self.list_relations | {
            root for root in (c.partition(".")[0] for c in columns or [])
            if self.is_relation(root)}

    def apply_all(self, query, *args, **kwargs):
        return super().apply_all(query, *args, **kwargs).options(*self._list_loaders())

    def query(self, filters=None, order_column="", order_direction="", page=None,
              page_size=None, select_columns=None, outer_default_load=False):
        """Without paging (a form's drop-down of a small table) every row is fetched, so
        their number is len(rows): FAB's COUNT before it would be one more statement per
        drop-down on every page."""
        if page is None and page_size is None and not select_columns:
            rows = self.apply_all(self.session.query(self.obj), filters, order_column,
                                  order_direction).all()
            return len(rows), rows
        if page_size and not select_columns:
            return self._page_by_keys(filters, order_column, order_direction, page, page_size)
        return super().query(filters, order_column, order_direction, page, page_size,
                             select_columns, outer_default_load)

    def _page_by_keys(self, filters, order_column, order_direction, page, page_size):
        """A page in two steps: the keys of its rows (filtered, ordered and cut by the
        indexes alone), then those rows with their relations. Joined in one query, a deep
        page joined and sorted every row before it: at 100,000 applications in a queue,
        OFFSET 50,000 took 230 ms that way against 10 ms for the keys (the README's
        provincial scale benchmark)."""
        query = self.session.query(self.obj)
        count = self.query_count(query, filters)
        keys_query = self._apply_inner_all(query, filters, order_column, order_direction,
                                           page, page_size, aliases_mapping={})
        keys = [key for (key,) in keys_query.with_entities(self.get_pk())]
        if not keys:
            return count, []
        pk_name = self.get_pk_name()
        rows = self.session.query(self.obj).filter(self.get_pk().in_(keys)).options(
            *self._list_loaders())
        by_key = {getattr(row, pk_name): row for row in rows}
        return count, [by_key[key] for key in keys if key in by_key]

    def _list_loaders(self) -> list:
        return [self._loader(name) for name in sorted(self.list_relations)]

    def _loader(self, name: str):
        relation = getattr(self.obj, name)
        if self.is_relation_many_to_one(name):
            return joinedload(relation)
        target = relation.property.mapper
        return selectinload(relation).options(*(
            joinedload(getattr(target.class_, r.key)) for r in target.relationships
            if r.direction.name == "MANYTOONE"))


class ListInterface(RowsWithRelations, SQLAInterface):
    """FAB's own interface with the list's relations loaded, for FAB's account and role
    screens (which keep FAB's interface: app/audit.py AuditedSecurityViews)."""


class RegistryInterface(RowsWithRelations, AuditedInterface):
    """FAB's data interface, audited (app/audit.py), except that a failed insert never shows
    the database's own text (FAB flashes str() of the error, which carries the SQL statement),
    and that a search value that cannot match answers an empty list, not an error."""

    filter_converter_class = RegistryFilterConverter

    def get_order_columns_list(self, list_columns=None):
        """FAB's, without Python properties: FAB offers to sort by one, and the database
        cannot (a 500)."""
        return [column for column in super().get_order_columns_list(list_columns)
                if not isinstance(getattr(self.obj, column, None), property)]

    def apply_order_by(self, query, order_column, order_direction, *args, **kwargs):
        """A sort argument typed into the URL that names no column (a property, anything
        else) leaves the order as it is, instead of failing in the database."""
        if order_column and not self._sortable(order_column):
            return query
        return super().apply_order_by(query, order_column, order_direction, *args, **kwargs)

    def _sortable(self, column: str) -> bool:
        root, _, rest = column.partition(".")
        if rest:
            return self.is_relation(root) and root in self.obj.__mapper__.relationships
        return column in self.obj.__mapper__.columns.keys() or \
            column in self.obj.__mapper__.column_attrs.keys()

    def add(self, item, commit: bool = True) -> None:
        try:
            super().add(item, commit)
        except SQLAlchemyError:
            g.refused = True
            raise DatabaseException(
                gettext("The data could not be saved. Please check it and try again.")) from None


def yes_no(value) -> str:
    return gettext("Yes") if value else gettext("No")


def _blank_if_none(value):
    """None shows blank, a to-many relation as a list of names, a time to the minute in the
    configured time zone (stored in UTC), anything else as FAB would."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return local_time(value)
    if isinstance(value, (list, tuple)):
        return "、".join(str(v) for v in value)
    return value


class RecordWidget(RenderTemplateWidget):
    """A record's values, read-only, above the form that decides on it; what the form edits
    is left to the form."""

    template = "record_table.html"


def file_preview(stored) -> Markup | str:
    """An uploaded image as a thumbnail, a PDF as a link; both open in a new tab. Served by
    RegistryEntryView.file, which answers only those who may see the file."""
    if stored is None:
        return ""
    url = url_for("RegistryEntryView.file", file_id=stored.id)
    if stored.content_type.startswith("image/"):
        return Markup('<a href="%s" target="_blank" rel="noopener"><img src="%s" alt="%s" '
                      'class="file-preview"></a>') % (url, url, gettext("Open the file"))
    return Markup('<a href="%s" target="_blank" rel="noopener" class="btn btn-default btn-sm">'
                  '<i class="fa fa-file-pdf-o"></i> %s</a>') % (url, gettext("Open the PDF file"))


class NoFileDownloads:
    """FAB's download route serves FileColumn uploads from UPLOAD_FOLDER; these screens have
    none (and no folder is set: a KeyError, a 500), so every file named there is missing."""

    @expose("/download/<string:filename>")
    @has_access
    def download(self, filename):
        refuse(404, N_("The page or record you asked for does not exist."))


class BaseView(NoFileDownloads, ScopedModelView):
    label_columns = COLUMN_LABELS
    page_size = 25
    # The edit page of a view that decides on a record (a reviewer verifying a certificate)
    # shows the record's details above the form (templates/edit_with_record.html).
    edit_shows_record = False

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
        if not self.search_columns:
            # FAB's default search offers every column, a relation as a drop-down of ALL the
            # related rows, unscoped: a practitioner's own-data page listed every account and
            # every registration number. Without declared search_columns, no relation is
            # searchable.
            self.search_exclude_columns = [
                *(self.search_exclude_columns or []),
                *(c for c in self.datamodel.get_columns_list() if self.datamodel.is_relation(c))]
        super()._init_properties()
        self.datamodel.show_in_list(self.list_columns)
        # FAB shows an enum member's value (our English message id): translate it on render.
        self.formatters_columns = dict(self.formatters_columns)
        for column in self.datamodel.list_columns:
            if self.datamodel.is_enum(column):
                self.formatters_columns.setdefault(column, gettext)
        # A yes/no column reads 是 / 否, not True / False; an empty value shows as blank,
        # not as "None".
        for column in {*(self.list_columns or []), *(self.show_columns or [])}:
            if column in self.datamodel.list_columns and self.datamodel.is_boolean(column):
                self.formatters_columns.setdefault(column, yes_no)
            self.formatters_columns.setdefault(column, _blank_if_none)

    def _init_forms(self):
        super()._init_forms()
        for form_class in (self.add_form, self.edit_form, self.search_form):
            translate_enum_fields(form_class)
        without_defaults(self.search_form)



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

    def _get_edit_widget(self, form, exclude_cols=None, widgets=None):
        widgets = super()._get_edit_widget(form, exclude_cols=exclude_cols, widgets=widgets)
        if self.edit_shows_record and request.view_args and "pk" in request.view_args:
            pk = self._deserialize_pk_if_composite(request.view_args["pk"])
            item = self.datamodel.get(pk, self._base_filters)
            if item is not None:
                columns = [c for c in self.show_columns if c not in self.edit_columns]
                widgets["record"] = RecordWidget(
                    label_columns=self.label_columns, include_columns=columns,
                    value_columns=self.datamodel.get_values_item(item, columns),
                    formatters_columns=self.formatters_columns)
        return widgets

    def post_add_redirect(self):
        return self.form_again("add") or super().post_add_redirect()

    def post_edit_redirect(self):
        return self.form_again("edit") or super().post_edit_redirect()

"""The base of every model API under /api/v1: FAB's ModelRestApi with the screens' labels,
the answers documented as served (api_answers.py), no DELETE route, database errors told in
words, times in the province's zone (RegistrySchemaConverter)."""
from __future__ import annotations

import logging

from flask_appbuilder import ModelRestApi
from flask_appbuilder.api.convert import Model2SchemaConverter
from flask_babel import gettext
from marshmallow import Schema, fields
from sqlalchemy import select

from ..dates import province_now
from ..extensions import db
from ..labels import COLUMN_LABELS
from .api_answers import DocumentedAnswers

log = logging.getLogger(__name__)


class ProvinceDateTime(fields.DateTime):
    """A stored time (UTC; naive from SQLite) written with the province's offset, as the
    screens show it: 2026-12-04T09:30:00+08:00."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else province_now(value).isoformat()


class RegistrySchemaConverter(Model2SchemaConverter):
    """Times in the province's zone; a relation that may be absent (an application's
    registration) written and documented as null, where FAB documents an object only."""

    def _column2field(self, datamodel, column, nested=True, parent_schema_name=None):
        field = super()._column2field(datamodel, column, nested=nested,
                                      parent_schema_name=parent_schema_name)
        if isinstance(field, fields.Nested) and not field.many and not field.required:
            field.allow_none = True
        if type(field) is fields.DateTime:
            return ProvinceDateTime(required=field.required, allow_none=field.allow_none,
                                    dump_only=field.dump_only)
        return field


def unique_value(column, message):
    """API twin of FAB's form Unique validator: refuse a duplicate before the database does."""
    from marshmallow import ValidationError as SchemaError

    def validate(value):
        normalised = str(value).strip().upper()
        if db.session.scalar(select(column).where(column == normalised)) is not None:
            raise SchemaError(str(message))

    return validate


def all_of(*validators):
    """FAB wraps each validators_columns entry in a list itself, so it must be one callable."""

    def validate(value):
        for validator in validators:
            validator(value)

    return validate


class RegistryApi(DocumentedAnswers, ModelRestApi):
    allow_browser_login = True
    base_permissions = ["can_get", "can_info", "can_post", "can_put"]
    label_columns = COLUMN_LABELS  # as on the screens, in the request's language
    # No role may delete a practitioner or an enterprise: the route is not served at all
    # (nor documented), rather than served to answer 403.
    exclude_route_methods = {"delete"}
    model2schemaconverter = RegistrySchemaConverter

    def response_422(self, message=None):
        # FAB puts the database driver's text (SQL, constraint names) into this message.
        if isinstance(message, str) and message.startswith("Database exception"):
            log.warning("API database error: %s", message)
            message = gettext("The data could not be saved. Please check it and try again.")
        return super().response_422(message=message)


class WebTwinApi(RegistryApi):
    """The API twin of a web list screen (`web_view`). It takes from the view what decides
    who sees what, so nothing of it is written twice: the permission pairs (the view's own
    name; get_list and _info need can_list, get needs can_show, post can_add, put can_edit),
    the base filters (another user's id answers 404 exactly like a missing one), the order
    and the search columns (the filters of rison `q`). The columns are the twin's own: an
    API shows related rows as {id, name}, never FAB's whole nested record."""

    web_view: type
    # Fields the detail adds to the columns, as a marshmallow Schema whose Method fields
    # read the row (what the web page shows beside the columns).
    detail_schema: type[Schema] | None = None
    include_route_methods = {"get", "get_list", "info"}
    method_permission_name = {"get_list": "list", "info": "list", "get": "show",
                              "post": "add", "put": "edit"}

    def __init__(self):
        view = self.web_view
        self.class_permission_name = view.class_permission_name or view.__name__
        self.base_filters = view.base_filters
        self.base_order = view.base_order
        self.search_columns = view.search_columns
        super().__init__()

    def _init_model_schemas(self) -> None:
        super()._init_model_schemas()
        if self.detail_schema is None:
            return
        auto, extra = type(self.show_model_schema), self.detail_schema

        class Meta(auto.Meta):
            fields = (*auto.Meta.fields, *extra._declared_fields)

        shown = type(f"{type(self).__name__}Detail", (extra, auto), {"Meta": Meta})
        self.show_model_schema = shown()


def twin(view: type, resource: str, base: type = WebTwinApi, **declarations) -> type:
    """A WebTwinApi class for `view`, served at /api/v1/<resource>/."""
    return type(f"{view.__name__.removesuffix('View')}Api", (base,), {
        "web_view": view, "resource_name": resource,
        "datamodel": type(view.datamodel)(view.datamodel.obj), **declarations})


def add_twins(appbuilder, twins) -> None:
    """After the web views: each twin holds exactly its view's permission names, because FAB
    removes the pairs of a name that the last class registered under it does not declare."""
    declared = {type(v): v.base_permissions for v in appbuilder.baseviews}
    for api_class in twins:
        api = api_class()
        api.base_permissions = list(declared[api_class.web_view])
        appbuilder.add_api(api)

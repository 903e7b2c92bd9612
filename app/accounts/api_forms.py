"""Adding and editing through the API with the web form itself (FormTwinApi).

A web view's add and edit forms hold the rules of what may be written: the fields of each
application type, their validators, the related rows one may choose (only one's own
registrations), and the view's pre_add / pre_update with the business rules. Writing them
again as marshmallow schemas would be a second copy of each rule; the API fills the same
form instead, from a JSON body (or multipart/form-data where a file is sent), and runs the
same hooks in the same order as FAB's own add and edit pages (BaseCRUDView._add, _edit).

A related row is written as its id; several as a list of ids; a yes/no as true or false;
a date as YYYY-MM-DD. PUT replaces every field of the form, as PUT does."""
from __future__ import annotations

import logging

from flask import request
from flask_appbuilder.api import BaseApi, expose, safe
from flask_appbuilder.security.decorators import permission_name, protect
from flask_babel import gettext
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import CombinedMultiDict, MultiDict
from wtforms import fields as wtf
from wtforms.validators import DataRequired, InputRequired, Length

from ..extensions import db
from ..scoping import MetOtherwise, Refused
from .api_answers import DocumentedAnswers

log = logging.getLogger(__name__)


def _form_data():
    """The body as the form reads it: JSON turned into the strings a browser would send."""
    if not request.is_json:
        return CombinedMultiDict((request.files, request.form))
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return None
    data = MultiDict()
    for key, value in body.items():
        for one in value if isinstance(value, list) else [value]:
            if one is True:
                data.add(key, "y")
            elif one is not None and one is not False:
                data.add(key, str(one))
    return data


def filled_form(form_class):
    """`form_class` filled from the request body; None when the body is not an object. No
    CSRF field: a token-authenticated or anonymous call cannot be forged, and a cookie-
    authenticated one has had its token checked (request_forgery.py)."""
    data = _form_data()
    return None if data is None else form_class(formdata=data, meta={"csrf": False})


def field_errors(form) -> dict[str, list[str]]:
    """A form's errors as a 422's message: each field with its (Chinese) messages."""
    return {name: [str(m) for m in messages] for name, messages in form.errors.items()}


def _property(field) -> dict:
    """A form field as a JSON Schema property (the request body of the document)."""
    kind = type(field).__name__
    prop: dict = {"title": str(field.label.text)}
    if field.description:
        prop["description"] = str(field.description)
    if kind == "LookupField":  # a row of thousands, typed: GET …/choices/<field>?q=
        prop["type"] = "integer"
    elif "Multiple" in kind:
        prop.update(type="array", items={"type": "integer"})
    elif "QuerySelect" in kind:
        prop["type"] = "integer"
    elif isinstance(field, wtf.BooleanField):
        prop["type"] = "boolean"
    elif isinstance(field, wtf.DateField):
        prop.update(type="string", format="date")
    elif isinstance(field, (wtf.IntegerField,)):
        prop["type"] = "integer"
    elif isinstance(field, wtf.FileField):
        prop.update(type="string", format="binary")
    elif isinstance(field, wtf.SelectField):
        prop.update(type="string", enum=[str(value) for value, *_ in field.iter_choices()])
    else:
        prop["type"] = "string"
    for check in field.validators:
        if isinstance(check, Length) and check.max and check.max > 0:
            prop["maxLength"] = check.max
    return prop


def form_schema(form_class) -> dict:
    form = form_class(formdata=None, meta={"csrf": False})
    fields = [f for f in form if f.name != "csrf_token"]
    return {"type": "object", "properties": {f.name: _property(f) for f in fields},
            "required": [f.name for f in fields
                         if any(isinstance(v, (DataRequired, InputRequired))
                                for v in f.validators)]}


class FormTwinApi(DocumentedAnswers, BaseApi):
    """POST / and PUT /<id> through `web_view`'s add and edit forms; the view's permission
    pairs (can_add, can_edit on its name; api_base.add_twins) and base filters (another
    user's id answers 404)."""

    web_view: type
    include_route_methods = {"post", "put"}
    allow_browser_login = True
    method_permission_name = {"post": "add", "put": "edit"}

    def __init__(self):
        self.class_permission_name = self.web_view.class_permission_name or \
            self.web_view.__name__
        # The choices are those of the form one may fill: add's, else edit's.
        self.method_permission_name = {
            **self.method_permission_name,
            "choices": "add" if "post" in self.include_route_methods else "edit"}
        super().__init__()

    def _web(self):
        """The registered instance of the web view, whose forms and hooks are used."""
        return next(v for v in self.appbuilder.baseviews if type(v) is self.web_view)

    @expose("/", methods=["POST"])
    @protect()
    @safe
    @permission_name("post")
    def post(self):
        """Filled in as the web's add form; answers the new id."""
        view = self._web()
        form = filled_form(view.add_form)
        if form is None or not form.validate():
            return self._invalid(form)
        view.process_form(form, True)
        item = view.datamodel.obj()
        form.populate_obj(item)
        return self._saved(view, item, 201, view.pre_add, view.datamodel.session.add,
                           view.post_add)

    @expose("/<pk>", methods=["PUT"])  # as FAB's own PUT: request_checks answers 404 for an
    @protect()                          # id no row can have, of any length
    @safe
    @permission_name("put")
    def put(self, pk: str):
        """Filled in as the web's edit form (every field); answers the id."""
        view = self._web()
        pk = int(pk)
        item = view.datamodel.get(pk, view._base_filters)
        if item is None:
            return self.response_404()
        form = filled_form(view.edit_form)
        if form is None:
            return self._invalid(form)
        form._id = pk  # FAB's trick for its Unique validator: the row itself is no duplicate
        if not form.validate():
            return self._invalid(form)
        view.process_form(form, False)
        form.populate_obj(item)
        return self._saved(view, item, 200, view.pre_update, lambda _item: None,
                           view.post_update)

    @expose("/choices/<field>", methods=["GET"])
    @protect()
    @safe
    @permission_name("choices")
    def choices(self, field: str):
        """What a field of the form may be given, as the form offers it.
        ---
        get:
          summary: The values a field of the form may take
          description: As the web form offers them (only rows one may choose; a specialty
            with its qualification); for a field typed into on the web (an enterprise among
            thousands), the matches of q, 2 characters or more, at most 20
          parameters:
          - in: path
            name: field
            required: true
            schema:
              type: string
          - in: query
            name: q
            schema:
              type: string
          responses:
            200:
              description: The values, each with its text
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      results:
                        type: array
                        items:
                          type: object
                          properties:
                            id: {}
                            text:
                              type: string
            404:
              $ref: '#/components/responses/404'
        """
        view = self._web()
        form_class = view.add_form if "post" in self.include_route_methods else view.edit_form
        form = form_class(formdata=None, meta={"csrf": False})
        bound = form._fields.get(field)
        if bound is None or not hasattr(bound, "iter_choices") and \
                type(bound).__name__ != "LookupField":
            return self.response_404()
        if type(bound).__name__ == "LookupField":
            found = view.lookup_matches(field, request.args.get("q", ""))
        elif hasattr(bound, "_get_object_list"):  # rows: with the qualification they are of
            found = [{"id": int(pk), "text": str(bound.get_label(row)),
                      **({"qualification": row.qualification_id}
                         if hasattr(row, "qualification_id") else {})}
                     for pk, row in bound._get_object_list()]
        else:
            found = [{"id": value, "text": str(text)} for value, text, *_ in bound.iter_choices()
                     if value not in ("", "__None")]
        return self.response(200, results=found)

    def _invalid(self, form):
        if form is None:
            return self.response_400(message=gettext("The request body must be a JSON object."))
        return self.response_422(message=field_errors(form))

    def _saved(self, view, item, status: int, before, store, after):
        try:
            before(item)  # the view's business rules; refuse() rolls back and raises
            store(item)
            db.session.commit()
        except Refused as refused:
            return self.response_422(message=str(refused))
        except MetOtherwise as met:  # e.g. a declared certificate found in the roster
            return self.response(200, id=met.row_id, message=str(met))
        except IntegrityError as error:
            db.session.rollback()
            log.warning("API form database error: %s", error.orig)
            return self.response_422(message=gettext(
                "The data could not be saved. Please check it and try again."))
        after(item)
        return self.response(status, id=item.id)

    # ------------------------------------------------------------ the document
    def operation_helper(self, path=None, operations=None, methods=None, func=None, **kwargs):
        # FAB writes an empty operation for a method without a YAML docstring, and
        # DocumentedAnswers adds 401 and 403 to it: the rest is the form's.
        super().operation_helper(path=path, operations=operations, methods=methods, func=func,
                                 **kwargs)
        if func.__name__ not in ("post", "put"):
            return
        adding = func.__name__ == "post"
        view = self._web()
        schema = form_schema(view.add_form if adding else view.edit_form)
        content = {"application/json": {"schema": schema}}
        if any(p.get("format") == "binary" for p in schema["properties"].values()):
            content["multipart/form-data"] = {"schema": schema}
        title = str(view.add_title if adding else view.edit_title)
        done = {"description": title, "content": {"application/json": {"schema": {
            "type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}}}}}
        operation = operations[func.__name__]
        operation.update(summary=title, description=(func.__doc__ or "").strip(),
                         security=[{"jwt": []}],
                         requestBody={"required": True, "content": content})
        responses = operation.setdefault("responses", {})
        if adding:  # MetOtherwise: an existing row met the request (a roster certificate)
            responses["200"] = {"description": "Met by an existing row (id), as the message "
                                "says; nothing added", "content": done["content"]}
        responses.update({"201" if adding else "200": done,
                          "400": {"$ref": "#/components/responses/400"},
                          "422": {"$ref": "#/components/responses/422"}})
        if not adding:
            operation["parameters"] = [{"in": "path", "name": "pk", "required": True,
                                        "schema": {"type": "integer"}}]
            responses["404"] = {"$ref": "#/components/responses/404"}


def form_twin(view: type, resource: str, methods=("post", "put"), **declarations) -> type:
    """A FormTwinApi class for `view`'s forms, served at /api/v1/<resource>/."""
    return type(f"{view.__name__.removesuffix('View')}FormApi", (FormTwinApi,), {
        "web_view": view, "resource_name": resource,
        "include_route_methods": {*methods, "choices"}, **declarations})

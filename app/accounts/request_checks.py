"""Hostile input answers 400 or 404 with a message saying what was wrong, never a 500.

FAB and the database trust much of what a request names: an id is handed to the database
(2^63 overflows SQLite's integer, 2^31 PostgreSQL's), `page_<view>` and `psize_<view>` go
through int(), `_flt_<n>_<column>` indexes the column's filter list, and Python's JSON and
rison parsers recurse once per nesting level (RecursionError). Each is checked here, before
the view runs, the way FAB reads it (the same argument patterns):

- an id in the path (`<pk>`, any `<int:…>`) or a selected row (`rowid`) that is not a whole
  number in the database's integer range: 404, as for any id that does not exist;
- a `page_…` / `psize_…` value that is not a non-negative whole number, or a `psize_…` over
  PAGE_SIZE_MAX: 400;
- `_flt_<n>_<column>` where n is not an index of that column's filters: 400;
- `_oc_<view>` naming a column the view does not offer to sort by: 400 (排序);
- any value (query argument, form field, path segment, JSON key or string) longer than
  ARGUMENT_MAX characters or holding a NUL character (PostgreSQL refuses it in text): 400;
- a JSON body that is not valid JSON, nested deeper than JSON_MAX_DEPTH, or not an object
  (every JSON body this app takes is an object): 400; on a web page (not /api/), whose forms
  Flask-WTF also fills from a JSON body, a value that is not text either.

The answers come from app/errors.py: the error page, or JSON on /api/."""
from __future__ import annotations

import re

from flask import current_app, request
from flask.json.provider import DefaultJSONProvider

from ..enums import N_
from ..errors import refuse

ARGUMENT_MAX = 10_000  # characters; a search of 5,000 is still a search
JSON_MAX_DEPTH = 20  # the deepest body the app takes (a return's items) is 3 levels deep
# The largest id each backend's integer column holds (ids are `integer`, int4 on PostgreSQL).
ID_MAX = {"postgresql": 2**31 - 1}
ID_MAX_DEFAULT = 2**63 - 1  # SQLite
PAGING_MAX = 2**31 - 1  # page × size stays within a 64-bit OFFSET
# FAB's list offers 25 to 100 rows a page; a page of a million rows would be a request that
# loads a whole table into memory (the REST API caps its own, FAB_API_MAX_PAGE_SIZE).
PAGE_SIZE_MAX = 100
PAGE_SIZE = re.compile(r"psize_")

# FAB's own patterns (flask_appbuilder.urltools), searched anywhere in the argument's name.
PAGING = re.compile(r"(?:page|psize)_(.*)")
FILTER = re.compile(r"_flt_(\d)_(.*)")
ORDER = re.compile(r"_oc_(.*)")
DIGITS = re.compile(r"[0-9]+")  # str.isdigit() would take "١٢" and int() "+1" or " 1"


class JSONTooDeep(ValueError):
    """A JSON text nested deeper than JSON_MAX_DEPTH (a ValueError, so Flask answers 400)."""


def too_deep(text: str, opening: str, closing: str, quote: str, escape: str) -> bool:
    """Whether brackets nest deeper than JSON_MAX_DEPTH in text, not counting those inside
    quoted strings; read without recursion, so that any depth can be measured."""
    if sum(text.count(char) for char in opening) <= JSON_MAX_DEPTH:
        return False  # too few brackets to be too deep: no need to read it all
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == escape:
                escaped = True
            elif char == quote:
                in_string = False
        elif char == quote:
            in_string = True
        elif char in opening:
            depth += 1
            if depth > JSON_MAX_DEPTH:
                return True
        elif char in closing:
            depth -= 1
    return False


def json_too_deep(text: str) -> bool:
    return too_deep(text, "[{", "]}", '"', "\\")


class DepthLimitedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, refusing a text nested deeper than JSON_MAX_DEPTH before Python's
    parser recurses into it: every request body read through Flask (request.json, FAB's
    REST API) is parsed here."""

    def loads(self, s, **kwargs):
        text = s.decode("utf-8", "replace") if isinstance(s, bytes | bytearray) else s
        if isinstance(text, str) and json_too_deep(text):
            raise JSONTooDeep(f"JSON nested more than {JSON_MAX_DEPTH} levels deep")
        return super().loads(s, **kwargs)


def _id_max() -> int:
    from ..extensions import db

    return ID_MAX.get(db.engine.dialect.name, ID_MAX_DEFAULT)


def _whole_number_within(text: str, limit: int) -> bool:
    """Digits only, at most `limit`; compared by length first, as int() refuses a text of
    over 4,300 digits (a ValueError, a 500)."""
    if not DIGITS.fullmatch(text):
        return False
    digits = text.lstrip("0")
    return len(digits) < len(str(limit)) or (len(digits) == len(str(limit)) and int(digits) <= limit)


def _check_ids() -> None:
    """An id the database could not hold names no record: 404, like any missing one."""
    named = [v for k, v in (request.view_args or {}).items() if k == "pk" or isinstance(v, int)]
    named += request.form.getlist("rowid") if request.method == "POST" else []
    limit = _id_max()
    for value in named:
        if not _whole_number_within(str(value), limit):
            refuse(404, N_("The page or record you asked for does not exist."))


def _values():
    """(name, value) of every text the request names: arguments, form fields, the path."""
    for source in (request.args, request.form):
        for name, values in source.lists():
            yield name, name
            for value in values:
                yield name, value
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str):
            yield name, value


def _check_text(name: str, value: str) -> None:
    if "\x00" in value:
        refuse(400, N_("The request contains a NUL character, which no field may hold."))
    if len(value) > ARGUMENT_MAX:
        refuse(400, N_("A value is longer than %(n)s characters."), n=ARGUMENT_MAX)


def _check_paging() -> None:
    for name, values in request.args.lists():
        if PAGING.search(name) and not all(_whole_number_within(v, PAGING_MAX) for v in values):
            refuse(400, N_("The page number and page size (%(name)s) must be whole numbers "
                           "of zero or more."), name=name)
        if PAGE_SIZE.search(name) and not all(_whole_number_within(v, PAGE_SIZE_MAX) for v in values):
            refuse(400, N_("A page shows at most %(most)d rows (%(name)s)."),
                   name=name, most=PAGE_SIZE_MAX)


def _check_filters(view) -> None:
    """FAB applies _flt_ arguments to the view and to the lists shown on its page."""
    views = [view, *(getattr(view, "_related_views", None) or [])]
    for name in request.args:
        match = FILTER.search(name)
        if not match:
            continue
        index, column = int(match.group(1)), match.group(2)
        for shown in views:
            filters = getattr(getattr(shown, "_filters", None), "_all_filters", {})
            if column in filters and index >= len(filters[column]):
                refuse(400, N_("This list has no search condition %(name)s."), name=name)


def _check_order(views_by_name: dict) -> None:
    for name in request.args:
        match = ORDER.search(name)
        view = views_by_name.get(match.group(1)) if match else None
        if view is None or getattr(view, "order_columns", None) is None:
            continue
        for column in request.args.getlist(name):
            if column not in view.order_columns:
                refuse(400, N_("This list cannot be sorted by %(column)s."),
                       column=column[:64])


def _check_rison() -> None:
    """FAB's REST API reads its `q` argument with a recursive rison parser."""
    for value in request.args.getlist("q"):
        if too_deep(value, "(", ")", "'", "!"):
            refuse(400, N_("The request is nested more than %(n)s levels deep."),
                   n=JSON_MAX_DEPTH)


def _check_json_body() -> None:
    if not request.is_json or not request.get_data(cache=True):
        return
    try:
        body = current_app.json.loads(request.get_data(cache=True))
    except JSONTooDeep:
        refuse(400, N_("The request is nested more than %(n)s levels deep."), n=JSON_MAX_DEPTH)
    except ValueError:
        refuse(400, N_("The request body is not valid JSON."))
    if not isinstance(body, dict):
        refuse(400, N_("The request body must be a JSON object (names with their values)."))
    web_form = not request.path.startswith("/api/")
    for name, value in _json_texts(body):
        _check_text(name, value)
    if web_form and not all(_form_like(v) for v in body.values()):
        refuse(400, N_("The fields of a form must be text."))


def _json_texts(value, name: str = ""):
    """Every key and string in a parsed JSON body (its depth is bounded, so recursion is)."""
    if isinstance(value, str):
        yield name, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key, key
            yield from _json_texts(item, key)
    elif isinstance(value, list):
        for item in value:
            yield from _json_texts(item, name)


def _form_like(value) -> bool:
    return isinstance(value, str) or (
        isinstance(value, list) and all(isinstance(v, str) for v in value))


def register(app) -> None:
    app.json = DepthLimitedJSONProvider(app)
    views = {view.blueprint.name: view for view in app.appbuilder.baseviews
             if getattr(view, "blueprint", None) is not None}
    views_by_name = {type(view).__name__: view for view in app.appbuilder.baseviews}

    @app.before_request
    def refuse_hostile_input():
        if request.endpoint is None or request.endpoint.endswith("static"):
            return
        _check_ids()
        for name, value in _values():
            _check_text(name, value)
        _check_paging()
        _check_order(views_by_name)
        view = views.get(request.blueprint)
        if view is not None:
            _check_filters(view)
        if request.path.startswith("/api/"):
            _check_rison()
        _check_json_body()

"""What the document says of answers FAB's API classes give but do not document, or
document wrongly; found by Schemathesis (tests/api/test_schemathesis.py).

- `protect` answers 401 and 403 before any method runs; FAB's ModelRestApi documents
  neither on most of its routes.
- FAB writes `id` and `ids` as strings whatever the key's type; every key here is an integer.
  Its `_info` writes add_columns and edit_columns as objects; they are lists of fields.
- A 400 or 422 carries, in `message`, either a text or the fields with their messages
  (marshmallow's errors); FAB documents a text only.
- FAB's field information translates an absent description as gettext(""), which is the
  catalogue's header ("Project-Id-Version: …"): an absent description is empty here."""
from __future__ import annotations

import re

from flask_babel import gettext

from ..enums import N_

# marshmallow's own messages (FAB's model APIs validate with it), in the reader's language.
SCHEMA_MESSAGES = [(re.compile(pattern), msgid) for pattern, msgid in (
    (r"Missing data for required field\.", N_("This field is required.")),
    (r"Field may not be null\.", N_("This field may not be empty.")),
    (r"Unknown field\.", N_("This field is not known here.")),
    (r"Not a valid string\.", N_("Not a valid text.")),
    (r"Not a valid integer\.", N_("Not a valid whole number.")),
    (r"Not a valid date\.", N_("Not a valid date (YYYY-MM-DD).")),
    (r"Not a valid boolean\.", N_("Not a valid yes/no value (true or false).")),
    (r"Invalid input type\.", N_("The value is of the wrong type.")),
    (r"Must be one of: (?P<choices>.*)\.", N_("Must be one of: %(choices)s.")),
    (r"Longer than maximum length (?P<max>\d+)\.", N_("At most %(max)s characters.")),
)]


def in_readers_language(message):
    """A 400 or 422 message with marshmallow's English texts said in the reader's language;
    the app's own messages are already translated and pass unchanged."""
    if isinstance(message, dict):
        return {key: in_readers_language(value) for key, value in message.items()}
    if isinstance(message, list):
        return [in_readers_language(value) for value in message]
    if isinstance(message, str):
        for pattern, msgid in SCHEMA_MESSAGES:
            matched = pattern.fullmatch(message)
            if matched:
                return gettext(msgid, **matched.groupdict())
    return message


PROTECTED = {"401": {"$ref": "#/components/responses/401"},
             "403": {"$ref": "#/components/responses/403"}}
TEXT_OR_FIELDS = {"oneOf": [{"type": "string"}, {
    "type": "object", "description": "field → its messages",
    "additionalProperties": {"type": "array", "items": {"type": "string"}}}]}
REFUSED_INPUT = {
    "400": "Bad request: the body could not be read, or a field is missing or of the wrong type",
    "422": "Could not be processed: a field's value was refused",
}


def _as_served(schema: dict) -> None:
    properties = schema.get("properties", {})
    for name in ("add_columns", "edit_columns"):
        if properties.get(name, {}).get("type") == "object":
            properties[name] = {"type": "array", "items": {"type": "object"}}
    if properties.get("id", {}).get("type") == "string":
        properties["id"] = {"type": "integer"}
    if properties.get("ids", {}).get("items", {}).get("type") == "string":
        properties["ids"]["items"] = {"type": "integer"}


class DocumentedAnswers:
    """Mixin for a FAB API class (before it in the bases)."""

    def operation_helper(self, path=None, operations=None, methods=None, func=None, **kwargs):
        super().operation_helper(path=path, operations=operations, methods=methods, func=func,
                                 **kwargs)
        protected = bool(self.get_method_permission(func.__name__))
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            if protected:
                for status, answer in PROTECTED.items():
                    responses.setdefault(status, answer)
            for answer in responses.values():
                for content in answer.get("content", {}).values():
                    _as_served(content.get("schema", {}))

    def add_apispec_components(self, api_spec) -> None:
        super().add_apispec_components(api_spec)
        for status, text in REFUSED_INPUT.items():
            api_spec.components.responses[status] = {
                "description": text, "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"message": TEXT_OR_FIELDS}}}}}

    def response_400(self, message=None):
        return super().response_400(message=in_readers_language(message))

    def response_422(self, message=None):
        return super().response_422(message=in_readers_language(message))

    def response_404(self):
        # FAB says "Not found" in English; the pages say it in the reader's language.
        return self.response(404, message=gettext(
            "The page or record you asked for does not exist."))

    def _get_field_info(self, field, *args, **kwargs):
        info = super()._get_field_info(field, *args, **kwargs)
        if not self.description_columns.get(field.name):
            info["description"] = ""
        return info

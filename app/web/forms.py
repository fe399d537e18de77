"""Web forms rendered from the marshmallow schemas in `forms/`, and posted data parsed back
into what those schemas load, so a page and the JSON API accept exactly the same input."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, validate
from werkzeug.datastructures import MultiDict

from forms.base import N_


def field_specs(
    schema_cls: type[Schema],
    values: dict[str, Any] | None = None,
    errors: dict[str, Any] | None = None,
    *,
    hidden: tuple[str, ...] = (),
) -> list[dict[str, Any]]:
    """What a template needs to draw each field: its kind, label, help, choices and errors."""
    values, errors = values or {}, errors or {}
    out = []
    for name, field in schema_cls().fields.items():
        if field.dump_only:
            continue
        meta = field.metadata
        kind = "text"
        choices: list[tuple[str, str]] = []
        one_of = next((v for v in _validators(field) if isinstance(v, validate.OneOf)), None)
        if one_of is not None:
            kind = "radio"
            labels = meta.get("choice_labels", {})
            choices = [(str(c), _(labels.get(c, str(c)))) for c in one_of.choices]
        elif isinstance(field, fields.Boolean):
            kind = "checkbox"
        elif isinstance(field, fields.Decimal | fields.Float | fields.Integer):
            kind = "number"
        elif isinstance(field, fields.Date):
            kind = "date"
        elif isinstance(field, fields.List):
            kind = "list"
        elif isinstance(field, fields.String) and _max_length(field) > 200:
            kind = "textarea"
        if name in hidden:
            kind = "hidden"
        error = errors.get(name)
        if isinstance(error, list):
            error = "；".join(_(str(e)) for e in error)
        elif isinstance(error, dict):
            error = "；".join(_(str(e)) for v in error.values() for e in v)
        out.append(
            {
                "name": name,
                "kind": kind,
                "label": _(meta.get("label", name)),
                "help": _(meta["help"]) if meta.get("help") else "",
                "required": field.required,
                "choices": choices,
                "value": values.get(name, ""),
                "error": error,
                "step": "0.1" if isinstance(field, fields.Decimal) else "1",
            }
        )
    return out


def _validators(field: fields.Field) -> list:
    return list(getattr(field, "validators", []) or [])


def _max_length(field: fields.Field) -> int:
    for v in _validators(field):
        if isinstance(v, validate.Length) and v.max is not None:
            return v.max
    return 0


def form_data(schema_cls: type[Schema], posted: MultiDict) -> dict[str, Any]:
    """Posted form fields as the schema expects them: only its fields, checkboxes as booleans,
    lists from repeated fields, empty optional fields left out."""
    out: dict[str, Any] = {}
    for name, field in schema_cls().fields.items():
        if field.dump_only:
            continue
        if isinstance(field, fields.Boolean):
            out[name] = posted.get(name) in ("on", "true", "1", "yes")
        elif isinstance(field, fields.List):
            items = [v for v in posted.getlist(name) if v.strip()]
            if items or field.required:
                out[name] = items
        else:
            value = posted.get(name, "").strip()
            if value != "" or field.required:
                out[name] = value
    return out


def load(schema_cls: type[Schema], posted: MultiDict) -> tuple[dict | None, dict, dict]:
    """(data, raw values, errors): data is None when the schema refuses the input."""
    raw = form_data(schema_cls, posted)
    try:
        return schema_cls().load(raw), raw, {}
    except ValidationError as err:
        messages = err.messages if isinstance(err.messages, dict) else {"_": err.messages}
        return None, raw, messages


# marshmallow's own messages, marked so the catalogues translate them on the pages.
MARSHMALLOW_MESSAGES = (
    N_("Missing data for required field."),
    N_("Field may not be null."),
    N_("Unknown field."),
    N_("Not a valid integer."),
    N_("Not a valid number."),
    N_("Not a valid string."),
    N_("Not a valid boolean."),
    N_("Not a valid date."),
    N_("Not a valid list."),
    N_("Invalid input type."),
)

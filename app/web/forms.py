"""Web forms rendered from the marshmallow schemas in `forms/`, and posted data parsed back
into what those schemas load, so a page and the JSON API accept exactly the same input."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, validate
from werkzeug.datastructures import MultiDict

from app.codes import DECISION_TITLES, YES_NO
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
            error = _("；").join(dict.fromkeys(error_text(e) for e in error))
        elif isinstance(error, dict):
            error = _("；").join(dict.fromkeys(error_text(e) for v in error.values() for e in v))
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


def form_lines(form_key: str | None, form: dict | None) -> list[tuple[str, str]]:
    """A completed task's form as a case's history shows it: each filled field by its label,
    decisions by their titles, yes and no for check boxes, in the page's language."""
    from forms.tasks import TASK_FORMS

    schema_cls = TASK_FORMS.get(form_key or "")
    schema_fields = schema_cls().fields if schema_cls else {}
    out = []
    for name, value in (form or {}).items():
        if value in (None, "", False) and not isinstance(schema_fields.get(name), fields.Boolean):
            continue
        field = schema_fields.get(name)
        if field is None:
            continue  # a field the form no longer has: not shown under a code
        meta = field.metadata
        if isinstance(value, bool) or isinstance(field, fields.Boolean):
            shown = _(YES_NO[bool(value)])
        elif isinstance(value, str) and value in meta.get("choice_labels", {}):
            shown = _(meta["choice_labels"][value])
        elif isinstance(value, str) and value in DECISION_TITLES.get(form_key or "", {}):
            shown = _(DECISION_TITLES[form_key][value])
        elif isinstance(field, fields.Decimal):
            shown = format(Decimal(str(value)).normalize(), "f")
        else:
            shown = str(value)
        out.append((_(meta.get("label", name)), shown))
    return out


# marshmallow's validators word their messages with the values filled in: each pattern names the
# catalogue id that says the same with %(name)s placeholders.
_VALIDATOR_MESSAGES = [
    (
        r"Length must be between (?P<min>\d+) and (?P<max>\d+)\.",
        N_("请填写%(min)s至%(max)s个字符。"),
    ),
    (r"Shorter than minimum length (?P<min>\d+)\.", N_("请至少填写%(min)s个字符。")),
    (r"Longer than maximum length (?P<max>\d+)\.", N_("最多填写%(max)s个字符。")),
    (r"Length must be (?P<equal>\d+)\.", N_("请填写%(equal)s个字符。")),
    (r"Must be one of: .*\.", N_("请从列出的选项中选择一项。")),
    (
        r"Must be greater than (?P<min>[-\d.]+) and less than or equal to (?P<max>[-\d.]+)\.",
        N_("请填写大于%(min)s且不超过%(max)s的数。"),
    ),
    (
        r"Must be greater than or equal to (?P<min>[-\d.]+) and less than or equal to "
        r"(?P<max>[-\d.]+)\.",
        N_("请填写%(min)s至%(max)s之间的数。"),
    ),
    (r"Must be greater than or equal to (?P<min>[-\d.]+)\.", N_("请填写不小于%(min)s的数。")),
    (r"Must be greater than (?P<min>[-\d.]+)\.", N_("请填写大于%(min)s的数。")),
    (r"Must be less than or equal to (?P<max>[-\d.]+)\.", N_("请填写不超过%(max)s的数。")),
    (r"Must be less than (?P<max>[-\d.]+)\.", N_("请填写小于%(max)s的数。")),
    # The project's own validators (forms/validators.py) that name the value they refuse.
    (
        r"invalid Unified Social Credit Code '(?P<code>[^']*)': .*",
        N_("统一社会信用代码%(code)s无效：请核对各位字符和校验位。"),
    ),
    (
        r"write the credit code '(?P<code>[^']*)' as 18 characters, no spaces",
        N_("统一社会信用代码%(code)s应写成18位字符，不含空格。"),
    ),
    (
        r"bureau code '(?P<code>[^']*)' must be a 6-digit division code",
        N_("部门代码%(code)s应为6位行政区划代码。"),
    ),
]
_VALIDATOR_PATTERNS = [(re.compile(p + "$", re.S), msgid) for p, msgid in _VALIDATOR_MESSAGES]


def error_text(message: object) -> str:
    """A validation message in the page's language: the catalogue's translation of the
    schema's own messages and of marshmallow's (their values kept)."""
    text = str(message)
    for pattern, msgid in _VALIDATOR_PATTERNS:
        found = pattern.match(text)
        if found:
            return _(msgid, **found.groupdict())
    return _(text)


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
    N_("Invalid value."),
    N_("Number too large."),
    N_("Special numeric values (nan or infinity) are not permitted."),
)

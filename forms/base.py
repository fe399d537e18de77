"""The base of every schema: unknown fields are refused, never silently dropped."""

from marshmallow import RAISE, Schema, fields, validate

# The largest id a database row can have: id columns are INTEGER, a signed 32-bit integer on
# PostgreSQL. A larger number is refused as a bad value (422) rather than reaching the database,
# which refuses it with an error (500); in a URL it matches no page (404).
MAX_ID = 2**31 - 1


class Strict(Schema):
    class Meta:
        unknown = RAISE


def N_(text: str) -> str:  # noqa: N802  (the gettext convention)
    """Marks a text for the message catalogues; pages translate it when they show it."""
    return text


class ApiError(Schema):
    """The body of every refusal of the JSON API (app/errors.py writes it)."""

    code = fields.Integer(metadata={"description": "the HTTP status"})
    status = fields.String(metadata={"description": "error, or the HTTP status name"})
    message = fields.String(metadata={"description": "what is wrong, in English"})
    field = fields.String(metadata={"description": "the field refused, when there is one"})
    errors = fields.Dict(
        metadata={"description": "the fields of the request refused, each with its reasons"}
    )


class Id(fields.Integer):
    """A row id sent by a client: 1 to MAX_ID."""

    def __init__(self, **kwargs):
        super().__init__(validate=validate.Range(min=1, max=MAX_ID), **kwargs)

"""The base of every schema: unknown fields are refused, never silently dropped."""

from marshmallow import RAISE, Schema


class Strict(Schema):
    class Meta:
        unknown = RAISE

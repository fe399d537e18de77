"""The base of every schema: unknown fields are refused, never silently dropped."""

from marshmallow import RAISE, Schema


class Strict(Schema):
    class Meta:
        unknown = RAISE


def N_(text: str) -> str:  # noqa: N802  (the gettext convention)
    """Marks a text for the message catalogues; pages translate it when they show it."""
    return text

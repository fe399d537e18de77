"""What an import says back (interchange §1): per record refused, its line, ref and reason."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Translate = Callable[..., str]


class Refused(Exception):
    """A record refused, by a catalogue template (messages.py) and its values, on a field.
    `reason` is the English text the report carries."""

    def __init__(self, template: str, fieldname: str | None = None, **params: Any):
        self._init(template, template % params if params else template, fieldname, params)

    @classmethod
    def plain(cls, text: str, fieldname: str | None = None) -> Refused:
        """A refusal whose text comes from elsewhere (a schema's messages): no template."""
        exc = cls.__new__(cls)
        exc._init(None, text, fieldname, {})
        return exc

    def _init(
        self, template: str | None, text: str, fieldname: str | None, params: dict[str, Any]
    ) -> None:
        Exception.__init__(self, text)
        self.template, self.params, self.fieldname = template, params, fieldname
        self.reason = f"{fieldname}: {text}" if fieldname else text


@dataclass
class Refusal:
    line: int
    ref: str | None
    reason: str
    # The catalogue template, its values and the field, so that a page can show the refusal
    # in its language (the report keeps `reason`); None for a text with no template.
    template: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    fieldname: str | None = None

    def as_dict(self) -> dict:
        return {"line": self.line, "ref": self.ref, "reason": self.reason}

    def translated(self, translate: Translate) -> str:
        """The reason in the reader's language (`translate` is gettext)."""
        if self.template is None:
            return self.reason
        text = translate(self.template, **self.params)
        return f"{self.fieldname}: {text}" if self.fieldname else text


@dataclass
class Review:
    """An accepted record a person should look at: a category the scope catalogue does not
    know (R-SCOPE), or a failure whose model or standard is unknown (R-180)."""

    line: int
    ref: str | None
    category: str | None
    reason: str
    template: str | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "line": self.line,
            "ref": self.ref,
            "category": self.category,
            "reason": self.reason,
        }


@dataclass
class ImportReport:
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    refusals: list[Refusal] = field(default_factory=list)
    review: list[Review] = field(default_factory=list)

    @property
    def refused(self) -> int:
        return len(self.refusals)

    def count(self, outcome: str) -> None:
        """One more record created, updated or unchanged."""
        setattr(self, outcome, getattr(self, outcome) + 1)

    def as_dict(self) -> dict:
        return {
            "read": self.read,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "refused": self.refused,
            "refusals": [r.as_dict() for r in self.refusals],
            "review": [r.as_dict() for r in self.review],
        }

"""The table of effects: each name a process's script task may ask for, and its handler.

A handler is registered by the `effect` decorator in the module of its process; the package
imports every such module, so the table is complete once `app.services.case_effects` is
imported. The application checks at start-up that every `effect("…")` in `workflows/*.bpmn`
is in this table (app/workflow/links.py), so a case never reaches an unknown effect.
"""

from __future__ import annotations

from collections.abc import Callable

from app.errors import DomainError
from models import Case

EFFECTS: dict[str, Callable] = {}


def effect(name: str):
    """Register the decorated function as the handler of `effect("name")`, once."""

    def register(fn):
        if name in EFFECTS and EFFECTS[name] is not fn:
            raise ValueError(f"effect {name!r} is registered twice")
        EFFECTS[name] = fn
        return fn

    return register


def effect_names() -> frozenset[str]:
    return frozenset(EFFECTS)


def apply_effect(name: str, case: Case, ctx) -> None:
    fn = EFFECTS.get(name)
    if fn is None:  # only a definition deployed without the start-up check gets here
        raise DomainError(
            "the process asked for an unknown effect %(effect)r", status=500, effect=name
        )
    fn(case, ctx)

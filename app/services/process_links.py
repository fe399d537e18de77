"""The application's side of the BPMN links: forms, effects, roles, task titles.

`check_process_links` is called by the app factory after the definitions load, so a broken
`formKey`, `effect("…")`, gateway variable or lane stops start-up naming the file and element.
"""

from __future__ import annotations

from collections.abc import Mapping

from marshmallow import Schema, validate

from app.codes import TASK_TITLES, Role
from app.workflow import Links, ProcessDefinition, check_links
from forms.tasks import TASK_FORMS

from .case_effects import effect_names

# Task data a case is started with (`start_case(start_data=…)`): the case's subject, and the
# route of a notice (applications.issue_notice).
START_VARIABLES = frozenset({"case", "route"})
LANE_ROLE_CODES = frozenset({Role.ENTERPRISE, Role.OFFICER, Role.SUPERVISOR})


def form_fields(schema: type[Schema]) -> dict[str, frozenset[str] | None]:
    """Each field of a form with the values it accepts (None when not a fixed choice)."""
    out: dict[str, frozenset[str] | None] = {}
    for name, f in schema._declared_fields.items():
        choices = next((v.choices for v in f.validators if isinstance(v, validate.OneOf)), None)
        out[name] = frozenset(choices) if choices is not None else None
    return out


def application_links() -> Links:
    return Links(
        forms={key: form_fields(cls) for key, cls in TASK_FORMS.items()},
        effects=effect_names(),
        roles=LANE_ROLE_CODES,
        task_titles=frozenset(TASK_TITLES),
        start_variables=START_VARIABLES,
    )


def check_process_links(definitions: Mapping[str, ProcessDefinition]) -> None:
    check_links(definitions, application_links())

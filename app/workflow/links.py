"""The names that tie `workflows/*.bpmn` to the code, checked once when the app starts.

A user task's `formKey`, a script task's `effect("…")`, a gateway condition's variables and a
lane's name are plain strings in the XML; each would otherwise fail only when a case reaches
it. `check_links` walks every definition against what the application registers and raises
one `SpecError` listing each broken link by file and element id.

The application's side comes in as plain values (`Links`), so this module knows neither
marshmallow nor the services.
"""

from __future__ import annotations

import ast
import builtins
import xml.etree.ElementTree as ET
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from .specs import LANE_ROLES, ProcessDefinition, SpecError

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"
# Names a condition may use without a form setting them.
_CONSTANTS = frozenset(dir(builtins))


@dataclass(frozen=True)
class Links:
    """What the application offers the processes.

    `forms`: each formKey and its fields, each field with the values it accepts (None: any).
    `effects`: the registered effect names. `roles`: the roles a lane may map to.
    `task_titles`: the user-task ids that have a title for pages (empty: not checked).
    `start_variables`: task data a case starts with (`case`, a notice's `route`).
    """

    forms: Mapping[str, Mapping[str, frozenset[str] | None]]
    effects: Collection[str]
    roles: Collection[str]
    task_titles: Collection[str] = ()
    start_variables: Collection[str] = field(default_factory=lambda: {"case"})


def check_links(definitions: Mapping[str, ProcessDefinition], links: Links) -> None:
    """Raise `SpecError` naming every broken link (`file: element id: problem`)."""
    problems: list[str] = []
    for definition in definitions.values():
        problems += [
            f"{definition.path.name}: {p}" for p in definition_problems(definition.xml, links)
        ]
    if problems:
        raise SpecError("; ".join(problems))


def definition_problems(xml: str, links: Links) -> list[str]:
    root = ET.fromstring(xml.encode("utf-8"))
    problems: list[str] = []
    fields: dict[str, frozenset[str] | None] = {}
    forms_known = True  # with a form missing, its variables cannot be checked either

    for task in root.iter(f"{BPMN}userTask"):
        tid = task.get("id")
        props = {
            p.get("name"): p.get("value") for p in task.iter(f"{SPIFF}property") if p.get("name")
        }
        key = props.get("formKey")
        if key not in links.forms:
            problems.append(f"userTask {tid}: formKey {key!r} has no schema in forms/tasks.py")
            forms_known = False
        else:
            fields.update(links.forms[key])
        if links.task_titles and tid not in links.task_titles:
            problems.append(f"userTask {tid}: no title in app/codes.py TASK_TITLES")

    for task in root.iter(f"{BPMN}scriptTask"):
        problems += [
            f"scriptTask {task.get('id')}: {p}"
            for p in _script_problems(task.findtext(f"{BPMN}script") or "", links.effects)
        ]

    for flow in root.iter(f"{BPMN}sequenceFlow"):
        condition = flow.find(f"{BPMN}conditionExpression")
        if condition is not None and forms_known:
            problems += [
                f"sequenceFlow {flow.get('id')}: {p}"
                for p in _condition_problems(condition.text or "", fields, links.start_variables)
            ]

    for lane in root.iter(f"{BPMN}lane"):
        lid, name = lane.get("id"), lane.get("name")
        role = LANE_ROLES.get(name or "")
        if role is None or role not in links.roles:
            problems.append(f"lane {lid}: {name!r} maps to no role")
        if lane.find(f"{BPMN}flowNodeRef") is None:
            problems.append(f"lane {lid}: {name!r} is empty")
    return problems


def _script_problems(script: str, effects: Collection[str]) -> list[str]:
    """A script is calls of `effect("NAME")` with a registered NAME, nothing else."""
    try:
        tree = ast.parse(script)
    except SyntaxError as exc:
        return [f"script does not parse ({exc.msg})"]
    problems = []
    for stmt in tree.body:
        call = stmt.value if isinstance(stmt, ast.Expr) else None
        if not (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Name)
            and call.func.id == "effect"
            and len(call.args) == 1
            and not call.keywords
            and isinstance(call.args[0], ast.Constant)
            and isinstance(call.args[0].value, str)
        ):
            problems.append(f'a script is effect("NAME") calls only, not {ast.unparse(stmt)!r}')
            continue
        name = call.args[0].value
        if name not in effects:
            problems.append(f"effect {name!r} has no registered handler")
    return problems


def _condition_problems(
    expression: str,
    fields: Mapping[str, frozenset[str] | None],
    start_variables: Collection[str],
) -> list[str]:
    """Each variable a condition reads is a field of a form of the process (or start data),
    and each text it compares a field with is one the field accepts."""
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as exc:
        return [f"condition {expression.strip()!r} does not parse ({exc.msg})"]
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            known = node.id in fields or node.id in start_variables or node.id in _CONSTANTS
            if not known:
                problems.append(f"condition reads {node.id!r}, which no form of the process sets")
        if isinstance(node, ast.Compare) and isinstance(node.left, ast.Name):
            accepted = fields.get(node.left.id)
            for other in node.comparators:
                value = other.value if isinstance(other, ast.Constant) else None
                if accepted is not None and isinstance(value, str) and value not in accepted:
                    problems.append(
                        f"condition compares {node.left.id!r} with {value!r}, "
                        f"which its form never gives"
                    )
    return problems

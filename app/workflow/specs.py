"""Loading and checking `workflows/*.bpmn` once, at start-up."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.spiff.parser import VALIDATOR, SpiffBpmnParser

# Lane name → the role whose users work its user tasks. The diagrams name lanes as the bureau
# knows them; definitions deployed before that (stored with their cases) use the role codes.
LANE_ROLES = {
    "企业": "enterprise",
    "承办机构": "officer",
    "监督机关": "supervisor",
    "enterprise": "enterprise",
    "officer": "officer",
    "supervisor": "supervisor",
}


class SpecError(Exception):
    """A process definition that cannot run; the message names the file and the problem."""


@dataclass(frozen=True)
class UserTaskInfo:
    """A user task as the app sees it: `lane` is the role of its lane (LANE_ROLES)."""

    name: str
    title: str
    lane: str
    properties: dict[str, str]


@dataclass(frozen=True)
class ProcessDefinition:
    process_id: str
    path: Path
    xml: str
    hash: str
    spec: Any
    subprocess_specs: dict[str, Any]
    user_tasks: dict[str, UserTaskInfo]
    has_timers: bool = False


def _user_tasks(spec, subprocess_specs, path: Path) -> dict[str, UserTaskInfo]:
    out: dict[str, UserTaskInfo] = {}
    for s in [spec, *subprocess_specs.values()]:
        for task_spec in s.task_specs.values():
            if not getattr(task_spec, "manual", False):
                continue
            props = dict((getattr(task_spec, "extensions", None) or {}).get("properties", {}))
            lane = LANE_ROLES.get(task_spec.lane or "")
            if lane is None:
                raise SpecError(
                    f"{path.name}: user task {task_spec.name} is in lane {task_spec.lane!r}; "
                    f"use one of {', '.join(sorted(LANE_ROLES))}"
                )
            if "formKey" not in props:
                raise SpecError(f"{path.name}: user task {task_spec.name} has no formKey property")
            out[task_spec.name] = UserTaskInfo(
                task_spec.name, task_spec.bpmn_name or task_spec.name, lane, props
            )
    return out


def load_definitions(directory: Path) -> dict[str, ProcessDefinition]:
    """Parse and validate every `*.bpmn` in `directory` (file stem == process id)."""
    files = sorted(directory.glob("*.bpmn"))
    if not files:
        raise SpecError(f"no BPMN files in {directory}")
    return {
        path.stem: parse_definition(path.stem, path.read_text(encoding="utf-8"), path)
        for path in files
    }


def parse_definition(process_id: str, xml: str, path: Path | None = None) -> ProcessDefinition:
    path = path or Path(f"{process_id}.bpmn")
    parser = SpiffBpmnParser(validator=VALIDATOR)
    try:
        parser.add_bpmn_str(xml.encode("utf-8"), filename=path.name)
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except ValidationException as exc:
        raise SpecError(f"{path.name}: {exc}") from None
    except Exception as exc:
        raise SpecError(f"{path.name}: {type(exc).__name__}: {exc}") from None
    return ProcessDefinition(
        process_id=process_id,
        path=path,
        xml=xml,
        hash=hashlib.sha256(xml.encode("utf-8")).hexdigest(),
        spec=spec,
        subprocess_specs=subprocess_specs,
        user_tasks=_user_tasks(spec, subprocess_specs, path),
        has_timers=_has_timers(spec, subprocess_specs),
    )


def _has_timers(spec, subprocess_specs) -> bool:
    """Whether any event waits on a timer (then timers are refreshed before each step)."""
    for s in [spec, *subprocess_specs.values()]:
        for task_spec in s.task_specs.values():
            definition = getattr(task_spec, "event_definition", None)
            inner = getattr(definition, "event_definitions", None) or [definition]
            if any(isinstance(d, TimerEventDefinition) for d in inner):
                return True
    return False

"""Running cases on SpiffWorkflow 3.2: start, load, complete a task, send a message, save.

Facts this module relies on (checked against 3.2):
- `task.run()` does not check that a task is READY, so `complete` checks it first.
- The script engine is not serialized: it is attached again on every load.
- The spec travels inside a serialized workflow unless removed: we store it once per content
  hash, which keeps each saved case small, and restore a case onto the definition's parsed
  spec objects (shared by every case of the definition, as SpiffWorkflow allows).
"""

from __future__ import annotations

import json
import logging
import threading
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState

from .specs import ProcessDefinition

_effects: ContextVar[list[str] | None] = ContextVar("case_effects", default=None)


def _effect(name: str) -> None:
    """Called by script tasks: `effect("repair_approved")`."""
    collected = _effects.get()
    if collected is None:
        raise WorkflowError("effect() called outside an engine run")
    collected.append(name)


class _ParsedSpecWorkflowConverter(BpmnWorkflowConverter):
    """Restores a saved workflow onto specs already parsed, when given them.

    Rebuilding the spec objects from their JSON on every load cost about as much as restoring
    the case's own tasks; the parsed specs are the same for every case of a definition.
    Without `definition` (a state that still carries its spec) it restores as 3.2 does.
    """

    def from_dict(self, dct, definition=None, script_engine=None):
        if definition is None:
            return super().from_dict(dct)
        workflow = self.target_class(
            definition.spec,
            definition.subprocess_specs,
            script_engine=script_engine,
            deserializing=True,
        )
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


_CONFIG = {**SPIFF_CONFIG, BpmnWorkflow: _ParsedSpecWorkflowConverter}


def _quiet_spiff_loggers() -> None:
    """SpiffWorkflow 3.2 builds the `extra` of its log records whether or not they are
    emitted, and while its loggers' own level is unset (below INFO) adds the task data and
    a walk of the whole task tree to each. The app never shows those records (its log is the
    request log), so the loggers are set to WARNING unless configured otherwise."""
    for name in ("spiff.task", "spiff.workflow", "spiff.data"):
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.WARNING)


class WorkflowError(Exception):
    """The engine refused a step (a task that is not ready, a message nobody waits for)."""


@dataclass(frozen=True)
class EngineTask:
    id: str
    name: str
    title: str
    lane: str
    properties: dict[str, str]


@dataclass
class Run:
    """A workflow in memory for the length of one request."""

    definition: ProcessDefinition
    workflow: BpmnWorkflow
    effects: list[str] = field(default_factory=list)


class Engine:
    def __init__(self, definitions: dict[str, ProcessDefinition]) -> None:
        self.definitions = definitions
        self.by_hash = {d.hash: d for d in definitions.values()}
        self.serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(_CONFIG))
        self.script_engine = PythonScriptEngine(
            environment=TaskDataEnvironment({"effect": _effect})
        )
        self._spec_json: dict[str, str] = {}
        # The serializer's encoder mode is a flag on the shared registry: a worker's threads
        # (gunicorn --threads) take turns converting, so none flips it under another.
        self._converting = threading.Lock()
        _quiet_spiff_loggers()

    def deploy_xml(self, process_id: str, xml: str) -> ProcessDefinition:
        """Make an older stored definition runnable again (cases started before a change)."""
        from .specs import parse_definition

        definition = parse_definition(process_id, xml)
        self.by_hash[definition.hash] = definition
        return definition

    @property
    def serializer_version(self) -> str:
        return self.serializer.VERSION

    # ---- running ------------------------------------------------------------------------

    def _steps(self, run: Run) -> None:
        token = _effects.set(run.effects)
        try:
            if run.definition.has_timers:
                run.workflow.refresh_timers()
            run.workflow.do_engine_steps()
        finally:
            _effects.reset(token)

    def start(self, process_id: str, data: dict[str, Any]) -> Run:
        definition = self.definitions[process_id]
        wf = BpmnWorkflow(
            definition.spec, definition.subprocess_specs, script_engine=self.script_engine
        )
        for task in wf.get_tasks(state=TaskState.READY):
            task.set_data(**data)
        run = Run(definition, wf)
        self._steps(run)
        return run

    def ready_tasks(self, run: Run) -> list[EngineTask]:
        out = []
        for task in run.workflow.get_tasks(state=TaskState.READY):
            spec = task.task_spec
            if not spec.manual:
                continue
            info = run.definition.user_tasks[spec.name]
            out.append(EngineTask(str(task.id), spec.name, info.title, info.lane, info.properties))
        return out

    def complete(self, run: Run, task_id: str, data: dict[str, Any]) -> None:
        """Run a READY user task with its form data, then the engine steps that follow."""
        if run.definition.has_timers:
            self._steps(run)  # timers due first, so a stale path cannot also run
        task = self._task(run, task_id)
        if task is None or not task.task_spec.manual or task.state != TaskState.READY:
            raise WorkflowError("this task is not open for action (already done or not reached)")
        task.set_data(**json.loads(json.dumps(data, default=str)))
        token = _effects.set(run.effects)
        try:
            task.run()
        finally:
            _effects.reset(token)
        self._steps(run)

    def send(self, run: Run, message: str) -> bool:
        """Deliver a message (`withdraw`, `deadline`); False if nothing in the case waits for it."""
        if run.definition.has_timers:
            self._steps(run)
        event = BpmnEvent(MessageEventDefinition(message))
        token = _effects.set(run.effects)
        try:
            run.workflow.send_event(event)
        except WorkflowException:
            return False
        finally:
            _effects.reset(token)
        self._steps(run)
        return True

    def is_completed(self, run: Run) -> bool:
        return run.workflow.is_completed()

    def activities(self, run: Run) -> tuple[list[str], list[str]]:
        """(completed, current) BPMN element ids, for the diagram view."""
        completed, current = [], []
        for task in run.workflow.get_tasks():
            name = task.task_spec.bpmn_id
            if not name:
                continue
            if task.state == TaskState.COMPLETED:
                completed.append(name)
            elif task.state in (TaskState.READY, TaskState.WAITING, TaskState.STARTED):
                current.append(name)
        return sorted(set(completed)), sorted(set(current))

    def diagram(self, run: Run) -> dict[str, Any]:
        """What a case's diagram shows (the officer's case page and the API alike): the BPMN
        the case runs on, with its completed and current activities."""
        completed, current = self.activities(run)
        return {
            "process": run.definition.process_id,
            "bpmn": run.definition.xml,
            "completed": completed,
            "current": current,
        }

    def _task(self, run: Run, task_id: str):
        try:
            return run.workflow.get_task_from_id(UUID(task_id))
        except (ValueError, KeyError, WorkflowException):
            return None

    # ---- saving -----------------------------------------------------------------------

    def _spec_parts(self, definition: ProcessDefinition) -> str:
        """`"spec": …, "subprocess_specs": …` as JSON, computed once per definition."""
        cached = self._spec_json.get(definition.hash)
        if cached is None:
            wf = BpmnWorkflow(definition.spec, definition.subprocess_specs)
            with self._converting:
                full = json.loads(self.serializer.serialize_json(wf))
            cached = json.dumps(
                {"spec": full["spec"], "subprocess_specs": full["subprocess_specs"]}
            )[1:-1]
            self._spec_json[definition.hash] = cached
        return cached

    def dump(self, run: Run) -> str:
        """The workflow's state as JSON, without its spec (stored once, by hash).

        This is `serialize_json` of SpiffWorkflow 3.2 with the spec dropped before encoding,
        saving a parse and a second encoding on every save. It leans on two attributes of
        the 3.2 serializer; the saved-instance fixtures in tests/workflows catch a change.
        """
        s = self.serializer
        with self._converting:
            s.registry._encoder_mode = True
            try:
                dct = s.to_dict(run.workflow)
            finally:
                s.registry._encoder_mode = False
        dct.pop("spec")
        dct.pop("subprocess_specs", None)
        dct[s.VERSION_KEY] = s.VERSION
        return json.dumps(dct, cls=s._encoder_cls, separators=(",", ":"))

    def load(self, state: str, spec_hash: str) -> Run:
        definition = self.by_hash.get(spec_hash)
        if definition is None:
            raise WorkflowError(f"process definition {spec_hash[:12]} is not deployed")
        s = self.serializer
        dct = json.loads(state, cls=s.json_decoder_cls)
        if dct.get(s.VERSION_KEY) == s.VERSION:
            del dct[s.VERSION_KEY]
            wf = s.from_dict(dct, definition=definition, script_engine=self.script_engine)
        else:  # saved by an older serializer: its migrations may need the spec in place
            full = state[:-1] + "," + self._spec_parts(definition) + "}"
            wf = s.deserialize_json(full)
            wf.script_engine = self.script_engine
        return Run(definition, wf)

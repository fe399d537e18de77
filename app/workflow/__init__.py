"""The only importer of SpiffWorkflow: process definitions, engine runs, serialization.

Everything else in the app speaks in plain values: process ids, task ids, lanes, form keys,
effects. That keeps an engine upgrade to this package.
"""

from .engine import Engine, EngineTask, Run, WorkflowError
from .specs import ProcessDefinition, SpecError, load_definitions

__all__ = [
    "Engine",
    "EngineTask",
    "ProcessDefinition",
    "Run",
    "SpecError",
    "WorkflowError",
    "load_definitions",
]

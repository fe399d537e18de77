"""The only importer of SpiffWorkflow: process definitions, engine runs, serialization.

Everything else in the app speaks in plain values: process ids, task ids, lanes, form keys,
effects. That keeps an engine upgrade to this package.
"""

from .engine import Engine, EngineTask, Run, WorkflowError
from .links import Links, check_links
from .specs import LANE_ROLES, ProcessDefinition, SpecError, load_definitions

__all__ = [
    "LANE_ROLES",
    "Engine",
    "EngineTask",
    "Links",
    "ProcessDefinition",
    "Run",
    "SpecError",
    "WorkflowError",
    "check_links",
    "load_definitions",
]

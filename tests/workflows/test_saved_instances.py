"""Cases saved by this version restore and finish after a restart (stored fixtures)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.workflow import Engine, load_definitions

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "engine"


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(load_definitions(ROOT / "workflows"))


def restore(engine: Engine, name: str):
    doc = json.loads((FIXTURES / f"{name}.json").read_text("utf-8"))
    if doc["spec_hash"] not in engine.by_hash:  # the definition changed since: use the stored one
        engine.deploy_xml(doc["process_id"], doc["bpmn"])
    return engine.load(doc["state"], doc["spec_hash"])


def test_saved_objection_continues_to_its_decision(engine):
    run = restore(engine, "objection_accepted")
    ready = engine.ready_tasks(run)
    assert [t.name for t in ready] == ["resolve_objection"]
    engine.complete(run, ready[0].id, {"outcome": "revoked", "reasons": "x"})
    assert run.effects == ["objection_resolved"]
    assert engine.is_completed(run)


def test_saved_repair_waiting_for_material_still_takes_the_supplement_and_withdrawal(engine):
    run = restore(engine, "repair_waiting_for_material")
    ready = engine.ready_tasks(run)
    assert [(t.name, t.lane) for t in ready] == [("supplement_material", "enterprise")]
    engine.complete(run, ready[0].id, {"material": "见附件"})
    assert [t.name for t in engine.ready_tasks(run)] == ["verify_repair"]
    assert engine.send(run, "withdraw") is True
    assert run.effects == ["withdrawn"] and engine.is_completed(run)


def test_a_stored_definition_that_changed_still_runs_its_old_cases(engine):
    doc = json.loads((FIXTURES / "objection_accepted.json").read_text("utf-8"))
    fresh = Engine(load_definitions(ROOT / "workflows"))
    fresh.by_hash.pop(doc["spec_hash"], None)  # as if the BPMN file had been edited since
    fresh.deploy_xml(doc["process_id"], doc["bpmn"])
    run = fresh.load(doc["state"], doc["spec_hash"])
    assert [t.name for t in fresh.ready_tasks(run)] == ["resolve_objection"]

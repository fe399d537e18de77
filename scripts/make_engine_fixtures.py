"""Write serialized case instances for tests/fixtures/engine/ (run once per engine version).

    .venv/bin/python scripts/make_engine_fixtures.py

The tests restore these files with the current engine: an upgrade of SpiffWorkflow or of our
serializer that cannot read cases saved by this version fails them, before production does.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.workflow import Engine, load_definitions  # noqa: E402

OUT = ROOT / "tests" / "fixtures" / "engine"


def save(engine: Engine, name: str, run) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    doc = {
        "process_id": run.definition.process_id,
        "spec_hash": run.definition.hash,
        "serializer_version": engine.serializer_version,
        "bpmn": run.definition.xml,
        "state": engine.dump(run),
    }
    (OUT / f"{name}.json").write_text(
        json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )


def main() -> None:
    engine = Engine(load_definitions(ROOT / "workflows"))
    run = engine.start("objection", {"case": {"entry_ids": [1], "matter": "M-1"}})
    task = engine.ready_tasks(run)[0]
    engine.complete(run, task.id, {"decision": "accept"})
    save(engine, "objection_accepted", run)

    run = engine.start("repair", {"case": {"entry_id": 1, "matter": "M-1"}})
    task = engine.ready_tasks(run)[0]
    engine.complete(run, task.id, {"decision": "need_more", "reasons": "补充材料"})
    save(engine, "repair_waiting_for_material", run)


if __name__ == "__main__":
    main()

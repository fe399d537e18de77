"""The names that tie the BPMN to the code are checked when the app starts (issue 13 part 4).

A broken formKey, effect, gateway variable or lane in a copy of the shipped definitions stops
`create_app`, with a message naming the file and the element, before any case reaches it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.factory import create_app
from app.services.process_links import application_links
from app.workflow import SpecError, check_links, load_definitions

ROOT = Path(__file__).resolve().parents[2]


def workflows_copy(tmp_path: Path, name: str | None = None, old: str = "", new: str = "") -> Path:
    """The shipped definitions in `tmp_path`, with `old` replaced by `new` in `name`."""
    for f in (ROOT / "workflows").glob("*.bpmn"):
        xml = f.read_text("utf-8")
        if f.stem == name:
            assert old in xml, old
            xml = xml.replace(old, new)
        (tmp_path / f.name).write_text(xml, "utf-8")
    return tmp_path


def start(directory: Path):
    return create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "WORKFLOWS_DIR": str(directory)})


def test_the_shipped_definitions_link_to_the_code():
    check_links(load_definitions(ROOT / "workflows"), application_links())


def test_the_app_starts_from_a_configured_copy(tmp_path):
    app = start(workflows_copy(tmp_path))
    assert set(app.extensions["engine"].definitions) >= {"repair", "objection"}


def test_a_broken_form_key_stops_the_start_naming_file_and_task(tmp_path):
    d = workflows_copy(
        tmp_path, "repair", 'value="RepairVerification"', 'value="RepairVerificaton"'
    )
    with pytest.raises(SpecError) as refused:
        start(d)
    assert str(refused.value) == (
        "repair.bpmn: userTask verify_repair: formKey 'RepairVerificaton' has no schema in "
        "forms/tasks.py"
    )


def test_an_unknown_effect_stops_the_start_naming_file_and_script_task(tmp_path):
    d = workflows_copy(tmp_path, "repair", 'effect("repair_approved")', 'effect("repair_aproved")')
    with pytest.raises(SpecError) as refused:
        start(d)
    assert str(refused.value) == (
        "repair.bpmn: scriptTask repair_approved: effect 'repair_aproved' has no registered handler"
    )


def test_a_script_that_is_not_an_effect_call_is_refused(tmp_path):
    d = workflows_copy(tmp_path, "repair", 'effect("repair_rejected")', "points = 3")
    with pytest.raises(SpecError, match=r"^repair\.bpmn: scriptTask repair_rejected: a script"):
        start(d)


def test_a_gateway_condition_on_a_variable_no_form_sets_is_refused(tmp_path):
    d = workflows_copy(tmp_path, "repair", 'decision == "approve"', 'verdict == "approve"')
    with pytest.raises(SpecError) as refused:
        start(d)
    assert str(refused.value) == (
        "repair.bpmn: sequenceFlow flow_approve: condition reads 'verdict', which no form of "
        "the process sets"
    )


def test_a_gateway_condition_on_a_value_the_form_never_gives_is_refused(tmp_path):
    d = workflows_copy(tmp_path, "objection", 'outcome == "revoked"', 'outcome == "cancelled"')
    with pytest.raises(
        SpecError, match=r"objection\.bpmn: sequenceFlow flow_revoked: .*'cancelled'"
    ):
        start(d)


def test_a_lane_no_role_maps_to_is_refused(tmp_path):
    d = workflows_copy(
        tmp_path,
        "correction",
        '<bpmn:lane id="lane_supervisor" name="监督机关">',
        '<bpmn:lane id="lane_supervisor" name="督查">',
    )
    with pytest.raises(
        SpecError, match=r"^correction\.bpmn: lane lane_supervisor: '督查' maps to no role"
    ):
        start(d)


def test_an_empty_lane_is_refused(tmp_path):
    xml = (ROOT / "workflows" / "reward.bpmn").read_text("utf-8")
    refs = re.search(
        r'(<bpmn:lane id="lane_enterprise"[^>]*>\s*<bpmn:documentation>[^<]*</bpmn:documentation>)'
        r"(.*?)(</bpmn:lane>)",
        xml,
        re.S,
    )
    moved = refs.group(1) + refs.group(3)
    d = workflows_copy(tmp_path, "reward", refs.group(0), moved)
    # the moved nodes now belong to no lane; an empty lane is what the check names
    with pytest.raises(SpecError, match=r"reward\.bpmn: lane lane_enterprise: '企业' is empty"):
        start(d)


def test_every_broken_link_is_named_at_once(tmp_path):
    d = workflows_copy(tmp_path, "repair", 'effect("repair_approved")', 'effect("nope")')
    xml = (d / "objection.bpmn").read_text("utf-8")
    (d / "objection.bpmn").write_text(xml.replace('"ObjectionResolution"', '"Nope"'), "utf-8")
    with pytest.raises(SpecError) as refused:
        start(d)
    assert "objection.bpmn: userTask resolve_objection: formKey 'Nope'" in str(refused.value)
    assert "repair.bpmn: scriptTask repair_approved: effect 'nope'" in str(refused.value)


def test_an_effect_name_has_one_handler():
    from app.services.case_effects import effect

    with pytest.raises(ValueError, match="registered twice"):
        effect("withdrawn")(lambda case, ctx: None)


def test_every_handler_serves_a_shipped_process_or_cases_started_before_a_change():
    used = set()
    for f in (ROOT / "workflows").glob("*.bpmn"):
        used |= set(re.findall(r'effect\("(\w+)"\)', f.read_text("utf-8")))
    # objection_resolved: the one script task of objections started before the outcome gateway
    assert set(application_links().effects) - used == {"objection_resolved"}
    assert used <= set(application_links().effects)

"""Process definitions are checked at start-up: a broken file names itself and its problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.workflow import SpecError, load_definitions

ROOT = Path(__file__).resolve().parents[2]


def copy_workflows(tmp_path: Path) -> Path:
    for f in (ROOT / "workflows").glob("*.bpmn"):
        (tmp_path / f.name).write_text(f.read_text("utf-8"), "utf-8")
    return tmp_path


def test_all_shipped_definitions_load():
    definitions = load_definitions(ROOT / "workflows")
    assert set(definitions) == {
        "deduction_notice",
        "repair",
        "objection",
        "correction",
        "reward",
        "rectification",
    }


def test_malformed_xml_names_the_file(tmp_path):
    d = copy_workflows(tmp_path)
    (d / "repair.bpmn").write_text("<bpmn:definitions", "utf-8")
    with pytest.raises(SpecError, match=r"^repair\.bpmn: "):
        load_definitions(d)


def test_user_task_without_form_key_is_refused(tmp_path):
    d = copy_workflows(tmp_path)
    xml = (d / "objection.bpmn").read_text("utf-8")
    broken = xml.replace('name="formKey" value="ObjectionAcceptance"', 'name="other" value="x"')
    assert broken != xml
    (d / "objection.bpmn").write_text(broken, "utf-8")
    with pytest.raises(
        SpecError, match=r"objection\.bpmn: user task accept_objection has no formKey"
    ):
        load_definitions(d)


def test_process_id_must_match_the_file_name(tmp_path):
    d = copy_workflows(tmp_path)
    (d / "reward.bpmn").rename(d / "rewards.bpmn")
    with pytest.raises(SpecError, match=r"rewards\.bpmn"):
        load_definitions(d)


def test_app_refuses_to_start_with_a_broken_definition(tmp_path, monkeypatch):
    import app.factory as factory

    (tmp_path / "workflows").mkdir()
    d = copy_workflows(tmp_path / "workflows")
    (d / "correction.bpmn").write_text("not xml", "utf-8")
    monkeypatch.setattr(factory, "ROOT", tmp_path)
    with pytest.raises(SpecError, match=r"correction\.bpmn"):
        factory.create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_a_process_with_a_timer_is_recognised(tmp_path):
    d = copy_workflows(tmp_path)
    xml = (d / "correction.bpmn").read_text("utf-8")
    timer = (
        '<bpmn:timerEventDefinition id="t1"><bpmn:timeDuration xsi:type="bpmn:tFormalExpression">'
        '"PT1H"</bpmn:timeDuration></bpmn:timerEventDefinition>'
    )
    with_timer = xml.replace(
        '<bpmn:messageEventDefinition id="verify_correction_deadline_message"'
        ' messageRef="message_deadline" />',
        timer,
    )
    if "xmlns:xsi=" not in with_timer:
        with_timer = with_timer.replace(
            "<bpmn:definitions ",
            '<bpmn:definitions xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ',
            1,
        )
    assert with_timer != xml
    (d / "correction.bpmn").write_text(with_timer, "utf-8")
    definitions = load_definitions(d)
    assert definitions["correction"].has_timers is True
    assert definitions["objection"].has_timers is False

"""The case processes in `workflows/*.bpmn`, run in memory on SpiffWorkflow 3.2.

No Flask and no database: each file is parsed the way `app/workflow` parses it, run with a
script engine whose only global is `effect(NAME)` (it records NAME), and driven through every
path by completing user tasks and sending the `withdraw` and `deadline` messages. The paths
run twice: once in memory, once saved and restored with the serializer before every step.
The static checks hold the conventions of `workflows/README.md` that the engine adapter
relies on: ids, lanes, user-task properties, effects, messages and a complete diagram.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.event_definitions.message import (
    MessageEventDefinition as BpmnMessageEventDefinition,
)
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.spiff.parser import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"
PROCESSES = ("deduction_notice", "repair", "objection", "correction", "reward", "rectification")
# Lane names as the bureau knows them → the role that works their user tasks (in this order).
LANES = {"企业": "enterprise", "承办机构": "officer", "监督机关": "supervisor"}
MESSAGES = {"withdraw", "deadline"}
EFFECTS = {
    "deliver_notice", "announce", "repair_approved", "repair_rejected",
    "objection_not_accepted", "objection_upheld", "objection_amended", "objection_revoked",
    "correction_applied",
    "correction_rejected", "reward_granted", "reward_rejected", "withdrawn", "overdue",
    "rectification_accepted", "rectification_returned", "letter_delivered",
}  # fmt: skip

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
}
FLOW_NODE_TAGS = (
    "startEvent", "endEvent", "boundaryEvent", "intermediateCatchEvent",
    "intermediateThrowEvent", "userTask", "scriptTask", "serviceTask", "manualTask", "task",
    "exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway",
    "subProcess", "callActivity",
)  # fmt: skip
SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
EFFECT_SCRIPT = re.compile(r'^effect\("([a-z_]+)"\)$')


def _deadline(form: str, name: str, days: int, start: str) -> dict[str, str]:
    return {"formKey": form, "deadline": name, "workingDays": str(days), "deadlineFrom": start}


# The binding contract with the engine adapter and the forms: user task id → (lane, properties).
USER_TASKS: dict[str, dict[str, tuple[str, dict[str, str]]]] = {
    "deduction_notice": {
        "publish_announcement": (
            "officer", _deadline("AnnouncementForm", "notify", 3, "case")),
        "post_letter": ("officer", _deadline("LetterPosting", "notify", 3, "case")),
        "letter_result": ("officer", {"formKey": "LetterResult"}),
    },
    "repair": {
        "verify_repair": ("officer", _deadline("RepairVerification", "verify_repair", 5, "case")),
        "supplement_material": (
            "enterprise", {"formKey": "SupplementForm", "pauses": "verify_repair"}),
    },
    "objection": {
        "accept_objection": (
            "officer", _deadline("ObjectionAcceptance", "accept_objection", 5, "case")),
        "resolve_objection": (
            "officer", _deadline("ObjectionResolution", "resolve_objection", 20, "task")),
    },
    "correction": {
        "verify_correction": (
            "officer", _deadline("CorrectionDecision", "verify_correction", 3, "case")),
    },
    "reward": {
        "verify_reward": ("officer", _deadline("RewardVerification", "verify_reward", 10, "case")),
    },
    "rectification": {
        "report_rectification": (
            "enterprise", {"formKey": "RectificationReport", "pauses": "verify_rectification"}),
        "verify_rectification": ("officer", {
            **_deadline("RectificationVerification", "verify_rectification", 20, "task"),
            "workingDaysSetting": "RECTIFICATION_WORKING_DAYS"}),
    },
}  # fmt: skip
PROCESS_EFFECTS = {
    "deduction_notice": {"deliver_notice", "announce", "letter_delivered", "overdue"},
    "repair": {"repair_approved", "repair_rejected", "withdrawn", "overdue"},
    "objection": {
        "objection_not_accepted",
        "objection_upheld",
        "objection_amended",
        "objection_revoked",
        "withdrawn",
        "overdue",
    },
    "correction": {"correction_applied", "correction_rejected", "overdue"},
    "reward": {"reward_granted", "reward_rejected", "withdrawn", "overdue"},
    "rectification": {"rectification_accepted", "rectification_returned", "overdue"},
}
WITHDRAWABLE = {"repair", "objection", "reward"}


# ---- loading ---------------------------------------------------------------------------


@cache
def load(process_id: str):
    """(spec, subprocess specs), parsed like app/workflow/specs.py does, once per process."""
    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_bpmn_str((WORKFLOWS / f"{process_id}.bpmn").read_bytes(), filename=process_id)
    return parser.get_spec(process_id), parser.get_subprocess_specs(process_id)


@cache
def document(process_id: str) -> etree._ElementTree:
    return etree.parse(str(WORKFLOWS / f"{process_id}.bpmn"))


def xpath(process_id: str, path: str) -> list:
    return document(process_id).xpath(path, namespaces=NS)


def flow_nodes(process_id: str) -> list:
    """Every flow node of the process, nested ones included."""
    return [
        e
        for e in xpath(process_id, "//bpmn:process//*")
        if etree.QName(e).localname in FLOW_NODE_TAGS
    ]


def all_task_specs(process_id: str) -> list:
    spec, subprocess_specs = load(process_id)
    return [ts for s in [spec, *subprocess_specs.values()] for ts in s.task_specs.values()]


def spec_by_id(process_id: str) -> dict[str, Any]:
    return {ts.bpmn_id: ts for ts in all_task_specs(process_id) if ts.bpmn_id}


# ---- running ---------------------------------------------------------------------------


SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))


@dataclass
class Case:
    """One process instance, the effects its script tasks recorded, and optionally a
    save-and-restore through the serializer before every step (as the application does)."""

    process_id: str
    persist: bool = False
    start_data: dict[str, Any] = field(default_factory=dict)
    effects: list[str] = field(default_factory=list)
    saves: int = 0

    def __post_init__(self) -> None:
        spec, subprocess_specs = load(self.process_id)
        self.script_engine = PythonScriptEngine(
            environment=TaskDataEnvironment({"effect": self.effects.append})
        )
        self.workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=self.script_engine)
        for task in self.workflow.get_tasks(state=TaskState.READY):
            task.set_data(**self.start_data)
        self.workflow.do_engine_steps()

    def _restore(self) -> None:
        if self.persist:
            state = SERIALIZER.serialize_json(self.workflow)
            self.workflow = SERIALIZER.deserialize_json(state)
            self.workflow.script_engine = self.script_engine  # not serialized: attach again
            self.saves += 1

    def ready(self) -> list:
        return self.workflow.get_tasks(state=TaskState.READY, manual=True)

    def ready_ids(self) -> list[str]:
        return sorted(t.task_spec.bpmn_id for t in self.ready())

    def task(self, task_id: str):
        """The one READY user task `task_id`; fails if it is not the only one open."""
        self._restore()
        assert self.ready_ids() == [task_id]
        return self.ready()[0]

    def complete(self, task_id: str, **data: Any) -> None:
        task = self.task(task_id)
        task.set_data(**data)
        task.run()
        self.workflow.do_engine_steps()

    def send(self, message: str) -> None:
        """Deliver a message as the scheduler and the portal do; raises WorkflowException
        if nothing in the case waits for it."""
        self._restore()
        self.workflow.send_event(BpmnEvent(MessageEventDefinition(message)))
        self.workflow.do_engine_steps()

    @property
    def completed(self) -> bool:
        return self.workflow.is_completed()

    def assert_done(self, *effects: str) -> None:
        assert self.effects == list(effects)
        assert self.ready() == []
        assert self.completed


@pytest.fixture(params=[False, True], ids=["memory", "saved"])
def start(request) -> Callable[..., Case]:
    """Start a case: `start("repair")` or `start("deduction_notice", route="electronic")`."""
    started: list[Case] = []

    def _start(process_id: str, **data: Any) -> Case:
        case = Case(process_id, persist=request.param, start_data=data)
        started.append(case)
        return case

    yield _start
    if request.param:
        assert all(c.saves > 0 or c.completed for c in started)


def assert_open(case: Case, task_id: str) -> None:
    """`task_id` is the one READY user task, in its lane and with its properties."""
    lane, properties = USER_TASKS[case.process_id][task_id]
    task = case.task(task_id)
    assert LANES[task.task_spec.lane] == lane
    assert task.task_spec.extensions["properties"] == properties
    assert not case.completed


# ---- the files -------------------------------------------------------------------------


def test_every_process_has_a_file_and_nothing_else():
    assert sorted(p.stem for p in WORKFLOWS.glob("*.bpmn")) == sorted(PROCESSES)


@pytest.mark.parametrize("process_id", PROCESSES)
def test_file_validates_and_parses(process_id):
    # SpiffBpmnParser(validator=VALIDATOR) checks the file against the BPMN 2.0 schema.
    spec, _ = load(process_id)
    assert spec.name == process_id
    [process] = xpath(process_id, "/bpmn:definitions/bpmn:process")
    assert process.get("id") == process_id
    assert process.get("isExecutable") == "true"
    [participant] = xpath(process_id, "//bpmn:collaboration/bpmn:participant")
    assert participant.get("processRef") == process_id


@pytest.mark.parametrize("process_id", PROCESSES)
def test_ids_are_snake_case_and_every_element_is_named(process_id):
    for element in xpath(process_id, "//bpmn:*[@id]"):
        assert SNAKE_CASE.match(element.get("id")), element.get("id")
    for node in [*flow_nodes(process_id), *xpath(process_id, "//bpmn:participant")]:
        name = node.get("name") or ""
        # Named in Chinese as the bureau's analysts and users know the steps; pages show the
        # titles of app/codes.py in the reader's language.
        assert re.match(r"^[\u4e00-\u9fff]", name), (node.get("id"), name)
        assert not re.search(r"[A-Za-z]", name), (node.get("id"), name)


@pytest.mark.parametrize("process_id", PROCESSES)
def test_lanes(process_id):
    lanes = xpath(process_id, "/bpmn:definitions/bpmn:process/bpmn:laneSet/bpmn:lane")
    names = [lane.get("name") for lane in lanes]
    assert names == [n for n in LANES if n in names]
    assert names[-2:] == ["承办机构", "监督机关"]  # 企业 only where the enterprise acts
    lane_of: dict[str, list[str]] = {}
    for lane in lanes:
        assert lane.findall("bpmn:flowNodeRef", NS), f"lane {lane.get('name')} is empty"
        for ref in lane.findall("bpmn:flowNodeRef", NS):
            lane_of.setdefault(ref.text, []).append(lane.get("name"))
    node_ids = {n.get("id") for n in flow_nodes(process_id)}
    assert set(lane_of) <= node_ids
    for node_id in node_ids:
        if node_id == "work":
            # SpiffWorkflow 3.2 gives every node inside an embedded subprocess the lane of
            # the subprocess if it has one, overriding the nodes' own lanes. `work` spans the
            # lanes of its contents and belongs to none, so its nodes keep their own lanes.
            assert node_id not in lane_of, "`work` must not be in a lane (see above)"
            assert spec_by_id(process_id)["work"].lane is None
        else:
            assert len(lane_of.get(node_id, [])) == 1, node_id
    for node_id, task_spec in spec_by_id(process_id).items():
        if node_id in lane_of:
            assert task_spec.lane == lane_of[node_id][0], node_id
        if task_spec.manual:
            assert task_spec.lane in LANES
        if task_spec.lane is not None and node_id in lane_of:
            assert task_spec.lane in LANES, node_id


@pytest.mark.parametrize("process_id", PROCESSES)
def test_user_tasks_and_their_properties(process_id):
    found = {
        ts.bpmn_id: (LANES[ts.lane], ts.extensions.get("properties"))
        for ts in all_task_specs(process_id)
        if ts.manual
    }
    assert found == USER_TASKS[process_id]
    deadlines = {p["deadline"] for _, p in found.values() if "deadline" in p}
    for task_id, (lane, props) in found.items():
        assert props["formKey"], task_id
        if "deadline" in props:
            assert ("workingDays" in props) != ("days" in props), task_id
            assert int(props.get("workingDays") or props["days"]) > 0
            assert props["deadlineFrom"] in ("case", "task")
        if lane == "enterprise":
            assert props["pauses"] in deadlines, task_id
        else:
            assert "pauses" not in props


@pytest.mark.parametrize("process_id", PROCESSES)
def test_script_tasks_each_call_one_effect(process_id):
    found = set()
    for script_task in xpath(process_id, "//bpmn:scriptTask"):
        match = EFFECT_SCRIPT.match(script_task.findtext("bpmn:script", namespaces=NS).strip())
        assert match, script_task.get("id")
        found.add(match.group(1))
    assert found <= EFFECTS
    assert found == PROCESS_EFFECTS[process_id]


def _message_name(process_id: str, event) -> str:
    [definition] = event.findall("bpmn:messageEventDefinition", NS)
    [message] = xpath(process_id, f"//bpmn:message[@id='{definition.get('messageRef')}']")
    return message.get("name")


def _follows(process_id: str, node) -> Any:
    [flow_id] = [e.text for e in node.findall("bpmn:outgoing", NS)]
    [flow] = xpath(process_id, f"//bpmn:sequenceFlow[@id='{flow_id}']")
    [target] = xpath(process_id, f"//bpmn:*[@id='{flow.get('targetRef')}']")
    return target


@pytest.mark.parametrize("process_id", PROCESSES)
def test_messages_and_boundary_events(process_id):
    messages = {m.get("name") for m in xpath(process_id, "//bpmn:message")}
    assert messages <= MESSAGES
    for definition in xpath(process_id, "//bpmn:messageEventDefinition"):
        assert _message_name(process_id, definition.getparent()) in MESSAGES
    lanes = {k: LANES.get(v.lane) for k, v in spec_by_id(process_id).items()}

    # `deadline`: one non-interrupting boundary on every user task with a deadline, which
    # leads to the supervisor lane's effect("overdue") and an end.
    for task_id, (_, props) in USER_TASKS[process_id].items():
        boundaries = xpath(process_id, f"//bpmn:boundaryEvent[@attachedToRef='{task_id}']")
        if "deadline" not in props:
            assert boundaries == []
            continue
        [boundary] = boundaries
        assert boundary.get("cancelActivity") == "false"
        assert _message_name(process_id, boundary) == "deadline"
        script = _follows(process_id, boundary)
        assert script.findtext("bpmn:script", namespaces=NS) == 'effect("overdue")'
        assert lanes[script.get("id")] == "supervisor"
        assert etree.QName(_follows(process_id, script)).localname == "endEvent"

    # `withdraw`: one interrupting boundary on the `work` subprocess that wraps every user task.
    withdraws = [
        b
        for b in xpath(process_id, "//bpmn:boundaryEvent")
        if _message_name(process_id, b) == "withdraw"
    ]
    if process_id not in WITHDRAWABLE:
        assert withdraws == []
        return
    [boundary] = withdraws
    assert boundary.get("attachedToRef") == "work"
    assert boundary.get("cancelActivity", "true") == "true"
    [work] = xpath(process_id, "//bpmn:subProcess[@id='work']")
    inside = {e.get("id") for e in work.xpath(".//bpmn:userTask", namespaces=NS)}
    assert inside == set(USER_TASKS[process_id])
    script = _follows(process_id, boundary)
    assert script.findtext("bpmn:script", namespaces=NS) == 'effect("withdrawn")'
    assert lanes[script.get("id")] == "enterprise"


@pytest.mark.parametrize("process_id", PROCESSES)
def test_annotations_cite_the_regulation_beside_the_steps(process_id):
    """For the analysts: each process cites the article(s) it carries out, beside the step."""
    notes = xpath(process_id, "//bpmn:textAnnotation")
    associations = {
        a.get("sourceRef"): a.get("targetRef") for a in xpath(process_id, "//bpmn:association")
    }
    node_ids = {n.get("id") for n in flow_nodes(process_id)}
    assert notes
    assert any(
        re.search(r"第[一二三四五六七八九十]+条", n.findtext("bpmn:text", namespaces=NS))
        for n in notes
    )
    for note in notes:
        assert associations.get(note.get("id")) in node_ids, note.get("id")


@pytest.mark.parametrize("process_id", PROCESSES)
def test_gateways_have_a_condition_or_default_on_every_way_out(process_id):
    for gateway in xpath(process_id, "//bpmn:exclusiveGateway"):
        outgoing = xpath(process_id, f"//bpmn:sequenceFlow[@sourceRef='{gateway.get('id')}']")
        assert len(outgoing) >= 2
        for flow in outgoing:
            condition = flow.findtext("bpmn:conditionExpression", namespaces=NS)
            assert condition or flow.get("id") == gateway.get("default"), flow.get("id")
            if condition:
                compile(condition, flow.get("id"), "eval")


@pytest.mark.parametrize("process_id", PROCESSES)
def test_flows_are_connected_and_every_end_is_reachable(process_id):
    nodes = {n.get("id"): n for n in flow_nodes(process_id)}
    successors: dict[str, set[str]] = {i: set() for i in nodes}
    for flow in xpath(process_id, "//bpmn:sequenceFlow"):
        source, target = flow.get("sourceRef"), flow.get("targetRef")
        assert source in nodes and target in nodes, flow.get("id")
        assert flow.get("id") in [e.text for e in nodes[source].findall("bpmn:outgoing", NS)]
        assert flow.get("id") in [e.text for e in nodes[target].findall("bpmn:incoming", NS)]
        successors[source].add(target)
    for node_id, node in nodes.items():
        kind = etree.QName(node).localname
        if kind == "boundaryEvent":
            successors[node.get("attachedToRef")].add(node_id)
        if kind == "subProcess":
            [inner_start] = node.findall("bpmn:startEvent", NS)
            successors[node_id].add(inner_start.get("id"))
        if kind not in ("startEvent", "boundaryEvent"):
            assert node.findall("bpmn:incoming", NS), node_id
        if kind != "endEvent":
            assert node.findall("bpmn:outgoing", NS), node_id
    [start] = xpath(process_id, "/bpmn:definitions/bpmn:process/bpmn:startEvent")
    reached, todo = set(), [start.get("id")]
    while todo:
        node_id = todo.pop()
        if node_id not in reached:
            reached.add(node_id)
            todo.extend(successors[node_id])
    assert reached == set(nodes)


def _bounds(shape) -> tuple[float, float, float, float]:
    b = shape.find("dc:Bounds", NS)
    return tuple(float(b.get(k)) for k in ("x", "y", "width", "height"))


@pytest.mark.parametrize("process_id", PROCESSES)
def test_diagram_is_complete_and_laid_out_in_lanes(process_id):
    shapes = {s.get("bpmnElement"): s for s in xpath(process_id, "//bpmndi:BPMNShape")}
    edges = {e.get("bpmnElement"): e for e in xpath(process_id, "//bpmndi:BPMNEdge")}
    [plane] = xpath(process_id, "//bpmndi:BPMNPlane")
    [collaboration] = xpath(process_id, "//bpmn:collaboration")
    assert plane.get("bpmnElement") == collaboration.get("id")
    elements = [
        *xpath(process_id, "//bpmn:participant"),
        *xpath(process_id, "//bpmn:lane"),
        *flow_nodes(process_id),
        *xpath(process_id, "//bpmn:textAnnotation"),
    ]
    assert {e.get("id") for e in elements} == set(shapes)
    flows = {f.get("id") for f in xpath(process_id, "//bpmn:sequenceFlow | //bpmn:association")}
    assert flows == set(edges)
    for edge in edges.values():
        assert len(edge.findall("di:waypoint", NS)) >= 2

    lane_box = {}
    for lane in xpath(process_id, "//bpmn:lane"):
        lane_box[lane.get("name")] = _bounds(shapes[lane.get("id")])
    px, py, pw, ph = _bounds(shapes[f"{process_id}_participant"])
    for node in flow_nodes(process_id):
        x, y, w, h = _bounds(shapes[node.get("id")])
        assert px < x and x + w < px + pw and py < y and y + h < py + ph, node.get("id")
        lane = spec_by_id(process_id)[node.get("id")].lane
        if lane is not None:  # the centre of a node lies in its lane
            lx, ly, lw, lh = lane_box[lane]
            assert lx < x + w / 2 < lx + lw and ly < y + h / 2 < ly + lh, node.get("id")
    for work in xpath(process_id, "//bpmn:subProcess"):
        wx, wy, ww, wh = _bounds(shapes[work.get("id")])
        for inner in work.xpath("./*[@id]", namespaces=NS):
            if inner.get("id") in shapes:
                x, y, w, h = _bounds(shapes[inner.get("id")])
                assert wx < x and x + w < wx + ww and wy < y and y + h < wy + wh


# ---- the paths: deduction_notice ---------------------------------------------------------


def test_r_channel_deduction_notice_delivered_electronically(start):
    case = start("deduction_notice", route="electronic")
    case.assert_done("deliver_notice")


def test_r_channel_deduction_notice_announced_when_the_recipient_is_unknown(start):
    case = start("deduction_notice", route="announce")
    assert case.effects == []
    assert_open(case, "publish_announcement")
    case.complete("publish_announcement")
    case.assert_done("announce")


def test_r_channel_deduction_notice_by_letter_delivered(start):
    case = start("deduction_notice", route="letter")
    assert_open(case, "post_letter")
    case.complete("post_letter", posted_on="2026-11-26")
    assert_open(case, "letter_result")
    case.complete("letter_result", outcome="delivered", on="2026-11-30")
    case.assert_done("letter_delivered")


def test_r_channel_a_returned_letter_leads_to_the_announcement(start):
    case = start("deduction_notice", route="letter")
    case.complete("post_letter", posted_on="2026-11-26")
    case.complete("letter_result", outcome="returned", on="2026-11-30")
    assert case.effects == []
    assert_open(case, "publish_announcement")
    case.complete("publish_announcement")
    case.assert_done("announce")


def test_deduction_notice_needs_its_route_in_the_start_data():
    with pytest.raises(WorkflowException):
        Case("deduction_notice")


def test_deduction_notice_overdue_announcement_stays_open(start):
    case = start("deduction_notice", route="announce")
    task_id = case.task("publish_announcement").id
    case.send("deadline")
    assert case.effects == ["overdue"]
    assert case.task("publish_announcement").id == task_id  # the same task, still open
    case.complete("publish_announcement")
    case.assert_done("overdue", "announce")


# ---- repair ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("decision", "effect"), [("approve", "repair_approved"), ("reject", "repair_rejected")]
)
def test_repair_decided(start, decision, effect):
    case = start("repair")
    assert_open(case, "verify_repair")
    case.complete("verify_repair", decision=decision)
    case.assert_done(effect)


def test_repair_need_more_material_loops_back_to_verification(start):
    case = start("repair")
    case.complete("verify_repair", decision="need_more")
    assert_open(case, "supplement_material")
    case.complete("supplement_material")
    assert_open(case, "verify_repair")
    case.complete("verify_repair", decision="need_more")
    case.complete("supplement_material")
    assert case.effects == []
    case.complete("verify_repair", decision="approve")
    case.assert_done("repair_approved")


@pytest.mark.parametrize("stage", ["verify_repair", "supplement_material"])
def test_repair_withdrawn_interrupts_the_work(start, stage):
    case = start("repair")
    if stage == "supplement_material":
        case.complete("verify_repair", decision="need_more")
    assert case.ready_ids() == [stage]
    case.send("withdraw")
    case.assert_done("withdrawn")
    with pytest.raises(WorkflowException):  # the deadline boundary went with the task
        case.send("deadline")


def test_repair_overdue_verification_stays_open(start):
    case = start("repair")
    task_id = case.task("verify_repair").id
    case.send("deadline")
    assert case.effects == ["overdue"]
    assert case.task("verify_repair").id == task_id
    case.complete("verify_repair", decision="reject")
    case.assert_done("overdue", "repair_rejected")


def test_repair_deadline_fires_once_per_open_task(start):
    case = start("repair")
    case.send("deadline")
    with pytest.raises(WorkflowException):  # nothing waits: it was recorded once
        case.send("deadline")
    assert case.effects == ["overdue"]
    case.complete("verify_repair", decision="need_more")
    with pytest.raises(WorkflowException):  # the deadline stands still while supplementing
        case.send("deadline")
    case.complete("supplement_material")
    case.send("deadline")  # a new verification task waits again
    assert case.effects == ["overdue", "overdue"]
    case.complete("verify_repair", decision="approve")
    case.assert_done("overdue", "overdue", "repair_approved")


def test_repair_overdue_then_withdrawn(start):
    case = start("repair")
    case.send("deadline")
    case.send("withdraw")
    case.assert_done("overdue", "withdrawn")


# ---- objection ---------------------------------------------------------------------------


def test_objection_not_accepted(start):
    case = start("objection")
    assert_open(case, "accept_objection")
    case.complete("accept_objection", decision="reject")
    case.assert_done("objection_not_accepted")


@pytest.mark.parametrize("outcome", ["upheld", "amended", "revoked"])
def test_objection_accepted_and_resolved(start, outcome):
    case = start("objection")
    case.complete("accept_objection", decision="accept")
    assert_open(case, "resolve_objection")
    case.complete("resolve_objection", outcome=outcome)
    case.assert_done(f"objection_{outcome}")  # R-RIGHTS: each outcome is its own branch
    assert case.workflow.data["outcome"] == outcome  # the form's outcome reaches the case


@pytest.mark.parametrize("stage", ["accept_objection", "resolve_objection"])
def test_objection_withdrawn_interrupts_the_work(start, stage):
    case = start("objection")
    if stage == "resolve_objection":
        case.complete("accept_objection", decision="accept")
    assert case.ready_ids() == [stage]
    case.send("withdraw")
    case.assert_done("withdrawn")


def test_objection_overdue_at_each_stage_stays_open(start):
    case = start("objection")
    task_id = case.task("accept_objection").id
    case.send("deadline")
    assert case.task("accept_objection").id == task_id
    case.complete("accept_objection", decision="accept")
    task_id = case.task("resolve_objection").id
    case.send("deadline")
    assert case.effects == ["overdue", "overdue"]
    assert case.task("resolve_objection").id == task_id
    case.complete("resolve_objection", outcome="revoked")
    case.assert_done("overdue", "overdue", "objection_revoked")


# ---- correction --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("decision", "effect"),
    [("correct", "correction_applied"), ("no_error", "correction_rejected")],
)
def test_correction_decided(start, decision, effect):
    case = start("correction")
    assert_open(case, "verify_correction")
    case.complete("verify_correction", decision=decision)
    case.assert_done(effect)


def test_correction_overdue_stays_open_and_cannot_be_withdrawn(start):
    case = start("correction")
    task_id = case.task("verify_correction").id
    with pytest.raises(WorkflowException):  # opened inside the administration: no withdrawal
        case.send("withdraw")
    case.send("deadline")
    assert case.task("verify_correction").id == task_id
    case.complete("verify_correction", decision="correct")
    case.assert_done("overdue", "correction_applied")


# ---- reward ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("decision", "effect"), [("approve", "reward_granted"), ("reject", "reward_rejected")]
)
def test_reward_decided(start, decision, effect):
    case = start("reward")
    assert_open(case, "verify_reward")
    case.complete("verify_reward", decision=decision)
    case.assert_done(effect)


def test_reward_withdrawn_interrupts_the_work(start):
    case = start("reward")
    case.send("withdraw")
    case.assert_done("withdrawn")


def test_reward_overdue_stays_open(start):
    case = start("reward")
    task_id = case.task("verify_reward").id
    case.send("deadline")
    assert case.task("verify_reward").id == task_id
    case.complete("verify_reward", decision="approve")
    case.assert_done("overdue", "reward_granted")


# ---- engine facts the adapter relies on -------------------------------------------------


@pytest.mark.parametrize(
    ("process_id", "task_id"),
    [("repair", "verify_repair"), ("objection", "accept_objection"),
     ("correction", "verify_correction"), ("reward", "verify_reward")],
)  # fmt: skip
def test_an_unknown_decision_is_refused_not_guessed(process_id, task_id):
    case = Case(process_id)
    with pytest.raises(WorkflowException):
        case.complete(task_id, decision="maybe")
    assert case.effects == []


def test_messages_must_be_built_with_the_spiff_event_definition():
    """SpiffBpmnParser gives message events the subclass in SpiffWorkflow.spiff.specs, and
    EventDefinition.__eq__ compares exact classes: the base class from SpiffWorkflow.bpmn
    matches nothing."""
    case = Case("repair")
    with pytest.raises(WorkflowException):
        case.workflow.send_event(BpmnEvent(BpmnMessageEventDefinition("withdraw")))
    assert case.ready_ids() == ["verify_repair"]
    case.send("withdraw")
    case.assert_done("withdrawn")


@pytest.mark.parametrize("process_id", sorted(WITHDRAWABLE))
def test_a_saved_case_restores_and_continues(process_id):
    """Save mid-way, restore into a fresh script engine, and finish."""
    case = Case(process_id)
    state = SERIALIZER.serialize_json(case.workflow)
    effects: list[str] = []
    workflow = SERIALIZER.deserialize_json(state)
    workflow.script_engine = PythonScriptEngine(
        environment=TaskDataEnvironment({"effect": effects.append})
    )
    [task] = workflow.get_tasks(state=TaskState.READY, manual=True)
    assert task.task_spec.extensions["properties"]["formKey"]
    workflow.send_event(BpmnEvent(MessageEventDefinition("deadline")))
    workflow.do_engine_steps()
    workflow.send_event(BpmnEvent(MessageEventDefinition("withdraw")))
    workflow.do_engine_steps()
    assert effects == ["overdue", "withdrawn"]
    assert workflow.is_completed()


# ---- rectification -----------------------------------------------------------------------


def test_rectification_reported_and_accepted(start):
    case = start("rectification")
    assert_open(case, "report_rectification")
    case.complete("report_rectification", report="已整改")
    assert_open(case, "verify_rectification")
    case.complete("verify_rectification", decision="accept")
    case.assert_done("rectification_accepted")


def test_rectification_not_accepted_goes_back_to_the_enterprise(start):
    case = start("rectification")
    case.complete("report_rectification")
    case.complete("verify_rectification", decision="reject")
    assert case.effects == ["rectification_returned"]
    assert_open(case, "report_rectification")
    with pytest.raises(WorkflowException):  # the verification clock stands still meanwhile
        case.send("deadline")
    case.complete("report_rectification")
    case.complete("verify_rectification", decision="accept")
    case.assert_done("rectification_returned", "rectification_accepted")


def test_rectification_overdue_verification_stays_open(start):
    case = start("rectification")
    with pytest.raises(WorkflowException):  # no deadline before the report
        case.send("deadline")
    case.complete("report_rectification")
    task_id = case.task("verify_rectification").id
    case.send("deadline")
    assert case.effects == ["overdue"]
    assert case.task("verify_rectification").id == task_id
    case.complete("verify_rectification", decision="accept")
    case.assert_done("overdue", "rectification_accepted")

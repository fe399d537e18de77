"""Measures by class after each classification run (rules §10, Art. 27, 30) and the
rectification order as a case, on the real database and the BPMN engine."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask import current_app
from flask_babel import gettext
from sqlalchemy import func, select

from app.codes import render_message
from app.errors import Conflict, DomainError, NotFound
from app.extensions import db
from app.queries.measures import serious_flag
from app.services.cases import Ctx, complete_task
from app.services.classification import run_classification
from app.services.imports import import_records
from app.services.measures import acknowledge_notices, complete_measure, start_rectifications
from app.services.scheduler import tick
from models import (
    AuditEvent,
    Case,
    CaseTask,
    Deadline,
    Measure,
    Notification,
    Operator,
    ScoringObject,
)
from tests.helpers import jsonl, matter, operator, product, spot_check, uscc

AT = datetime(2026, 7, 2, 2, 0, tzinfo=UTC)
P1, S2, S3, S4, O5, P6 = (
    uscc(1),
    uscc(2, "440100"),
    uscc(3, "440100"),
    uscc(4),
    uscc(5),
    uscc(6),
)


def load(records):
    report = import_records(
        jsonl(records).splitlines(True), today=date(2026, 6, 30), actor="test", at=AT
    )
    assert report.refusals == []
    db.session.commit()


def classify(on: str = "2026-07-01", at: datetime = AT):
    report = run_classification(date.fromisoformat(on), actor="test", at=at)
    db.session.commit()
    return report


def op_id(code: str) -> int:
    return db.session.scalar(select(Operator.id).where(Operator.uscc == code))


def measures_of(code: str, *, state: str | None = None) -> list[tuple[str, str, str]]:
    """(object kind, class, measure kind) of an operator's measures, sorted."""
    q = (
        select(ScoringObject.kind, Measure.klass, Measure.kind)
        .join(ScoringObject, ScoringObject.id == Measure.object_id)
        .where(Measure.operator_id == op_id(code))
    )
    if state:
        q = q.where(Measure.state == state)
    return sorted(db.session.execute(q).tuples().all())


@pytest.fixture
def province(seeded, db_session):
    """On 2026-07-01: P1 and its product A (a clean spot check); seller S2 B (8 points); seller
    S3 C (3); S4 D (-5); O5 never recorded (O); P6's product failed a spot check (product and
    producer B)."""
    load(
        [
            operator(1),
            product(P1, brand="甲牌"),
            spot_check("GD-CC-1", P1, result="pass", brand="甲牌"),
            operator(2, bureau="440100"),
            matter("M-B", [{"kind": "seller", "uscc": S2}], items=["A12.3"], bureau="440100"),
            operator(3, bureau="440100"),
            matter(
                "M-C",
                [{"kind": "seller", "uscc": S3}],
                items=["A12.5"],
                intentional=True,
                bureau="440100",
            ),
            operator(4),
            matter("M-D1", [{"kind": "seller", "uscc": S4}], items=["A12.5"], intentional=True),
            matter("M-D2", [{"kind": "seller", "uscc": S4}], items=["A12.3"], intentional=True),
            operator(5),
            operator(6),
            product(P6, brand="乙牌"),
            spot_check("GD-CC-6", P6, brand="乙牌"),
        ]
    )


def test_measures_by_class_b_c_d_o_and_none_for_a(province):
    report = classify()
    assert dict(report.counts) == {"A": 2, "B": 3, "C": 1, "D": 1, "O": 1}
    assert measures_of(P1) == []  # A: general supervision, no measure
    assert measures_of(S2) == [
        ("operator", "B", "rectification"),
        ("operator", "B", "yellow_notice"),
    ]
    assert measures_of(S3) == [
        ("operator", "C", "interview_training"),
        ("operator", "C", "orange_warning"),
        ("operator", "C", "rectification"),
    ]
    assert measures_of(S4) == [
        ("operator", "D", "interview"),
        ("operator", "D", "rectification"),
        ("operator", "D", "red_warning"),
    ]
    # Art. 27(5): guidance to build a quality archive and strengthened monitoring.
    assert measures_of(O5) == [
        ("operator", "O", "archive_guidance"),
        ("operator", "O", "quality_monitoring"),
    ]
    # Each of P6's objects gets its own measures; the producer receives them.
    assert measures_of(P6) == [
        ("operator", "B", "rectification"),
        ("operator", "B", "yellow_notice"),
        ("product", "B", "rectification"),
        ("product", "B", "yellow_notice"),
    ]


def test_measure_rows_carry_bureau_state_and_due_date(province):
    classify()
    rows = db.session.scalars(select(Measure).where(Measure.operator_id == op_id(S2))).all()
    assert {m.bureau_code for m in rows} == {"440100"}  # the operator's bureau
    assert {m.state for m in rows} == {"open"}
    assert {m.issued_on for m in rows} == {date(2026, 7, 2)}
    due = {m.kind: m.due_on for m in rows}
    # 20 working days from 2026-07-02 (RECTIFICATION_REPORT_WORKING_DAYS).
    assert due == {"rectification": date(2026, 7, 30), "yellow_notice": None}
    product_rows = db.session.scalars(
        select(Measure)
        .join(ScoringObject, ScoringObject.id == Measure.object_id)
        .where(ScoringObject.kind == "product", ScoringObject.brand == "乙牌")
    ).all()
    # A product's measures go to its producer and the producer's bureau.
    assert {(m.operator_id, m.bureau_code) for m in product_rows} == {(op_id(P6), "440300")}


def test_class_notice_goes_to_each_operator_once_with_its_worst_class(province):
    classify()
    notes = db.session.scalars(
        select(Notification).where(Notification.kind == "class_notice")
    ).all()
    # Stored by message key and class; shown in the reader's language (here Chinese).
    assert all('"key": "class_notice"' in n.message for n in notes)
    with current_app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        by_operator = {n.operator_id: render_message(n.message, gettext) for n in notes}
    assert set(by_operator) == {op_id(c) for c in (S2, S3, S4, O5, P6)}
    assert "B类" in by_operator[op_id(S2)] and "黄色监管提示" in by_operator[op_id(S2)]
    assert "橙色监管警示" in by_operator[op_id(S3)] and "质量负责人" in by_operator[op_id(S3)]
    assert "红色监管警示" in by_operator[op_id(S4)] and "情节严重" in by_operator[op_id(S4)]
    assert "质量管理档案" in by_operator[op_id(O5)]
    assert "2026-07-01质量信用分类评定" in by_operator[op_id(P6)]


def test_repeating_a_run_for_its_date_adds_no_measure(province):
    classify()
    before = db.session.execute(
        select(Measure.id, Measure.kind, Measure.state).order_by(Measure.id)
    ).all()
    notes = db.session.scalar(select(func.count()).select_from(Notification))
    again = classify(at=datetime(2026, 7, 9, 2, 0, tzinfo=UTC))
    assert again.repeated and again.rewritten == 0
    after = db.session.execute(
        select(Measure.id, Measure.kind, Measure.state).order_by(Measure.id)
    ).all()
    assert after == before
    assert db.session.scalar(select(func.count()).select_from(Notification)) == notes


def test_a_corrected_result_replaces_the_old_class_measures(province):
    classify()
    load(
        [
            matter(
                "M-LATE",
                [{"kind": "seller", "uscc": S2}],
                items=["A12.5"],
                effective_on="2026-06-15",
                bureau="440100",
            )
        ]
    )
    again = classify(at=datetime(2026, 7, 9, 2, 0, tzinfo=UTC))
    assert again.rewritten == 1  # S2: B → C
    assert measures_of(S2, state="open") == [
        ("operator", "C", "interview_training"),
        ("operator", "C", "orange_warning"),
        ("operator", "C", "rectification"),
    ]
    assert measures_of(S2, state="cancelled") == [
        ("operator", "B", "rectification"),
        ("operator", "B", "yellow_notice"),
    ]


def test_a_later_run_supersedes_open_measures_nothing_started(province):
    classify()
    report = classify("2027-01-01", at=datetime(2027, 1, 4, 2, 0, tzinfo=UTC))
    assert report.counts["B"] == 3
    first_run = db.session.scalars(
        select(Measure).where(Measure.operator_id == op_id(S2)).order_by(Measure.id)
    ).all()
    assert [m.state for m in first_run] == ["cancelled", "cancelled", "open", "open"]
    assert "2027-01-01" in first_run[0].note


def test_r_art30_serious_flag_while_the_operator_is_d(province):
    assert serious_flag(op_id(S4), date(2026, 7, 1)) is None  # no run yet
    classify()
    flag = serious_flag(op_id(S4), date(2026, 8, 1))
    assert flag is not None and flag["flag"] == "情节严重"
    assert flag["run_on"] == date(2026, 7, 1) and flag["locked_until"] == date(2029, 7, 1)
    assert "第三十条" in flag["message"]
    assert serious_flag(op_id(S4), date(2026, 6, 30)) is None  # before the run
    assert serious_flag(op_id(S3), date(2026, 8, 1)) is None  # C: no flag
    assert serious_flag(op_id(P1), date(2026, 8, 1)) is None


def ctx(username: str | None = None, today: date = date(2026, 7, 3)) -> Ctx:
    from models import User

    user = db.session.scalar(select(User).where(User.username == username)) if username else None
    now = datetime(today.year, today.month, today.day, 2, 0, tzinfo=UTC)
    return Ctx(username or "scheduler", today, now, user=user)


@pytest.fixture
def users(province):
    from tests.functional.web import make_user

    make_user("ent_s2", "enterprise", operator_id=op_id(S2))
    make_user("ent_s3", "enterprise", operator_id=op_id(S3))
    make_user("gz_officer", "officer", bureau="440100")
    make_user("sz_officer", "officer", bureau="440300")
    make_user("yx_supervisor", "supervisor", bureau="440104")
    make_user("gz_supervisor", "supervisor", bureau="440100")
    db.session.commit()


def test_the_tick_starts_each_rectification_case_once(users):
    classify()
    report = tick(ctx=ctx(), commit=db.session.commit)
    # S2, S3, S4 and P6's two objects: five rectification orders, five cases.
    assert report.rectifications_started == 5
    cases = db.session.scalars(select(Case).where(Case.process_id == "rectification")).all()
    assert len(cases) == 5
    assert {
        m.case_id
        for m in db.session.scalars(select(Measure).where(Measure.kind == "rectification"))
    } == {c.id for c in cases}
    again = tick(ctx=ctx(), commit=db.session.commit)
    assert again.rectifications_started == 0
    assert start_rectifications(ctx=ctx()) == 0
    assert (
        db.session.scalar(
            select(func.count()).select_from(Case).where(Case.process_id == "rectification")
        )
        == 5
    )
    s2_case = next(c for c in cases if c.operator_id == op_id(S2))
    assert s2_case.deciding_bureau == "440100"
    [task] = db.session.scalars(select(CaseTask).where(CaseTask.case_id == s2_case.id)).all()
    assert (task.name, task.lane, task.state) == ("report_rectification", "enterprise", "open")


def test_a_pass_starts_at_most_its_share_of_notices_and_rectifications(users, app):
    """After a bulk import or a province run there are hundreds of thousands of both: a pass
    starts its share and ends, so the next pass fires deadlines on time; the rest follow."""
    from models import Notice

    app.config.update(NOTICES_PER_PASS=2, RECTIFICATIONS_PER_PASS=2)
    classify()
    reports = []
    while not reports or reports[-1]:
        reports.append(tick(ctx=ctx(), commit=db.session.commit))
    assert all(r.notices_started <= 2 and r.rectifications_started <= 2 for r in reports)
    notices = db.session.scalar(select(func.count()).select_from(Notice))
    assert notices > 2 and sum(r.notices_started for r in reports) == notices
    assert sum(r.rectifications_started for r in reports) == 5  # as in one uncapped pass
    assert len(reports) >= 4  # three passes at least for five rectifications, then a quiet one


def _task(case_id: int) -> CaseTask:
    return db.session.scalar(
        select(CaseTask).where(CaseTask.case_id == case_id, CaseTask.state == "open")
    )


def test_rectification_rejected_then_accepted_closes_the_measure(users, app):
    classify()
    tick(ctx=ctx(), commit=db.session.commit)
    measure = db.session.scalar(
        select(Measure).where(Measure.operator_id == op_id(S2), Measure.kind == "rectification")
    )
    case_id = measure.case_id
    # An officer of another bureau and another enterprise may not act.
    with pytest.raises(NotFound):
        complete_task(_task(case_id).id, {"report": "x"}, ctx=ctx("ent_s3"))
    complete_task(
        _task(case_id).id, {"report": "已下架淘汰产品并建立进货查验制度"}, ctx=ctx("ent_s2")
    )
    db.session.commit()
    verify = _task(case_id)
    assert (verify.name, verify.lane) == ("verify_rectification", "officer")
    # 20 working days (RECTIFICATION_WORKING_DAYS) from the report on 2026-07-03.
    assert verify.due_on == date(2026, 7, 31)
    with pytest.raises(NotFound):
        complete_task(verify.id, {"decision": "accept"}, ctx=ctx("sz_officer"))
    with pytest.raises(DomainError, match="rectified"):
        complete_task(verify.id, {"decision": "reject"}, ctx=ctx("gz_officer"))
    complete_task(
        verify.id, {"decision": "reject", "reasons": "仍有库存未处置"}, ctx=ctx("gz_officer")
    )
    db.session.commit()
    assert _task(case_id).name == "report_rectification"
    deadline = db.session.scalar(select(Deadline).where(Deadline.case_id == case_id))
    assert deadline.state == "paused"  # stands still while the enterprise reworks
    notes = db.session.scalars(
        select(Notification.message).where(
            Notification.operator_id == op_id(S2), Notification.kind == "rectification"
        )
    ).all()
    assert any("仍有库存未处置" in n for n in notes)
    assert db.session.get(Measure, measure.id).state == "open"
    complete_task(_task(case_id).id, {"report": "库存已全部退回"}, ctx=ctx("ent_s2"))
    complete_task(
        _task(case_id).id,
        {"decision": "accept", "reasons": "现场核查到位"},
        ctx=ctx("gz_officer", date(2026, 7, 10)),
    )
    db.session.commit()
    done = db.session.get(Measure, measure.id)
    assert (done.state, done.completed_by, done.note) == ("done", "gz_officer", "现场核查到位")
    case_ = db.session.get(Case, case_id)
    assert (case_.status, case_.outcome) == ("completed", "accepted")


def test_rectification_working_days_is_a_setting(users, app):
    app.config["RECTIFICATION_WORKING_DAYS"] = 5
    classify()
    tick(ctx=ctx(), commit=db.session.commit)
    case_id = db.session.scalar(
        select(Measure.case_id).where(
            Measure.operator_id == op_id(S2), Measure.kind == "rectification"
        )
    )
    complete_task(_task(case_id).id, {"report": "已整改"}, ctx=ctx("ent_s2"))
    assert _task(case_id).due_on == date(2026, 7, 10)  # 5 working days from 2026-07-03


def test_staff_record_interviews_with_a_note(users):
    classify()
    interview = db.session.scalar(
        select(Measure).where(
            Measure.operator_id == op_id(S3), Measure.kind == "interview_training"
        )
    )
    with pytest.raises(NotFound):  # another bureau's officer cannot see it
        complete_measure(interview.id, "约谈完成", ctx=ctx("sz_officer"))
    with pytest.raises(NotFound):  # a supervisor of a county cannot see the city's
        complete_measure(interview.id, "约谈完成", ctx=ctx("yx_supervisor"))
    with pytest.raises(DomainError, match="what was done"):
        complete_measure(interview.id, "  ", ctx=ctx("gz_officer"))
    done = complete_measure(interview.id, "2026-07-03 约谈质量负责人并培训", ctx=ctx("gz_officer"))
    assert (done.state, done.completed_by) == ("done", "gz_officer")
    with pytest.raises(Conflict):
        complete_measure(interview.id, "again", ctx=ctx("gz_supervisor"))
    rect = db.session.scalar(
        select(Measure).where(Measure.operator_id == op_id(S3), Measure.kind == "rectification")
    )
    with pytest.raises(Conflict, match="verifying"):
        complete_measure(rect.id, "done", ctx=ctx("gz_supervisor"))
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "measure.done"))


def test_art_27_o_class_monitoring_is_tracked_until_staff_record_it(users):
    """Art. 27(5): an O-class object is put under strengthened quality-safety monitoring, a
    measure of its own: open after the run, untouched by the enterprise acknowledging its
    guidance, done when staff of the responsible bureau record what they did."""
    from tests.functional.web import make_user

    make_user("ent_o5", "enterprise", operator_id=op_id(O5))
    make_user("sz_officer_o", "officer", bureau="440300")
    db.session.commit()
    classify()
    monitoring = db.session.scalar(
        select(Measure).where(
            Measure.operator_id == op_id(O5), Measure.kind == "quality_monitoring"
        )
    )
    assert (monitoring.klass, monitoring.state, monitoring.bureau_code) == ("O", "open", "440300")
    run_id = monitoring.run_id
    assert acknowledge_notices(run_id, ctx=ctx("ent_o5")) == 1  # the guidance only
    assert measures_of(O5, state="open") == [("operator", "O", "quality_monitoring")]
    with pytest.raises(NotFound):  # another city's officer
        complete_measure(monitoring.id, "已抽样监测", ctx=ctx("gz_officer"))
    done = complete_measure(monitoring.id, "2026-07-03 列入重点监测并抽样", ctx=ctx("sz_officer_o"))
    assert (done.state, done.completed_by) == ("done", "sz_officer_o")
    assert measures_of(O5, state="open") == []


def test_enterprise_acknowledges_its_class_notice(users):
    classify()
    run_id = db.session.scalar(select(Measure.run_id).limit(1))
    assert acknowledge_notices(run_id, ctx=ctx("ent_s2")) == 1
    notice = db.session.scalar(
        select(Measure).where(Measure.operator_id == op_id(S2), Measure.kind == "yellow_notice")
    )
    assert (notice.state, notice.completed_by) == ("done", "ent_s2")
    note = db.session.scalar(
        select(Notification).where(
            Notification.operator_id == op_id(S2), Notification.kind == "class_notice"
        )
    )
    assert note.read_at is not None
    with pytest.raises(Conflict):
        acknowledge_notices(run_id, ctx=ctx("ent_s2"))
    # S3's notice is untouched by S2's acknowledgement.
    assert measures_of(S3, state="open") == [
        ("operator", "C", "interview_training"),
        ("operator", "C", "orange_warning"),
        ("operator", "C", "rectification"),
    ]


def test_a_rectification_under_way_carries_over_to_the_next_run(users):
    classify()
    tick(ctx=ctx(), commit=db.session.commit)
    classify("2027-01-01", at=datetime(2027, 1, 4, 2, 0, tzinfo=UTC))
    rows = db.session.execute(
        select(Measure.run_id, Measure.kind, Measure.state, Measure.case_id)
        .where(Measure.operator_id == op_id(S2))
        .order_by(Measure.id)
    ).all()
    first, second = sorted({r.run_id for r in rows})
    # The first run's order has a case under way: it stays open, and the new run issues a
    # new notice but no second rectification case.
    assert sorted((r.kind, r.state) for r in rows if r.run_id == first) == [
        ("rectification", "open"),
        ("yellow_notice", "cancelled"),
    ]
    assert [(r.kind, r.state) for r in rows if r.run_id == second] == [("yellow_notice", "open")]
    assert start_rectifications(ctx=ctx(today=date(2027, 1, 5))) == 0

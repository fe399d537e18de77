"""Classification runs (R-HALFYEAR, R-DLOCK) on the real database."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask import current_app
from sqlalchemy import func, select

from app.errors import Conflict, DomainError
from app.extensions import db
from app.services.classification import run_classification
from app.services.imports import import_records
from models import AuditEvent, ClassificationResult, ClassificationRun, ScoringObject
from tests.helpers import jsonl, matter, operator, product, spot_check, uscc

AT = datetime(2026, 11, 26, tzinfo=UTC)
P1, S1, S2 = uscc(1), uscc(2, "440100"), uscc(3, "440100")


def load(records):
    report = import_records(
        jsonl(records).splitlines(True), today=date(2026, 11, 26), actor="test", at=AT
    )
    assert report.refusals == []
    db.session.commit()


def classify(on: str):
    report = run_classification(date.fromisoformat(on), actor="test", at=AT)
    db.session.commit()
    return report


def result(uscc_: str, on: str, brand: str | None = None):
    return db.session.execute(
        select(
            ClassificationResult.klass,
            ClassificationResult.score,
            ClassificationResult.locked_until,
        )
        .join(ClassificationRun, ClassificationRun.id == ClassificationResult.run_id)
        .join(ScoringObject, ScoringObject.id == ClassificationResult.object_id)
        .where(
            ClassificationRun.run_on == date.fromisoformat(on),
            ScoringObject.operator_id
            == select(ScoringObject.operator_id)
            .join(ScoringObject.operator)
            .where(ScoringObject.operator.has(uscc=uscc_))
            .limit(1)
            .scalar_subquery(),
            ScoringObject.brand.is_(None) if brand is None else ScoringObject.brand == brand,
        )
    ).one()


@pytest.fixture
def province(seeded, db_session):
    # S1 loses 13 points in 2022 (class D, locked 3 years); S2 loses 4; P1's product fails a check.
    load(
        [
            operator(1),
            operator(2, bureau="440100"),
            operator(3, bureau="440100"),
            product(P1),
            operator(4),
            matter(
                "M-D",
                [{"kind": "seller", "uscc": S1}],
                items=["A12.5"],
                intentional=True,
                effective_on="2022-03-01",
                bureau="440100",
            ),
            matter(
                "M-D2",
                [{"kind": "seller", "uscc": S1}],
                items=["A12.3"],
                effective_on="2022-03-01",
                bureau="440100",
            ),
            matter(
                "M-B",
                [{"kind": "seller", "uscc": S2}],
                items=["A12.3"],
                effective_on="2025-05-06",
                bureau="440100",
            ),
            spot_check("GD-CC-1", P1),
        ]
    )


def test_r_halfyear_run_stores_every_objects_class_and_counts(province):
    report = classify("2026-07-01")
    # P1's operator, P1's product, S1, S2 and operator 4 (never recorded: O).
    assert report.objects == 5
    assert dict(report.counts) == {"A": 1, "B": 3, "C": 0, "D": 0, "O": 1}
    assert result(S2, "2026-07-01")[0] == "B"
    assert result(uscc(4), "2026-07-01")[0] == "O"
    run = db.session.scalar(select(ClassificationRun))
    assert run.counts == {"A": 1, "B": 3, "C": 0, "D": 0, "O": 1}
    assert run.finished_at is not None


def test_r_dlock_run_puts_object_in_d_and_keeps_it_there_for_three_years(province):
    classify("2022-07-01")
    klass, score, locked = result(S1, "2022-07-01")
    assert (klass, str(score), locked) == ("D", "-1.00", date(2025, 7, 1))
    # The matter drops out of the window on 2025-03-01, but the lock holds until 2025-07-01.
    classify("2025-01-01")
    assert result(S1, "2025-01-01")[0] == "D"
    report = classify("2025-07-01")
    assert result(S1, "2025-07-01")[:1] == ("A",)
    assert report.changes["D→A"] == 1


def test_r_halfyear_repeating_a_run_changes_nothing(province):
    first = classify("2026-07-01")
    rows = db.session.execute(
        select(
            ClassificationResult.object_id, ClassificationResult.klass, ClassificationResult.score
        ).order_by(ClassificationResult.object_id)
    ).all()
    again = classify("2026-07-01")
    assert again.repeated and again.rewritten == 0
    assert dict(again.counts) == dict(first.counts)
    assert (
        db.session.execute(
            select(
                ClassificationResult.object_id,
                ClassificationResult.klass,
                ClassificationResult.score,
            ).order_by(ClassificationResult.object_id)
        ).all()
        == rows
    )
    assert db.session.scalar(select(func.count()).select_from(ClassificationRun)) == 1


def test_r_halfyear_repeated_run_picks_up_a_late_record(province):
    classify("2026-07-01")
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
    again = classify("2026-07-01")
    assert again.rewritten == 1
    assert result(S2, "2026-07-01")[:2] == ("C", 2)


def test_run_before_the_latest_is_refused(province):
    classify("2026-07-01")
    with pytest.raises(Conflict, match="2026-07-01"):
        run_classification(date(2026, 1, 1), actor="test", at=AT)


def test_report_says_what_changed_since_the_last_run(province):
    classify("2025-01-01")
    report = classify("2026-07-01")
    text = "\n".join(report.lines())
    # S1 was put in D by the 2025-01-01 run (score -1.00): still locked on 2026-07-01.
    assert "per class: A 0, B 3, C 0, D 1, O 1" in text
    assert "changed since 2025-01-01: 3 (O→B 3)" in text


# ---- R-HALFYEAR: off-cycle runs ------------------------------------------------------------


def test_r_halfyear_a_run_on_an_unscheduled_date_is_refused_without_the_off_cycle_option(
    province,
):
    with pytest.raises(DomainError, match=r"R-HALFYEAR, Art\. 26") as refused:
        run_classification(date(2025, 3, 15), actor="test", at=AT)
    assert "2025-03-15 is not a scheduled classification date (01-01,07-01)" in str(refused.value)
    for reason in (None, "", "   "):
        with pytest.raises(DomainError, match="needs a reason"):
            run_classification(
                date(2025, 3, 15), actor="test", at=AT, off_cycle=True, reason=reason
            )
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(ClassificationRun)) == 0


def test_r_halfyear_the_day_after_a_scheduled_date_is_not_scheduled(province):
    classify("2026-07-01")  # the scheduled date itself: no option, no reason
    with pytest.raises(DomainError, match="R-HALFYEAR"):
        run_classification(date(2026, 7, 2), actor="test", at=AT)


def test_r_halfyear_an_off_cycle_run_with_its_reason_is_recorded_as_such(province):
    report = run_classification(
        date(2026, 11, 26),
        actor="test",
        at=AT,
        off_cycle=True,
        reason="  更正 M-B 后重新评定  ",
    )
    db.session.commit()
    assert report.off_cycle and report.reason == "更正 M-B 后重新评定"
    assert "off-cycle run (R-HALFYEAR), reason: 更正 M-B 后重新评定" in report.lines()
    run = db.session.scalar(select(ClassificationRun))
    assert (run.run_on, run.off_cycle, run.reason) == (
        date(2026, 11, 26),
        True,
        "更正 M-B 后重新评定",
    )
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "classification.run"))
    assert event.detail["off_cycle"] is True and event.detail["reason"] == "更正 M-B 后重新评定"
    # It classifies like any run (same counts as a run of that date would give).
    assert sum(run.counts.values()) == 5


def test_r_halfyear_a_scheduled_run_needs_no_reason_and_is_not_off_cycle(province):
    report = run_classification(date(2026, 7, 1), actor="test", at=AT, off_cycle=True, reason="x")
    db.session.commit()
    run = db.session.scalar(select(ClassificationRun))
    assert not report.off_cycle and (run.off_cycle, run.reason) == (False, None)
    assert not any("off-cycle" in line for line in report.lines())


def test_r_halfyear_the_read_api_shows_whether_a_run_was_off_cycle(province, app):
    classify("2026-07-01")
    run_classification(date(2026, 11, 26), actor="test", at=AT, off_cycle=True, reason="更正")
    db.session.commit()
    from app.auth import create_user, issue_token

    reader = create_user("reader", "supervisor", display_name="R", at=AT, bureau_code="440000")
    token = {"Authorization": f"Bearer {issue_token(reader, ('read',))}"}
    db.session.commit()
    client = app.test_client()
    runs = client.get("/api/v1/classification-runs", headers=token).get_json()
    assert [(r["run_on"], r["off_cycle"], r["reason"]) for r in runs] == [
        ("2026-11-26", True, "更正"),
        ("2026-07-01", False, None),
    ]
    one = client.get("/api/v1/classification-runs/2026-11-26", headers=token).get_json()
    assert one["off_cycle"] is True and one["reason"] == "更正"


def test_worker_processes_store_the_run_one_process_stores(province, monkeypatch):
    """On PostgreSQL a run forks one worker per core over blocks of operators, each reading the
    run's snapshot; what they store is what the run in one process stores. (SQLite has no
    workers: both runs below take the one-process path there.)"""
    from app.services import classification, classification_parallel

    load(
        [
            matter(
                "M-W",
                [{"kind": "seller", "uscc": S1}],
                items=["A12.3"],
                effective_on="2026-02-02",
                bureau="440100",
            )
        ]
    )
    forks = []
    run_blocks = classification.run_blocks

    def counted(*args, **kwargs):
        forks.append(args[:2])
        return run_blocks(*args, **kwargs)

    def stored():
        return db.session.execute(
            select(
                ClassificationResult.object_id,
                ClassificationResult.score,
                ClassificationResult.klass,
                ClassificationResult.locked_until,
                ClassificationResult.previous_klass,
            ).order_by(ClassificationResult.object_id)
        ).all()

    classify("2026-01-01")
    monkeypatch.setattr(classification_parallel, "PARALLEL_MIN_OPERATORS", 1)
    monkeypatch.setattr(classification, "run_blocks", counted)
    current_app.config["CLASSIFICATION_WORKERS"] = 2
    by_workers = classify("2026-07-01")
    with_workers = stored()
    assert bool(forks) == (db.session.get_bind().dialect.name == "postgresql")
    db.session.execute(
        ClassificationResult.__table__.delete().where(
            ClassificationResult.run_id.in_(
                select(ClassificationRun.id).where(ClassificationRun.run_on == date(2026, 7, 1))
            )
        )
    )
    db.session.execute(
        ClassificationRun.__table__.delete().where(ClassificationRun.run_on == date(2026, 7, 1))
    )
    db.session.commit()
    current_app.config["CLASSIFICATION_WORKERS"] = 1
    alone = classify("2026-07-01")
    assert stored() == with_workers
    assert (alone.objects, dict(alone.counts), dict(alone.changes)) == (
        by_workers.objects,
        dict(by_workers.counts),
        dict(by_workers.changes),
    )
    assert by_workers.objects == 5 and by_workers.changes["A→B"] == 1  # S1, by M-W

"""R-VALIDITY (Art. 36): the Spec, and with it the default scoring table, ended on 2026-06-04.
On a day no published version covers, matters, failed spot checks, classification runs, reward
proposals and grants are refused naming Art. 36 and the last day in force, and nothing is
written; a successor published as data lets them go on. Also rules §11 (Art. 19): who records
scoring related to spot checks."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.errors import Conflict, DomainError
from app.extensions import db
from app.services.imports import import_records
from models import (
    AuditEvent,
    Case,
    ClassificationResult,
    ClassificationRun,
    LedgerEntry,
    Matter,
    ScoringObject,
    ScoringTableVersion,
    SpotCheck,
)
from tests.helpers import jsonl, matter, operator, product, spot_check, uscc

ROOT = Path(__file__).resolve().parents[2]
AT = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
TODAY = date(2026, 11, 26)
P1 = uscc(1)
S1 = uscc(2, "440100")
SELLER = [{"kind": "seller", "uscc": S1}]
ART_36 = "(Art. 36)"
SPEC_END = "was in force until 2026-06-04"


def run(records: list[dict]):
    report = import_records(
        jsonl(records).splitlines(keepends=True), today=TODAY, actor="test", at=AT
    )
    db.session.commit()
    return report


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def written() -> dict[str, int]:
    return {m.__name__: count(m) for m in (Matter, SpotCheck, LedgerEntry, ScoringObject)}


def base() -> list[dict]:
    return [operator(1), operator(2, bureau="440100"), product(P1)]


def ctx(today: date = TODAY, user=None):
    from app.services.cases import Ctx

    return Ctx(actor=user.username if user else "test", today=today, now=AT, user=user)


# ---- matters and spot checks ------------------------------------------------------------------


def test_r_validity_a_matter_after_the_spec_ended_is_refused_naming_art_36(expired, db_session):
    assert run(base()).refused == 0
    before = written()
    report = run([matter("LATE", SELLER, items=["A12.3"], effective_on="2026-06-05")])
    assert report.created == 0 and report.refused == 1
    reason = report.refusals[0].reason
    assert reason.startswith("effective_on: no scoring table covers 2026-06-05")
    assert "粤市监规字〔2021〕5号" in reason and SPEC_END in reason and ART_36 in reason
    assert "a successor must be published first" in reason
    assert written() == before  # nothing written
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.object_ref == "LATE")) is None


def test_r_validity_a_matter_on_the_last_day_in_force_is_scored(expired, db_session):
    report = run([*base(), matter("LAST", SELLER, items=["A12.3"], effective_on="2026-06-04")])
    assert report.refusals == []
    assert db.session.scalar(select(Matter.table_version)) == "GD-2021-default"


def test_r_validity_a_failed_spot_check_after_the_spec_ended_is_refused(expired, db_session):
    assert run(base()).refused == 0
    before = written()
    report = run([spot_check("GD-CC-LATE", P1, sampled_on="2026-06-01", effective_on="2026-06-05")])
    assert report.refused == 1
    reason = report.refusals[0].reason
    assert "2026-06-05" in reason and SPEC_END in reason and ART_36 in reason
    assert written() == before


def test_r_validity_entries_recorded_under_the_ended_version_keep_counting(expired, db_session):
    from app.queries.scores import explained_score, find_object

    run([*base(), matter("OLD", SELLER, items=["A12.3"], effective_on="2026-05-06")])
    # Today no version covers, yet the deduction counts for its 36 months.
    assert explained_score(find_object(S1), TODAY)["score"] == "8.00"
    assert explained_score(find_object(S1), date(2029, 5, 5))["score"] == "8.00"
    assert explained_score(find_object(S1), date(2029, 5, 6))["score"] == "12.00"


def test_r_validity_with_the_successor_published_matters_after_the_end_are_scored(
    seeded, db_session
):
    report = run(
        [
            *base(),
            matter("NEW", SELLER, items=["A12.3"], effective_on="2026-06-05"),
            spot_check("GD-CC-NEW", P1, sampled_on="2026-06-01", effective_on="2026-06-05"),
        ]
    )
    assert report.refusals == []
    versions = dict(db.session.execute(select(Matter.ref, Matter.table_version)).tuples().all())
    assert versions == {"NEW": "GD-2026-demo-successor", "GD-CC-NEW": "GD-2026-demo-successor"}


# ---- classification runs, reward proposals and grants ---------------------------------------


def test_r_validity_a_classification_run_after_the_spec_ended_is_refused(expired, db_session):
    from app.services.classification import run_classification

    run([*base(), matter("M", SELLER, items=["A12.3"], effective_on="2026-05-06")])
    with pytest.raises(DomainError) as caught:
        run_classification(date(2026, 7, 1), actor="test", at=AT)
    message = caught.value.message
    assert "no scoring table covers 2026-07-01" in message and SPEC_END in message
    assert ART_36 in message
    db.session.rollback()
    assert count(ClassificationRun) == 0 and count(ClassificationResult) == 0
    # The last day the Spec covers can still be run (off-cycle: not a scheduled date).
    report = run_classification(
        date(2026, 6, 4), actor="test", at=AT, off_cycle=True, reason="the Spec's last day"
    )
    assert report.objects == 3


def test_r_validity_a_classification_run_goes_ahead_with_the_successor(seeded, db_session):
    from app.services.classification import run_classification

    run([*base(), matter("M", SELLER, items=["A12.3"], effective_on="2026-05-06")])
    report = run_classification(date(2026, 7, 1), actor="test", at=AT)
    assert report.objects == 3 and count(ClassificationRun) == 1


def _clean_product_records() -> list[dict]:
    return [
        *base(),
        spot_check("GD-CC-P1", P1, result="pass", sampled_on="2024-05-01"),
        spot_check("GD-CC-P2", P1, result="pass", sampled_on="2025-05-01"),
    ]


def test_r_validity_reward_proposals_after_the_spec_ended_are_refused(expired, db_session):
    from app.services.applications import propose_rewards

    run(_clean_product_records())
    with pytest.raises(DomainError) as caught:
        propose_rewards(ctx=ctx())
    assert SPEC_END in caught.value.message and ART_36 in caught.value.message
    db.session.rollback()
    assert count(Case) == 0
    # On a day the Spec still covered, the same candidates are proposed.
    assert propose_rewards(ctx=ctx(date(2026, 6, 4))) == 1


def test_r_validity_reward_proposals_go_ahead_with_the_successor(seeded, db_session):
    from app.services.applications import propose_rewards

    run(_clean_product_records())
    assert propose_rewards(ctx=ctx()) == 1


def test_r_validity_a_scheduler_pass_goes_on_when_rewards_are_refused(expired, db_session):
    from app.services.scheduler import tick

    run(_clean_product_records())
    report = tick(ctx=ctx(), commit=db.session.commit)
    assert report.rewards_proposed == 0
    assert "no scoring table covers 2026-11-26" in report.rewards_refused
    assert "rewards not proposed" in report.summary() and ART_36 in report.summary()
    assert count(Case) == 0
    # Not marked done for the day: once a successor is published, the next pass proposes.
    from app.services.reference import publish_demo_successor

    publish_demo_successor(actor="test", at=AT)
    db.session.commit()
    assert tick(ctx=ctx(), commit=db.session.commit).rewards_proposed == 1


def _enterprise_and_officer():
    from app.auth import create_user
    from models import Operator

    seller = db.session.scalar(select(Operator).where(Operator.uscc == S1))
    ent = create_user("ent", "enterprise", display_name="ent", at=AT, operator_id=seller.id)
    officer = create_user("gz", "officer", display_name="gz", at=AT, bureau_code="440100")
    db.session.flush()
    obj = db.session.scalar(
        select(ScoringObject).where(
            ScoringObject.operator_id == seller.id, ScoringObject.kind == "operator"
        )
    )
    return ent, officer, obj


def test_r_validity_a_reward_application_after_the_spec_ended_is_refused(expired, db_session):
    from app.services.applications import apply_reward

    run(base())
    ent, _, obj = _enterprise_and_officer()
    with pytest.raises(DomainError) as caught:
        apply_reward(obj.id, "R17.3", "停售并填报", ctx=ctx(user=ent))
    assert SPEC_END in caught.value.message and ART_36 in caught.value.message
    assert count(Case) == 0


def test_r_validity_a_reward_granted_after_the_spec_ended_is_refused(expired, db_session):
    from app.services import cases
    from app.services.applications import apply_reward
    from models import CaseTask

    run(base())
    ent, officer, obj = _enterprise_and_officer()
    # Applied for while the Spec was in force, verified after it ended.
    case = apply_reward(obj.id, "R17.3", "停售并填报", ctx=ctx(date(2026, 6, 1), user=ent))
    db.session.commit()
    task = db.session.scalar(
        select(CaseTask).where(CaseTask.case_id == case.id, CaseTask.state == "open")
    )
    with pytest.raises(DomainError) as caught:
        cases.complete_task(task.id, {"decision": "approve"}, ctx=ctx(user=officer))
    assert SPEC_END in caught.value.message and ART_36 in caught.value.message
    db.session.rollback()
    assert db.session.scalar(select(func.count()).where(LedgerEntry.kind == "REWARD")) == 0
    # With the successor published, the same verification grants the reward.
    from app.services.reference import publish_demo_successor

    publish_demo_successor(actor="test", at=AT)
    done = cases.complete_task(task.id, {"decision": "approve"}, ctx=ctx(user=officer))
    assert done.outcome == "granted"
    assert db.session.scalar(select(func.count()).where(LedgerEntry.kind == "REWARD")) == 1


# ---- publishing versions ----------------------------------------------------------------------


def _default_text() -> str:
    return (ROOT / "data/scoring_tables/GD-2021-default.yaml").read_text("utf-8")


def _version(name: str, applies_from: str, applies_until: str | None) -> str:
    text = (
        _default_text()
        .replace('"GD-2021-default"', f'"{name}"')
        .replace("applies_from: 2021-06-05", f"applies_from: {applies_from}")
        .replace("default: true", "default: false")
    )
    until = f"applies_until: {applies_until}\n" if applies_until else ""
    return text.replace("applies_until: 2026-06-04\n", until)


def test_r_validity_versions_may_not_overlap(expired, db_session):
    from app.services.scoring_tables import publish_table

    for applies_from, until in (("2026-06-04", None), ("2020-01-01", "2021-06-05")):
        with pytest.raises(Conflict) as caught:
            publish_table(_version("X", applies_from, until), actor="test", at=AT)
        message = caught.value.message
        assert "overlaps version GD-2021-default (2021-06-05 to 2026-06-04)" in message
        assert ART_36 in message
    assert count(ScoringTableVersion) == 1
    row, created = publish_table(
        _version("GD-2026", "2026-06-05", "2031-06-04"), actor="test", at=AT
    )
    assert created and row.applies_until == date(2031, 6, 4)
    with pytest.raises(Conflict, match="overlaps version GD-2026"):
        publish_table(_version("GD-2031", "2031-06-04", None), actor="test", at=AT)
    publish_table(_version("GD-2031", "2031-06-05", None), actor="test", at=AT)
    event = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "table.publish", AuditEvent.object_ref == "GD-2026"
        )
    )
    assert event.detail["applies_until"] == "2031-06-04"


def test_r_validity_the_new_fields_are_stored_and_read_back(seeded, db_session):
    from app.services.scoring_tables import load_tables, publish_table

    tables = {t.version: t for t in load_tables()}
    default = tables["GD-2021-default"]
    assert default.applies_until == date(2026, 6, 4)
    assert default.regulation.number == "粤市监规字〔2021〕5号"
    assert {c for c, i in default.items.items() if i.spot_check} == {"A11.1", "A12.2", "A12.4"}
    assert tables["GD-2026-demo-successor"].applies_until is None
    # Publishing the same file again changes nothing.
    row, created = publish_table(_default_text(), actor="test", at=AT)
    assert created is False and row.applies_until == date(2026, 6, 4)


def test_r_validity_migration_0007_gives_the_stored_default_its_end(tmp_path):
    """A database that published the default before format version 2 learns that it ends
    with the Spec; going back removes the fields the older code would refuse."""
    from flask_migrate import downgrade, upgrade

    from app.factory import create_app

    url = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    import yaml

    old = yaml.safe_load(_default_text())
    content = {
        "version": "GD-2021-default",
        "applies_from": "2021-06-05",
        "default": True,
        "items": [
            {k: str(v) if k.endswith("points") else v for k, v in item.items() if k != "spot_check"}
            for item in old["items"]
        ],
        "rewards": [{**r, "points": str(r["points"])} for r in old["rewards"]],
    }
    with app.app_context():
        upgrade(revision="0006")
        db.session.execute(
            ScoringTableVersion.__table__.insert().values(
                version="GD-2021-default",
                applies_from=date(2021, 6, 5),
                is_default=True,
                content=content,
                source="(before format version 2)",
                published_by="init",
                published_at=AT,
            )
        )
        db.session.commit()
        upgrade()
        db.session.expire_all()
        row = db.session.get(ScoringTableVersion, "GD-2021-default")
        assert row.applies_until == date(2026, 6, 4)
        assert row.content["regulation"]["number"] == "粤市监规字〔2021〕5号"
        spot = {i["code"] for i in row.content["items"] if i["spot_check"]}
        assert spot == {"A11.1", "A12.2", "A12.4"}
        assert (
            db.session.scalar(
                select(AuditEvent.object_ref).where(AuditEvent.action == "table.validity")
            )
            == "GD-2021-default"
        )
        # `flask credit init` on the migrated database finds the default already published.
        from app.services.scoring_tables import publish_table

        assert publish_table(_default_text(), actor="test", at=AT)[1] is False
        db.session.rollback()
        downgrade(revision="0006")
        restored = db.session.execute(select(ScoringTableVersion.__table__.c.content)).scalar_one()
        assert "applies_until" not in restored and "regulation" not in restored
        assert all("spot_check" not in i for i in restored["items"])
        db.session.remove()
        db.engine.dispose()


# ---- rules §11 (Art. 19): who records scoring related to spot checks --------------------------


def test_the_province_records_a_refused_spot_check_a12_4(seeded, db_session):
    report = run(
        [*base(), matter("粤市监拒检〔2026〕1号", SELLER, items=["A12.4"], bureau="440000")]
    )
    assert report.refusals == []
    m = db.session.scalar(select(Matter))
    assert (m.bureau_code, m.items) == ("440000", ["A12.4"])
    assert db.session.scalar(select(LedgerEntry.points).where(LedgerEntry.item == "A12.4")) == -6


@pytest.mark.parametrize("bureau", ["440100", "440104"])  # a city and a county of it
def test_a_city_or_county_bureau_cannot_record_scoring_related_to_spot_checks(
    seeded, db_session, bureau
):
    assert run(base()).refused == 0
    before = written()
    report = run([matter("M", SELLER, items=["A12.4"], bureau=bureau)])
    assert report.refused == 1
    reason = report.refusals[0].reason
    assert reason.startswith("bureau: A12.4 is scoring related to spot checks")
    assert "provincial bureau 440000 (Art. 19)" in reason
    assert written() == before


def test_a_matter_mixing_spot_check_and_ordinary_items_is_refused(seeded, db_session):
    assert run(base()).refused == 0
    for bureau in ("440000", "440100"):
        report = run([matter(f"MIX-{bureau}", SELLER, items=["A12.4", "A12.3"], bureau=bureau)])
        assert report.refused == 1
        reason = report.refusals[0].reason
        assert reason.startswith("items: A12.4 (related to spot checks)")
        assert "A12.3 by city bureaus (Art. 19)" in reason and "separate matters" in reason
    assert count(Matter) == 0


def test_the_province_still_cannot_record_ordinary_matters(seeded, db_session):
    report = run([*base(), matter("M", SELLER, items=["A12.3"], bureau="440000")])
    assert report.refused == 1
    assert "matters other than spot checks are scored by city bureaus" in (
        report.refusals[0].reason
    )


def test_a_county_bureau_records_an_ordinary_matter_for_its_city(seeded, db_session):
    report = run([*base(), matter("M", SELLER, items=["A12.3"], bureau="440104")])
    assert report.refusals == []

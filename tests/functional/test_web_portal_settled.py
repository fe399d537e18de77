"""The enterprise portal over real HTTP states what the rule core says: a repaired matter
offers no second repair or objection on any of its objects (R-REPAIR-ONE-MATTER), and the
notices page gives each object of a notice its own points (R-NOTICE), never their sum."""

from __future__ import annotations

import re

import pytest

from tests.helpers import jsonl, matter, operator, product, spot_check, uscc

from .web import Browser, make_user

P = uscc(7)
SPLIT = "粤深市监罚〔2026〕21号"  # scored the product (A11.7, -2) and the producer (A12.1, -3)
FAILURE = "GD-CC-2026-0091"  # an intentional spot-check failure: product -6, producer -6


@pytest.fixture
def repaired_world(seeded, clock):
    """Producer P with one product; the split matter repaired through its case (approved by
    the Shenzhen officer), the intentional failure not; notices delivered today."""
    from sqlalchemy import select

    from app.extensions import db
    from app.services.applications import file_repair
    from app.services.cases import Ctx, complete_task
    from app.services.imports import import_records
    from app.services.scheduler import tick
    from models import CaseTask, LedgerEntry, Matter, ScoringObject

    records = [
        operator(7, name="深圳丙电器厂"),
        product(P),
        matter(
            SPLIT,
            [
                {"kind": "product", "producer": P, "brand": "某牌", "nice_class": 9},
                {"kind": "producer", "uscc": P},
            ],
            items=["A11.7", "A12.1"],
            effective_on="2026-11-05",
        ),
        spot_check(
            FAILURE, P, effective_on="2026-11-10", sampled_on="2026-10-20", intentional=True
        ),
    ]
    with seeded.app_context():
        report = import_records(
            jsonl(records).splitlines(True), today=clock.today(), actor="t", at=clock.now()
        )
        assert report.refusals == []
        objects = {o.kind: o for o in db.session.scalars(select(ScoringObject))}
        ent = make_user("ent_p", "enterprise", operator_id=objects["operator"].operator_id)
        officer = make_user("sz_officer", "officer", bureau="440300")
        db.session.commit()
        tick(ctx=Ctx("scheduler", clock.today(), clock.now()), commit=db.session.commit)
        product_entry = db.session.scalar(
            select(LedgerEntry.id)
            .join(Matter, Matter.id == LedgerEntry.matter_id)
            .where(Matter.ref == SPLIT, LedgerEntry.object_id == objects["product"].id)
        )
        case = file_repair(
            product_entry,
            {
                "not_intentional_statement": "标签印错",
                "rectification": "已更换",
                "undertaking": True,
            },
            ctx=Ctx("ent_p", clock.today(), clock.now(), user=ent),
        )
        db.session.commit()
        task = db.session.scalar(
            select(CaseTask).where(CaseTask.case_id == case.id, CaseTask.state == "open")
        )
        done = complete_task(
            task.id,
            {"decision": "approve", "rectified_confirmed": True},
            ctx=Ctx("sz_officer", clock.today(), clock.now(), user=officer),
        )
        db.session.commit()
        assert done.outcome == "approved"
        return {kind: o.id for kind, o in objects.items()}


def _rows(page: str) -> dict[str, list[str]]:
    """The explanation's deduction rows of an object page, by matter ref."""
    out: dict[str, list[str]] = {}
    for row in re.findall(r'<tr data-entry="\d+" data-kind="DEDUCTION">(.*?)</tr>', page, re.S):
        ref = SPLIT if SPLIT in row else FAILURE if FAILURE in row else None
        out.setdefault(ref, []).append(row)
    return out


def test_r_repair_one_matter_a_repaired_matter_offers_no_repair_or_objection_on_any_object(
    live_server, repaired_world
):
    b = Browser(live_server)
    assert b.login("ent_p").status == 200
    for kind in ("product", "operator"):
        page = b.get(f"/portal/objects/{repaired_world[kind]}")
        assert page.status == 200
        rows = _rows(page.text)
        # The repaired matter: settled on the object whose entry was applied for and on the
        # other object it scored (the producer's page shows its product's entry too), with
        # neither button on any of its rows.
        assert len(rows[SPLIT]) == (1 if kind == "product" else 2)
        for split in rows[SPLIT]:
            assert 'data-testid="settled"' in split and "该事项已信用修复" in split
            assert "申请信用修复" not in split and "提出异议" not in split
            assert "/portal/apply/repair" not in split and "/portal/apply/objection" not in split
        # The failure beside it is not repaired: both are offered (notice received today).
        assert rows[FAILURE]
        for failure in rows[FAILURE]:
            assert 'data-testid="settled"' not in failure
            assert "申请信用修复" in failure and "提出异议" in failure


def test_r_notice_the_portal_notices_page_shows_each_objects_own_points(
    live_server, repaired_world
):
    b = Browser(live_server)
    assert b.login("ent_p").status == 200
    page = b.get("/portal/notices")
    assert page.status == 200
    rows = dict(
        (ref, row)
        for row in re.findall(r"<tr data-notice=\"\d+\">(.*?)</tr>", page.text, re.S)
        for ref in (SPLIT, FAILURE)
        if ref in row
    )
    failure = re.findall(r'data-testid="notice-points">(.*?)</div>', rows[FAILURE], re.S)
    # One line per object, each with its own 6 points: the product named by its brand, the
    # producer as 本企业 — never one line of 12.
    assert len(failure) == 2
    assert [re.sub(r"<[^>]+>|\s", "", f) for f in failure] == ["本企业-6", "某牌-6"]
    split = re.findall(r'data-testid="notice-points">(.*?)</div>', rows[SPLIT], re.S)
    assert [re.sub(r"<[^>]+>|\s", "", f) for f in split] == ["本企业-3", "某牌-2"]

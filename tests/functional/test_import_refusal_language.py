"""An import refusal is a catalogue message: the page shows it in the reader's language,
Chinese first, English on the English side, with its values and never its template or code
(interchange §1 keeps the English `reason` in the report)."""

from __future__ import annotations

import re

import pytest

from tests.helpers import jsonl, matter, operator, uscc

from .web import Browser, make_user

S1 = uscc(1, "440100")
NEW = uscc(8, "440100")


@pytest.fixture
def world(seeded, clock):
    """A Guangzhou seller with a matter GZ-1 (R-ONCE's ref), and a Guangzhou officer."""
    from app.extensions import db
    from app.services.imports import import_records

    with seeded.app_context():
        records = [
            operator(1, bureau="440100", name="广州甲商行"),
            matter(
                "GZ-1",
                [{"kind": "seller", "uscc": S1}],
                items=["A12.3"],
                bureau="440100",
                effective_on="2026-11-02",
            ),
        ]
        report = import_records(
            jsonl(records).splitlines(True), today=clock.today(), actor="t", at=clock.now()
        )
        assert report.refusals == []
        make_user("gz_officer", "officer", bureau="440100")
        db.session.commit()
    return seeded


def form(**extra) -> dict:
    return {
        "ref": "穗市监罚〔2026〕88号",
        "kind": "seller",
        "uscc": NEW,
        "name": "广州庚商行",
        "item": "A12.3",
        "effective_on": "2026-11-20",
        "summary": "现场检查发现销售国家明令淘汰的白炽灯，有现场笔录和照片为证",
        **extra,
    }


def field_error(page, field: str) -> str:
    found = re.search(
        rf'<div class="field invalid">\s*<label for="f-{field}">.*?<p class="error" role="alert">'
        r"(.*?)</p>",
        page.text,
        re.S,
    )
    assert found, page.text
    return found.group(1)


@pytest.mark.parametrize(
    ("extra", "field", "zh", "en"),
    [
        (  # R-ONCE: a ref is one record; re-used with other content it is a conflict
            {"ref": "GZ-1"},
            "ref",
            "编号 GZ-1 已按不同内容登记（冲突）",
            "ref GZ-1 already exists with different content (conflict)",
        ),
        (  # a product is scored only once it is registered
            {"kind": "product", "brand": "某牌", "nice_class": "11", "uscc": S1, "name": ""},
            "brand",
            f"{S1} 的产品 某牌/11 尚未登记；请先导入其产品记录",
            f"product 某牌/11 of {S1} is not registered; import its product record first",
        ),
    ],
)
def test_an_import_refusal_reads_in_the_page_language(world, live_server, extra, field, zh, en):
    b = Browser(live_server)
    assert b.login("gz_officer").status == 200

    chinese = b.post("/inbox/matters/new", form(**extra))
    assert chinese.status == 422
    assert field_error(chinese, field) == zh
    assert en not in chinese and "%(" not in chinese.text

    b.get("/lang/en")
    english = b.post("/inbox/matters/new", form(**extra))
    assert english.status == 422
    assert field_error(english, field) == en
    assert zh not in english and "%(" not in english.text

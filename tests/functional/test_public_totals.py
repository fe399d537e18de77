"""The public home page's totals (bureaus, scoring objects, credit records): counted again only
when older than PUBLIC_TOTALS_SECONDS, and always shown with the time they were counted, so
what the page says is true as of that time."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from app.clock import CST
from tests.helpers import jsonl, matter, operator, product, uscc

LABELS = {"bureaus": "市场监管部门", "objects": "记分对象", "entries": "信用记录"}


def _import(app, clock, first: int, n: int) -> None:
    """n producers with a product each, from number `first`, and a matter against each."""
    from app.extensions import db
    from app.services.imports import import_records

    records = []
    for k in range(first, first + n):
        records += [operator(k), product(uscc(k))]
        records.append(
            matter(
                f"深市监罚〔2026〕T{k}号",
                [{"kind": "producer", "uscc": uscc(k)}],
                items=["A12.3"],
                effective_on="2026-09-01",
            )
        )
    with app.app_context():
        report = import_records(
            jsonl(records).splitlines(keepends=True),
            today=clock.today(),
            actor="t",
            at=clock.now(),
        )
        assert report.refused == 0, report.as_dict()
        db.session.commit()


def _counted(app) -> dict[str, int]:
    from app.extensions import db
    from models import Bureau, LedgerEntry, ScoringObject

    with app.app_context():
        return {
            name: db.session.scalar(select(func.count()).select_from(model))
            for name, model in (
                ("bureaus", Bureau),
                ("objects", ScoringObject),
                ("entries", LedgerEntry),
            )
        }


def _minute(clock) -> str:
    return clock.now().astimezone(CST).strftime("%Y-%m-%d %H:%M")


def _shown(client) -> tuple[dict[str, int], str]:
    html = client.get("/", headers={"Accept-Language": "zh"}).get_data(as_text=True)
    shown = {
        name: int(re.search(rf"<th>{label}</th><td class=\"num\">(\d+)</td>", html).group(1))
        for name, label in LABELS.items()
    }
    return shown, re.search(r"统计时间：([0-9: -]+)<", html).group(1)


def test_totals_are_counted_again_after_their_age_and_say_when(seeded, clock):
    app = seeded
    _import(app, clock, 1, 2)
    client = app.test_client()

    shown, at = _shown(client)
    assert shown == _counted(app)
    # Two producers and their products; each producer with a START and the deduction.
    assert (shown["objects"], shown["entries"]) == (4, 4)
    assert at == _minute(clock)

    # More records within the five minutes: the page still shows the count it says it made.
    before = shown
    _import(app, clock, 3, 3)
    clock.advance(timedelta(minutes=4))
    assert _counted(app) != before
    assert _shown(client) == (before, at)

    # Five minutes after the count, it is made again, with its new time.
    clock.advance(timedelta(minutes=1))
    shown, later = _shown(client)
    assert shown == _counted(app) != before
    assert later == _minute(clock) != at


def test_totals_with_no_age_allowed_are_counted_for_each_visit(seeded, clock):
    app = seeded
    app.config["PUBLIC_TOTALS_SECONDS"] = 0
    client = app.test_client()
    first, _ = _shown(client)
    _import(app, clock, 1, 1)
    shown, _ = _shown(client)
    assert shown == _counted(app) != first


def test_a_clock_set_back_counts_again(seeded, clock):
    """A demo moving time back must not keep showing a count 'made' in its future."""
    app = seeded
    client = app.test_client()
    _shown(client)
    clock.advance(timedelta(days=-1))
    _import(app, clock, 1, 1)
    shown, at = _shown(client)
    assert shown == _counted(app)
    assert at == _minute(clock)


def test_the_english_page_says_when_they_were_counted(seeded, clock):
    html = seeded.test_client().get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f"Counted at {_minute(clock)}" in html

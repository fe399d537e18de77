"""Matters (Art. 31, 32: every original deduction, with what became of it) and the dishonesty
matters in force (Art. 29), one row per deduction of an object."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal

from app.queries.credit_rows import (
    Fate,
    fates,
    item_titles,
    matter_base,
    matter_where,
    merged_failures,
    published_in_force,
    repairs,
)
from app.scoring.dates import add_months, window_end
from app.scoring.disclosure import published_until
from forms import exports as schemas
from models import LedgerEntry, User

from .base import (
    Export,
    bureau_names,
    check_period,
    count,
    export_scope,
    keyset,
    object_cells,
    period,
    producers,
    pts,
)


def _batches(
    where: list, keep: Callable, shape: Callable, today: date, *, merged: bool = False
) -> Callable[[], Iterator[list[dict]]]:
    """Rows in batches; `keep(entry, fate)` says which go out, `shape(…, repaired_on, …)` makes
    each, where `repaired_on` is the date of the operator's repair of the matter or None. With
    `merged`, `Fate.merged` says which failures are merged under R-180 on `today`."""
    title = item_titles()

    def batches() -> Iterator[list[dict]]:
        for rows in keyset(matter_base().where(*where), LedgerEntry.id, lambda r: r[0].id):
            fate = fates({e.id: e.points for e, *_ in rows})
            kept = [(e, m, o, op) for e, m, o, op in rows if keep(e, fate[e.id])]
            producer_ids = producers(op.id for *_, op in kept)
            repaired = repairs(((e.operator_id, e.matter_id) for e, *_ in kept), today)
            if merged:
                for eid in merged_failures(((e, m) for e, m, *_ in kept), today):
                    fate[eid].merged = True
            out = [
                shape(e, m, o, op, fate[e.id], repaired.get(pair), producer_ids, title)
                for e, m, o, op in kept
                for pair in [(e.operator_id, e.matter_id)]
            ]
            if out:
                yield out

    return batches


def matter_export(
    user: User, *, since: date | None, until: date | None, bureau: str | None, today: date
) -> Export:
    check_period(since, until)
    codes = export_scope(user, bureau)
    where = matter_where(since, until, codes)

    def shape(e, m, o, op, fate: Fate, repaired_on, producer_ids, title) -> dict:
        return {
            "matter_ref": m.ref,
            "source": m.source,
            "effective_on": m.effective_on,
            "deciding_bureau": m.bureau_code,
            "items": ";".join(m.items or []),
            "item": e.item,
            "item_title": title(m.table_version, e.item),
            "intentional": m.intentional,
            "major_impact": m.major_impact,
            "model": m.model,
            "standard": m.standard,
            "summary": m.summary,
            **object_cells(o, op, producer_ids),
            "operator_bureau": op.bureau_code,
            "points": pts(e.points),
            "current_points": pts(fate.current),
            "status": fate.status,
            "repaired": repaired_on is not None,
            "repaired_on": repaired_on,
            "expires_on": window_end(e.effective_on),
        }

    return Export(
        "matters",
        period(since, until, bureau),
        schemas.MatterRow(),
        count(matter_base().where(*where)),
        _batches(where, lambda e, f: True, shape, today),
    )


def dishonesty_export(
    user: User, *, since: date | None, until: date | None, bureau: str | None, today: date
) -> Export:
    """Dishonesty matters in force on `today`: not voided, inside their 36-month window
    (R-WINDOW), at the points in force (0 for a failure merged under R-180), each with the
    last day it is published. A repaired matter is no longer on the
    public list (信用修复后停止公示) but stays in this authorised export, marked `repaired` with
    the repair's date (rules §10). The count is exact: it follows every row through its fate
    first."""
    check_period(since, until)
    codes = export_scope(user, bureau)
    # Entries whose window may still be open: those effective in the last 36 months (+1 for
    # month-end clamping); the exact test is `published_on` (app.scoring.disclosure).
    where = [
        *matter_where(since, until, codes),
        LedgerEntry.effective_on >= add_months(today, -37),
        LedgerEntry.effective_on <= today,
    ]
    names = bureau_names()

    def shape(e, m, o, op, fate: Fate, repaired_on, producer_ids, title) -> dict:
        return {
            "matter_ref": m.ref,
            "effective_on": m.effective_on,
            "deciding_bureau": m.bureau_code,
            "deciding_bureau_name": names.get(m.bureau_code, m.bureau_code),
            "item": e.item,
            "item_title": title(m.table_version, e.item),
            "summary": m.summary,
            **object_cells(o, op, producer_ids),
            # a merged failure is published at the 0 points it carries
            "points": pts(Decimal("0.00") if fate.merged else fate.current),
            "published_until": published_until(e.effective_on),
            "repaired": repaired_on is not None,
            "repaired_on": repaired_on,
        }

    def keep(e, fate: Fate) -> bool:
        return published_in_force(e, fate, today)

    batches = _batches(where, keep, shape, today, merged=True)
    exact = sum(len(b) for b in batches())
    return Export(
        "dishonesty", period(since, until, bureau), schemas.DishonestyRow(), exact, batches
    )

"""The classes of a run (Art. 31, 32: shared on authority) and the A-class list (Art. 29:
published), one row per scoring object."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date

from app.queries.credit_rows import class_base, class_where
from forms import exports as schemas
from models import ClassificationResult, Operator, ScoringObject, User

from .base import (
    Export,
    bureau_names,
    check_class,
    count,
    export_scope,
    finished_run,
    keyset,
    object_cells,
    producers,
    pts,
)


def _batches(where: list, shape: Callable) -> Callable[[], Iterator[list[dict]]]:
    def batches() -> Iterator[list[dict]]:
        for rows in keyset(
            class_base().where(*where), ClassificationResult.object_id, lambda r: r[0].object_id
        ):
            producer_ids = producers(op.id for _r, _o, op in rows)
            yield [shape(r, o, op, producer_ids) for r, o, op in rows]

    return batches


def class_export(
    user: User, *, run_on: date | None, klass: str | None, bureau: str | None
) -> Export:
    klass = check_class(klass)
    codes = export_scope(user, bureau)
    run = finished_run(run_on)
    where = class_where(run, klass, codes)

    def shape(r: ClassificationResult, o: ScoringObject, op: Operator, producer_ids) -> dict:
        return {
            "run_on": run.run_on,
            **object_cells(o, op, producer_ids),
            "category": o.category,
            "bureau": op.bureau_code,
            "score": pts(r.score),
            "class": r.klass,
            "previous_class": r.previous_klass,
            "locked_until": r.locked_until,
        }

    return Export(
        "classes",
        {"run_on": run.run_on.isoformat(), "class": klass, "bureau": bureau},
        schemas.ClassRow(),
        count(class_base().where(*where)),
        _batches(where, shape),
    )


def a_class_export(user: User, *, run_on: date | None, bureau: str | None) -> Export:
    codes = export_scope(user, bureau)
    run = finished_run(run_on)
    where = class_where(run, "A", codes)
    names = bureau_names()

    def shape(r: ClassificationResult, o: ScoringObject, op: Operator, producer_ids) -> dict:
        return {
            "run_on": run.run_on,
            **object_cells(o, op, producer_ids),
            "bureau": op.bureau_code,
            "bureau_name": names.get(op.bureau_code, op.bureau_code),
            "class": r.klass,
        }

    return Export(
        "a-class",
        {"run_on": run.run_on.isoformat(), "bureau": bureau},
        schemas.AClassRow(),
        count(class_base().where(*where)),
        _batches(where, shape),
    )

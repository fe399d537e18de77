"""What every export shares: the Export it builds, the checks of its parameters and of the
caller's area, and keyset paging in batches."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from marshmallow import Schema
from sqlalchemy import func, select

from app.codes import Role
from app.errors import DomainError, NotFound
from app.extensions import db
from app.permissions import bureau_tree_codes, export_bureaus
from forms import exports as schemas
from models import Bureau, ClassificationRun, Operator, ScoringObject, User

BATCH = 2000
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "jsonl": "application/x-ndjson; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass
class Export:
    """What one export will send: its rows (a generator of batches), how many, and why."""

    name: str
    filters: dict[str, Any]
    columns: Schema
    count: int
    batches: Callable[[], Iterator[list[dict]]]

    def filename(self, fmt: str) -> str:
        parts = [self.name, *(str(v) for v in self.filters.values() if v)]
        return re.sub(r"[^0-9A-Za-z.-]+", "_", "-".join(parts)) + f".{fmt}"


def keyset(stmt, key, last_key: Callable[[Any], int]) -> Iterator[list]:
    """The rows of `stmt` in batches of BATCH, ordered by the integer column `key`; each batch
    starts after the last key of the one before (`last_key(row)`), so memory stays flat and no
    row is lost or repeated."""
    last = 0
    while True:
        rows = db.session.execute(stmt.where(key > last).order_by(key).limit(BATCH)).all()
        if not rows:
            return
        yield rows
        last = last_key(rows[-1])


def count(stmt) -> int:
    return db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


# ---- checks -------------------------------------------------------------------------------


def check_format(fmt: str) -> str:
    if fmt not in schemas.FORMATS:
        raise DomainError(
            "unknown format %(format)s: use one of %(formats)s",
            field="format",
            status=400,
            format=fmt,
            formats=", ".join(schemas.FORMATS),
        )
    return fmt


def check_class(klass: str | None) -> str | None:
    if klass is not None and klass not in schemas.CLASSES:
        raise DomainError(
            "there is no class %(klass)s: the classes are %(classes)s",
            field="class",
            status=422,
            klass=klass,
            classes=", ".join(schemas.CLASSES),
        )
    return klass


def check_period(since: date | None, until: date | None) -> None:
    if since and until and since > until:
        raise DomainError(
            "since (%(since)s) is after until (%(until)s)",
            field="since",
            status=422,
            since=since.isoformat(),
            until=until.isoformat(),
        )


def export_scope(user: User, bureau: str | None) -> frozenset[str] | None:
    """The bureau codes the export covers (None: all). A bureau outside the caller's tree is
    refused with 403, an unknown one with 404."""
    if user.role == Role.ENTERPRISE:
        raise DomainError("exports are for staff of the administration", status=403)
    allowed = export_bureaus(user)
    if bureau is None:
        return allowed
    if db.session.get(Bureau, bureau) is None:
        raise NotFound("no bureau with code %(code)s", field="bureau", code=bureau)
    if allowed is not None and bureau not in allowed:
        raise DomainError(
            "bureau %(bureau)s is outside your area (%(own)s and the bureaus below it); "
            "you may only export your own area",
            field="bureau",
            status=403,
            bureau=bureau,
            own=user.bureau_code,
        )
    return bureau_tree_codes(bureau)


def finished_run(run_on: date | None) -> ClassificationRun:
    """The finished classification run of `run_on`, or the latest one."""
    where = [ClassificationRun.finished_at.is_not(None)]
    if run_on is not None:
        where.append(ClassificationRun.run_on == run_on)
    run = db.session.scalar(
        select(ClassificationRun).where(*where).order_by(ClassificationRun.run_on.desc()).limit(1)
    )
    if run is None:
        if run_on is not None:
            raise NotFound(
                "no classification run of %(date)s", field="run_on", date=run_on.isoformat()
            )
        raise NotFound("there is no classification run yet")
    return run


# ---- cells shared by the rows -------------------------------------------------------------


def producers(operator_ids: Iterable[int]) -> set[int]:
    """Operators with products (producers); the others are sellers (as interchange §2 says)."""
    ids = sorted(set(operator_ids))
    if not ids:
        return set()
    return set(
        db.session.scalars(
            select(ScoringObject.operator_id)
            .where(ScoringObject.kind == "product", ScoringObject.operator_id.in_(ids))
            .distinct()
        )
    )


def role(kind: str, operator_id: int, producer_ids: set[int]) -> str:
    if kind == "product":
        return "product"
    return "producer" if operator_id in producer_ids else "seller"


def object_cells(o: ScoringObject, op: Operator, producer_ids: set[int]) -> dict[str, Any]:
    """The columns naming the scoring object of a row: its role, operator and product."""
    return {
        "object_kind": role(o.kind, op.id, producer_ids),
        "uscc": op.uscc,
        "name": op.name,
        "brand": o.brand,
        "nice_class": o.nice_class,
    }


def pts(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def period(since: date | None, until: date | None, bureau: str | None) -> dict[str, Any]:
    """The filters of an export over a period, as its audit event and file name state them."""
    return {
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
        "bureau": bureau,
    }


def bureau_names() -> dict[str, str]:
    return dict(db.session.execute(select(Bureau.code, Bureau.name)).tuples().all())

"""An application filed once per idempotency key, even when the same key arrives twice at
once (a double click on a slow line)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.unit_of_work import attempt
from models import Case


def file_once(key: str | None, file: Callable[[], Case]) -> tuple[Case, bool]:
    """The case `file` starts, and False; or, when a concurrent request with the same key
    started it first, that request's case and True. The second request meets the first's unique
    key when the service flushes, waits for the first to commit, and undoes its own attempt."""
    try:
        with attempt():
            return file(), False
    except IntegrityError:
        existing = (
            db.session.scalar(select(Case).where(Case.idempotency_key == key)) if key else None
        )
        if existing is None:
            raise
        return existing, True

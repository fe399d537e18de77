"""Bulk writes: PostgreSQL's COPY where we have it, batched INSERT elsewhere."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Table

from app.extensions import db


def copy_rows(table: Table, columns: Sequence[str], rows: Sequence[tuple], *, fallback) -> None:
    """Append rows inside the session's transaction. COPY is several times faster than
    multi-row INSERT for the hundreds of thousands of rows of a classification run."""
    if not rows:
        return
    conn = db.session.connection()
    if conn.dialect.name == "postgresql":
        cols = ", ".join(columns)
        with (
            conn.connection.cursor() as cur,
            cur.copy(f"COPY {table.name} ({cols}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return
    conn.execute(fallback, [dict(zip(columns, row, strict=True)) for row in rows])

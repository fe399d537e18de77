"""Statistics leave the system like exports do (Art. 31, 32): each download is audited."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from models import User

from .audit import record_event


def record_download(
    name: str, *, user: User, at: datetime, filters: Mapping[str, Any], fmt: str, rows: int
) -> None:
    """Who took which figures, filtered how, in which format, how many rows."""
    record_event(
        at,
        user.username,
        f"statistics.{name}",
        "statistics",
        name,
        {"filters": dict(filters), "format": fmt, "rows": rows, "role": user.role},
    )

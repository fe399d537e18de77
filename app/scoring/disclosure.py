"""What the public may see of a dishonesty matter, and until when (Art. 7, 15, 29; rules §10).

Pure: dates and ledger entries in, dates out. The public pages (`app.queries.disclosure`) and
the exports (`app.services.exports`) both ask this module, so they cannot disagree.

- A dishonesty matter (失信事项) is published while its deduction counts in the score: from
  its effective date E to the day before it leaves the 36-month window (Art. 7, R-WINDOW),
  i.e. `published_until(E)` = window_end(E) − 1 day is the last day it is shown. An entry
  effective 2023-03-31 is shown up to 2026-03-30 and gone on 2026-03-31.
- A repaired matter is no longer published (信用修复后停止公示), but it stays in the ledger and
  in the authorised exports, marked repaired with the repair's effective date. A repair is of
  a matter (Art. 15(2), R-REPAIR-ONE-MATTER): the operator's repair of a matter withdraws that
  matter's deduction on every object of that operator. A repair counts as long as the pure
  core (`engine.live_entries`) keeps it: a voided repair, or the repair of a voided (revoked)
  deduction, is no repair.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from .dates import window_end
from .engine import live_entries
from .ledger import Entry, EntryKind


def published_until(effective_on: date) -> date:
    """The last day a dishonesty matter effective on `effective_on` is published."""
    return window_end(effective_on) - timedelta(days=1)


def published_on(effective_on: date, today: date) -> bool:
    """Does the matter's window (R-WINDOW) put it on the public list on `today`?"""
    return effective_on <= today <= published_until(effective_on)


def repaired_matters(operator_entries: Iterable[Entry], as_of: date) -> dict[str, date]:
    """Matters the operator has repaired as of `as_of`, each with the effective date of the
    (earliest) live repair of it. `operator_entries` are the entries of one operator, over all
    its objects (a product's repair repairs the matter for its producer too)."""
    out: dict[str, date] = {}
    for e in live_entries(operator_entries, as_of):
        if e.kind is EntryKind.REPAIR and e.matter is not None:
            known = out.get(e.matter)
            if known is None or e.effective_on < known:
                out[e.matter] = e.effective_on
    return out

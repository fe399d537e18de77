"""Reward candidates found from spot-check results (Art. 16, 17(1), R-REWARD-PRODUCT)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from .dates import window_start

# Rewards that rest on spot checks: proved by clean years inside the scoring cycle (Art. 16,
# 17(1)) and verified by the provincial bureau, which runs the spot checks (Art. 19, 22).
SPOT_CHECK_REWARDS = frozenset({"R16", "R17.1"})


def cycle_start(on: date) -> date:
    """First day of the scoring cycle (记分周期) that ends on `on`: the 36 months up to and
    including `on`. A day counts on `on` exactly when an entry effective that day would still
    count (on < window_end(day)), so the cycle and the ledger window agree to the day."""
    return window_start(on)


def in_cycle(day: date, on: date) -> bool:
    """Does `day` lie inside the scoring cycle that ends on `on`?"""
    return cycle_start(on) <= day <= on


def clean_year_runs(
    results: Iterable[tuple[date, bool]], on: date | None = None
) -> list[tuple[int, int]]:
    """Runs of two or more consecutive calendar years in which the product was spot-checked
    and never failed, as (first year, last year). `results` are (sampled_on, passed).

    With `on` (the day the reward is proposed or verified), only checks inside the scoring
    cycle ending that day prove a year (Art. 16 "一个记分周期内"): clean checks of 2019-2020 earn
    nothing in 2026. A failure anywhere in a calendar year still spoils that year; checks after
    `on` are not known yet and count for nothing."""
    start = cycle_start(on) if on is not None else None
    checked: set[int] = set()
    failed: set[int] = set()
    for sampled_on, passed in results:
        if on is not None and sampled_on > on:
            continue
        if not passed:
            failed.add(sampled_on.year)
        if start is None or sampled_on >= start:
            checked.add(sampled_on.year)
    clean = sorted(checked - failed)
    runs: list[tuple[int, int]] = []
    first = prev = None
    for year in clean:
        if prev is not None and year == prev + 1:
            prev = year
            continue
        if first is not None and prev is not None and prev > first:
            runs.append((first, prev))
        first = prev = year
    if first is not None and prev is not None and prev > first:
        runs.append((first, prev))
    return runs

"""Reward candidates found from spot-check results (Art. 16, R-REWARD-PRODUCT)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date


def clean_year_runs(results: Iterable[tuple[date, bool]]) -> list[tuple[int, int]]:
    """Runs of two or more consecutive calendar years in which the product was spot-checked
    and never failed, as (first year, last year). `results` are (sampled_on, passed)."""
    checked: set[int] = set()
    failed: set[int] = set()
    for sampled_on, passed in results:
        checked.add(sampled_on.year)
        if not passed:
            failed.add(sampled_on.year)
    clean = sorted(checked - failed)
    runs: list[tuple[int, int]] = []
    start = prev = None
    for year in clean:
        if prev is not None and year == prev + 1:
            prev = year
            continue
        if start is not None and prev is not None and prev > start:
            runs.append((start, prev))
        start = prev = year
    if start is not None and prev is not None and prev > start:
        runs.append((start, prev))
    return runs

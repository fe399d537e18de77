"""Small builders for test data: valid credit codes and JSON Lines records."""

from __future__ import annotations

import json
from collections.abc import Iterable

from stdnum.cn import uscc as stdnum_uscc


def uscc(n: int, division: str = "440300") -> str:
    """A valid 18-character USCC for a market entity (starts 91) numbered n."""
    body = f"91{division}{n:09d}"
    return body + stdnum_uscc.calc_check_digit(body)


def jsonl(records: Iterable[dict]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")


def operator(
    n: int, *, bureau: str = "440300", name: str | None = None, filing: bool = True
) -> dict:
    return {
        "type": "operator",
        "uscc": uscc(n, bureau),
        "name": name or f"测试企业{n}有限公司",
        "bureau": bureau,
        "filing_complete": filing,
    }


def product(
    producer: str, brand: str = "某牌", nice_class: int = 9, category: str = "电子电器"
) -> dict:
    return {
        "type": "product",
        "producer": producer,
        "brand": brand,
        "nice_class": nice_class,
        "category": category,
    }


def spot_check(
    ref: str,
    producer: str,
    *,
    result: str = "fail",
    effective_on: str = "2025-04-10",
    sampled_on: str = "2025-03-02",
    brand: str = "某牌",
    nice_class: int = 9,
    model: str = "X-100",
    standard: str = "GB 4943.1-2022",
    intentional: bool = False,
) -> dict:
    return {
        "type": "spot_check",
        "ref": ref,
        "producer": producer,
        "brand": brand,
        "nice_class": nice_class,
        "model": model,
        "standard": standard,
        "sampled_on": sampled_on,
        "result": result,
        "effective_on": effective_on if result == "fail" else None,
        "bureau": "440000",
        "intentional": intentional,
    }


def matter(
    ref: str,
    objects: list[dict],
    *,
    items: list[str],
    effective_on: str = "2025-05-06",
    bureau: str = "440300",
    intentional: bool = False,
) -> dict:
    return {
        "type": "matter",
        "ref": ref,
        "items": items,
        "intentional": intentional,
        "effective_on": effective_on,
        "bureau": bureau,
        "major_impact": False,
        "objects": objects,
        "model": None,
        "standard": None,
        "summary": "测试事项",
    }


def at_once(app, work, workers: int = 2, timeout: float = 60) -> tuple[list, list]:
    """Run `work()` in `workers` threads released together, each in its own app context (its
    own session and connection), as separate worker processes would. Returns (results,
    errors); a failed call rolls its session back."""
    import threading

    from app.extensions import db

    barrier = threading.Barrier(workers)
    results, errors = [], []

    def run():
        with app.app_context():
            try:
                barrier.wait()
                results.append(work())
            except Exception as exc:
                db.session.rollback()
                errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    return results, errors

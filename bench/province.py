"""Generator of a province-scale ledger, written straight into PostgreSQL with COPY.

Shape (defaults = the issue's target): 300,000 operators (70 % producers), 700,000 products,
so 1,000,000 scoring objects; about 2,000,000 ledger entries over the last 36 months
(STARTs, deductions from spot-check failures and matters, some repairs and rewards, a few
VOIDs). Deterministic for a seed. The import path is benchmarked separately
(bench/import_records.py); this generator exists to reach province scale in minutes.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import psycopg

from app.demo import make_uscc

ITEMS_PRODUCT = ["A11.2", "A11.3", "A11.4", "A11.5", "A11.6", "A11.7", "A11.8"]
ITEMS_OPERATOR = ["A12.1", "A12.3", "A12.4", "A12.5", "A12.7", "A12.9"]
POINTS = {
    "A11.1": 3,
    "A11.2": 6,
    "A11.3": 6,
    "A11.4": 4,
    "A11.5": 2,
    "A11.6": 2,
    "A11.7": 2,
    "A11.8": 4,
    "A12.1": 3,
    "A12.3": 4,
    "A12.4": 6,
    "A12.5": 6,
    "A12.7": 2,
    "A12.9": 3,
}


def generate(
    url: str,
    *,
    operators: int = 300_000,
    products: int = 700_000,
    entries_target: int = 2_000_000,
    today: date = date(2026, 11, 26),
    seed: int = 7,
) -> dict:
    rng = random.Random(seed)
    now = datetime.now(UTC)
    bureaus = ["440100", "440300", "440600", "441900", "442000", "440104", "440305", "440604"]
    producers = int(operators * 0.7)
    counts = {"operators": operators, "products": products, "entries": 0, "matters": 0}
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        with cur.copy(
            "COPY operator (id, uscc, name, bureau_code, filing_complete, created_at) FROM STDIN"
        ) as cp:
            for i in range(1, operators + 1):
                b = bureaus[i % len(bureaus)]
                cp.write_row((i, make_uscc(b, i), f"基准企业{i}有限公司", b, i % 5 != 0, now))
        # Object ids: operator i has object i; products follow, spread over the producers.
        product_owner: list[int] = []
        with cur.copy(
            "COPY scoring_object (id, kind, operator_id, brand, nice_class, category) FROM STDIN"
        ) as cp:
            for i in range(1, operators + 1):
                cp.write_row((i, "operator", i, None, None, None))
            for n in range(products):
                owner = 1 + (n * 7919) % producers
                product_owner.append(owner)
                cp.write_row(
                    (operators + 1 + n, "product", owner, f"牌{n}", 1 + n % 34, "电子电器")
                )
        window_start = today - timedelta(days=36 * 30)
        span = (today - window_start).days
        entry_id = 0
        matter_id = 0
        with cur.copy(
            "COPY matter (id, ref, source, items, intentional, major_impact, "
            "effective_on, bureau_code, model, standard, summary, table_version, "
            "content_hash, recorded_by, recorded_at) FROM STDIN"
        ) as mcp:
            entry_rows: list[tuple] = []
            started: set[int] = set()

            def start(obj: int, owner: int, on: date) -> None:
                nonlocal entry_id
                if obj in started:
                    return
                started.add(obj)
                entry_id += 1
                entry_rows.append(
                    (entry_id, obj, owner, None, "START", "12.00", on, None, None, None)
                )

            # ~55 % of objects get a credit record; each scored object averages ~2 entries.
            deductions: list[tuple[int, int, int, date]] = []
            total_objects = operators + products
            while entry_id < entries_target * 0.955:
                obj = rng.randint(1, total_objects)
                owner = obj if obj <= operators else product_owner[obj - operators - 1]
                on = window_start + timedelta(days=rng.randint(0, span))
                matter_id += 1
                if obj > operators:
                    spot = rng.random() < 0.5
                    item = "A11.1" if spot else rng.choice(ITEMS_PRODUCT)
                else:
                    spot, item = False, rng.choice(ITEMS_OPERATOR)
                ref = f"BENCH-{matter_id}"
                mcp.write_row(
                    (
                        matter_id,
                        ref,
                        "spot_check" if spot else "matter",
                        f'["{item}"]',
                        False,
                        False,
                        on,
                        "440000" if spot else "440300",
                        None,
                        None,
                        None,
                        "GD-2021-default",
                        "0" * 64,
                        "bench",
                        now,
                    )
                )
                start(obj, owner, on - timedelta(days=rng.randint(0, 200)))
                entry_id += 1
                pkey = f"{owner}|GB|{obj}|M{rng.randint(1, 2)}" if spot else None
                entry_rows.append(
                    (
                        entry_id,
                        obj,
                        owner,
                        matter_id,
                        "DEDUCTION",
                        f"-{POINTS[item]}.00",
                        on,
                        item,
                        None,
                        pkey,
                    )
                )
                deductions.append((entry_id, obj, owner, on))
            counts["matters"] = matter_id
        # Repairs (5 %), rewards (2 %) and VOIDs (0.5 %) on top.
        for ded_id, obj, owner, on in rng.sample(deductions, len(deductions) // 20):
            entry_id += 1
            when = min(today, on + timedelta(days=rng.randint(10, 90)))
            entry_rows.append(
                (entry_id, obj, owner, None, "REPAIR", "1.50", when, None, ded_id, None)
            )
        for _ded_id, obj, owner, on in rng.sample(deductions, len(deductions) // 50):
            entry_id += 1
            entry_rows.append((entry_id, obj, owner, None, "REWARD", "1.00", on, "R16", None, None))
        for ded_id, obj, owner, on in rng.sample(deductions, len(deductions) // 200):
            entry_id += 1
            entry_rows.append((entry_id, obj, owner, None, "VOID", "0.00", on, None, ded_id, None))
        with cur.copy(
            "COPY ledger_entry (id, object_id, operator_id, matter_id, kind, points, "
            "effective_on, item, target_id, product_key, matter_ref, recorded_by, recorded_at) "
            "FROM STDIN"
        ) as cp:
            for row in entry_rows:
                ref = f"BENCH-{row[3]}" if row[3] is not None else None
                cp.write_row((*row, ref, "bench", now))
        counts["entries"] = len(entry_rows)
        for table, column in (
            ("operator", "id"),
            ("scoring_object", "id"),
            ("matter", "id"),
            ("ledger_entry", "id"),
        ):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                f"(SELECT max({column}) FROM {table}))"
            )
        conn.commit()
        cur.execute("ANALYZE")
    return counts

"""The yearly inspection plan of the whole province, on PostgreSQL.

    .venv/bin/python -m bench.inspection_plan [--objects 1000000] [--reuse]

Builds (or, with --reuse, keeps) the database of bench/measures.py (BENCH_MEASURES_DATABASE_URL,
default .../bench_measures; never the test database): 1,000,000 scoring objects with a run of
2026-07-01 in the demo's class mix, then adds about 1.2 million spot checks over four years
(12 % failing, a tenth of them sampled at a seller) and 200,000 matters with their deductions
(one per five objects),
written with COPY. Then it times drawing the 2026 plan of the provincial bureau (every B, C
and D object with the inspections needed and done, the A-class draw with its clean-object
weights) and its XLSX export.
Target (issue): the province's plan <= 30 s on 2 cores.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, date, datetime, timedelta

import psycopg

from bench.common import migrated_app
from bench.measures import BENCH_DB, _guard, build_province

TODAY = date(2026, 11, 26)


def add_inspections(url: str, *, matters: int, seed: int = 11) -> dict:
    rng = random.Random(seed)
    now = datetime.now(UTC)
    counts = {"spot_checks": 0, "matters": 0, "entries": 0}
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        products = cur.execute(
            "SELECT id, operator_id FROM scoring_object WHERE kind = 'product' ORDER BY id"
        ).fetchall()
        operators = cur.execute("SELECT id, uscc FROM operator ORDER BY id").fetchall()
        sellers = operators[int(len(operators) * 0.7) :]
        objects = cur.execute("SELECT id, operator_id FROM scoring_object ORDER BY id").fetchall()
        with cur.copy(
            "COPY spot_check (id, ref, object_id, model, standard, sampled_on, result, "
            "effective_on, bureau_code, seller_uscc, intentional, matter_id, content_hash, "
            "recorded_at) FROM STDIN"
        ) as cp:
            n = 0
            for oid, _owner in products:
                for year in (2023, 2024, 2025, 2026):
                    if rng.random() < 0.5:
                        continue
                    last = (TODAY - date(year, 1, 1)).days if year == 2026 else 364
                    sampled = date(year, 1, 1) + timedelta(days=rng.randint(0, last))
                    failed = rng.random() < 0.12
                    seller = rng.choice(sellers)[1] if rng.random() < 0.1 else None
                    n += 1
                    cp.write_row(
                        (
                            n,
                            f"BENCH-SC-{n}",
                            oid,
                            "M-1",
                            "GB 1",
                            sampled,
                            "fail" if failed else "pass",
                            sampled if failed else None,
                            "440000",
                            seller,
                            False,
                            None,
                            "0" * 64,
                            now,
                        )
                    )
            counts["spot_checks"] = n
        start_matter = (cur.execute("SELECT coalesce(max(id), 0) FROM matter").fetchone() or [0])[0]
        start_entry = (
            cur.execute("SELECT coalesce(max(id), 0) FROM ledger_entry").fetchone() or [0]
        )[0]
        entries: list[tuple] = []
        with cur.copy(
            "COPY matter (id, ref, source, items, intentional, major_impact, effective_on, "
            "bureau_code, model, standard, summary, table_version, content_hash, recorded_by, "
            "recorded_at) FROM STDIN"
        ) as cp:
            for i in range(1, matters + 1):
                mid = start_matter + i
                oid, owner = rng.choice(objects)
                on = TODAY - timedelta(days=rng.randint(1, 1400))
                cp.write_row(
                    (mid, f"BENCH-M-{mid}", "matter", '["A12.3"]', False, False, on, "440300",
                     None, None, None, "GD-2021-default", "0" * 64, "bench", now)
                )  # fmt: skip
                entries.append((oid, owner, mid, on))
                if oid != owner and rng.random() < 0.3:
                    entries.append((owner, owner, mid, on))  # the producer too
            counts["matters"] = matters
        with cur.copy(
            "COPY ledger_entry (id, object_id, operator_id, matter_id, matter_ref, kind, "
            "points, effective_on, item, target_id, product_key, reason, recorded_by, "
            "recorded_at) FROM STDIN"
        ) as cp:
            for k, (oid, owner, mid, on) in enumerate(entries, start=start_entry + 1):
                cp.write_row(
                    (k, oid, owner, mid, f"BENCH-M-{mid}", "DEDUCTION", "-4.00", on, "A12.3",
                     None, None, None, "bench", now)
                )  # fmt: skip
            counts["entries"] = len(entries)
        for table in ("spot_check", "matter", "ledger_entry"):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
        conn.commit()
        cur.execute("ANALYZE")
    return counts


def measure(url: str) -> None:
    from app.extensions import db
    from app.services import inspection_plans as plans
    from models import Bureau, User

    app = migrated_app(url)
    with app.app_context():
        now = datetime.now(UTC)
        user = User(
            username="bench_supervisor",
            display_name="bench",
            role="supervisor",
            bureau_code="440000",
            created_at=now,
        )
        db.session.add(user)
        db.session.flush()
        start = time.perf_counter()
        record, data = plans.generate_plan(
            year=2026, bureau="440000", seed=20261126, user=user, today=TODAY, now=now
        )
        db.session.flush()
        drawn = time.perf_counter() - start
        print(
            f"plan of the province: {record.required:,} B/C/D objects, "
            f"{record.candidates:,} A candidates ({record.lowered:,} with the lowered weight), "
            f"{record.selected:,} drawn"
        )
        start = time.perf_counter()
        view = plans.plan_view(record, today=TODAY)
        viewed = time.perf_counter() - start
        print(
            f"  the recorded plan's page (its draw as recorded, "
            f"{sum(r.done for r in view.required):,} inspections done in 2026): {viewed:.1f} s"
        )
        start = time.perf_counter()
        body = plans.to_xlsx(record, view, bureau_name=db.session.get(Bureau, "440000").name)
        written = time.perf_counter() - start
        print(f"  XLSX export: {written:.1f} s ({len(body) / 1e6:.1f} MB)")
        print(f"drawing and recording the province's plan: {drawn:.1f} s")
        print(f"the plan drawn and written as XLSX: {drawn + written:.1f} s (target <= 30 s)")
        print(f"downloading a recorded plan (its data, then the XLSX): {viewed + written:.1f} s")
        assert data.selection_digest == record.selection_digest
        db.session.rollback()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--objects", type=int, default=1_000_000)
    parser.add_argument("--reuse", action="store_true", help="keep the database already built")
    args = parser.parse_args()
    _guard(BENCH_DB)
    if not args.reuse:
        start = time.perf_counter()
        built = build_province(BENCH_DB, objects=args.objects)
        added = add_inspections(BENCH_DB, matters=args.objects // 5)
        print(f"built {built} and {added} in {time.perf_counter() - start:.1f} s", flush=True)
    measure(BENCH_DB)


if __name__ == "__main__":
    main()

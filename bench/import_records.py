"""Importing 100,000 records (interchange §1) on PostgreSQL, through the real import service.

    .venv/bin/python -m bench.import_records [--records 100000]

Generates a synthetic province's JSON Lines file with the demo generator, imports it into a
fresh database (BENCH_DATABASE_URL with the suffix _import), then imports it again (every
record unchanged). Target (issue): 100,000 records <= 60 s.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, date, datetime
from pathlib import Path

from bench.common import BENCH_DB, reference_database

TODAY = date(2026, 11, 26)
OUT = Path(__file__).resolve().parent / "out"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    args = parser.parse_args()

    from app.demo import province_bureaus, synthetic_records
    from app.extensions import db
    from app.services.imports import import_records

    app = reference_database(BENCH_DB + "_import")
    OUT.mkdir(exist_ok=True)
    path = OUT / "records.jsonl"
    with app.app_context():
        written = 0
        with path.open("w", encoding="utf-8") as fh:
            for rec in synthetic_records(
                operators=args.records * 2 // 13,
                seed=11,
                today=TODAY,
                bureaus=province_bureaus(),
                matters_per_operator=3,
            ):
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
                written += 1
                if written >= args.records:
                    break
        kinds: dict[str, int] = {}
        for line in path.open(encoding="utf-8"):
            t = json.loads(line)["type"]
            kinds[t] = kinds.get(t, 0) + 1
        print(f"file: {written:,} records {kinds}")

        for attempt in ("first import", "same file again"):
            start = time.perf_counter()
            with path.open("rb") as fh:
                report = import_records(fh, today=TODAY, actor="bench", at=datetime.now(UTC))
            db.session.commit()
            elapsed = time.perf_counter() - start
            print(
                f"{attempt}: {elapsed:.1f} s, {report.read / elapsed:,.0f} records/s "
                f"(created {report.created:,}, unchanged {report.unchanged:,}, "
                f"refused {report.refused:,}); target <= 60 s for 100,000"
            )
            for r in report.refusals[:3]:
                print(f"  line {r.line}: {r.reason}")


if __name__ == "__main__":
    main()

"""Score with explanation of a large producer over HTTP: gunicorn, 2 workers, PostgreSQL.

    .venv/bin/python -m bench.score_http [--requests 1000]

A producer with 50 products and 200 ledger entries (imported through the real import path)
is asked for its score as of a date, one request after another over a kept-alive connection.
Target (issue): p95 <= 20 ms.
"""

from __future__ import annotations

import argparse
import http.client
import json
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench.cases_http import gunicorn
from bench.common import BENCH_DB, percentile, reference_database

TODAY = date(2026, 11, 26)
ROOT = Path(__file__).resolve().parent.parent


def build(url: str) -> tuple[str, str]:
    import json

    from app.demo import make_uscc
    from app.extensions import db
    from app.services.imports import import_records

    app = reference_database(url)
    producer = make_uscc("440300", 42)
    records: list[dict] = [
        {
            "type": "operator",
            "uscc": producer,
            "name": "基准大型生产企业有限公司",
            "bureau": "440300",
            "filing_complete": True,
        }
    ]
    for n in range(50):
        records.append(
            {
                "type": "product",
                "producer": producer,
                "brand": f"基准{n}牌",
                "nice_class": 1 + n % 34,
                "category": "电子电器",
            }
        )
    day = TODAY - timedelta(days=1000)
    for n in range(50):  # 50 products x (START + 2 failures) = 150 entries
        for k in range(2):
            day += timedelta(days=3)
            records.append(
                {
                    "type": "spot_check",
                    "ref": f"B-CC-{n}-{k}",
                    "producer": producer,
                    "brand": f"基准{n}牌",
                    "nice_class": 1 + n % 34,
                    "model": f"M{k}",
                    "standard": "GB 1",
                    "sampled_on": day.isoformat(),
                    "result": "fail",
                    "effective_on": day.isoformat(),
                    "bureau": "440000",
                    "intentional": False,
                }
            )
    for n in range(49):  # the producer's own START + 49 matters = 50 entries
        day = TODAY - timedelta(days=1000 - 20 * n)
        records.append(
            {
                "type": "matter",
                "ref": f"B-M-{n}",
                "items": ["A12.3"],
                "intentional": False,
                "effective_on": day.isoformat(),
                "bureau": "440300",
                "major_impact": False,
                "objects": [{"kind": "producer", "uscc": producer}],
            }
        )
    with app.app_context():
        at = datetime.now(UTC)
        lines = [json.dumps(r, ensure_ascii=False).encode() for r in records]
        report = import_records(lines, today=TODAY, actor="bench", at=at)
        assert report.refused == 0, report.refusals[:3]
        from app.auth import create_user, issue_token

        reader = create_user(
            "bench-reader", "officer", display_name="bench", at=at, bureau_code="440000"
        )
        token = issue_token(reader, ("read",))
        db.session.commit()
        n = db.session.execute(db.text("SELECT count(*) FROM ledger_entry")).scalar()
        print(f"producer {producer}: 50 products, {n} ledger entries")
        db.engine.dispose()
    return producer, token


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()
    url = BENCH_DB + "_http"
    producer, token = build(url)
    auth = {"Authorization": f"Bearer {token}"}
    with gunicorn(url, today=TODAY) as server:
        port = server.port
        path = f"/api/v1/operators/{producer}/score?as_of=2026-11-26"
        conn = http.client.HTTPConnection("127.0.0.1", port)
        conn.request("GET", path, headers=auth)
        first = conn.getresponse()
        body = first.read()
        assert first.status == 200, body[:300]
        doc = json.loads(body)
        print(f"score {doc['score']} class {doc['class']}, {len(doc['entries'])} lines explained")
        times = []
        for _ in range(args.requests):
            start = time.perf_counter()
            conn.request("GET", path, headers=auth)
            resp = conn.getresponse()
            resp.read()
            times.append((time.perf_counter() - start) * 1000)
            if resp.will_close:
                conn = http.client.HTTPConnection("127.0.0.1", port)
        print(
            f"{args.requests} requests: p50 {percentile(times, 50):.1f} ms, "
            f"p95 {percentile(times, 95):.1f} ms (target <= 20 ms), "
            f"p99 {percentile(times, 99):.1f} ms, max {max(times):.1f} ms"
        )


if __name__ == "__main__":
    main()

"""Task queues with 100,000 open tasks across the province, over HTTP (gunicorn, 2 workers,
PostgreSQL).

    .venv/bin/python -m bench.queue [--open 100000 --history 100000 --requests 500]

Set-up (not timed), in a fresh database `credit_bench_queue`: the bureau tree (144 bureaus of
data/bureaus_440000.csv) and the deployed process definitions; then, written straight with
COPY, operators and their scoring objects, one case per open task (`credit_case.state` is a
placeholder: queues never load a workflow), the open tasks spread over every bureau (cities
weigh more than counties) with due dates around today (about 10 % overdue, enterprise tasks
without a due date, a quarter claimed), a done task before some of them, and completed cases
with their done tasks as history. Users: an officer of Guangzhou (440100), an officer of
Tianhe district (440106), a provincial supervisor (440000) and Guangzhou's supervisor.

Timed: one request after another on one connection, per call: an officer's queue, the same
with ?overdue=true, the county officer's queue, a supervisor's queue, and the overdue overview
(GET /overdue) for the province and for a city. Then EXPLAIN ANALYZE of the main queries,
captured from the app's own query functions.

Targets (issue): an officer's queue p95 <= 30 ms; the province's overdue overview <= 200 ms.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import time
import uuid
from datetime import UTC, datetime, timedelta

import psycopg

from bench.cases_http import ROOT, TODAY, Client, CpuMeter, gunicorn
from bench.common import BENCH_DB, percentile, reference_database

URL = BENCH_DB.rpartition("/")[0] + "/credit_bench_queue"
CITY, COUNTY = "440100", "440106"
# (process, open task, weight); a repair's open task is the enterprise's supplement 1 time in 5.
MIX = [
    ("repair", "verify_repair", 28),
    ("repair", "supplement_material", 7),
    ("objection", "accept_objection", 12),
    ("objection", "resolve_objection", 13),
    ("deduction_notice", "publish_announcement", 15),
    ("correction", "verify_correction", 10),
    ("reward", "verify_reward", 15),
]
FIRST_TASK = {"resolve_objection": "accept_objection", "supplement_material": "verify_repair"}


def bureaus() -> list[tuple[str, str]]:
    with (ROOT / "data" / "bureaus_440000.csv").open(encoding="utf-8") as fh:
        return [(row["code"], row["level"]) for row in csv.DictReader(fh)]


def build(url: str, open_tasks: int, history: int, operators: int, seed: int = 5) -> dict:
    """The database; returns the users' tokens."""
    from sqlalchemy import text

    from app.auth import create_user, issue_token
    from app.extensions import db
    from app.services.cases import engine
    from models import WorkflowSpec

    rng = random.Random(seed)
    app = reference_database(url)
    with app.app_context():
        at = datetime.now(UTC)
        eng = engine()
        for d in eng.definitions.values():
            db.session.add(
                WorkflowSpec(hash=d.hash, process_id=d.process_id, bpmn=d.xml, deployed_at=at)
            )
        tokens = {}
        for name, role, bureau in [
            ("gz_officer", "officer", CITY),
            ("th_officer", "officer", COUNTY),
            ("prov_supervisor", "supervisor", "440000"),
            ("gz_supervisor", "supervisor", CITY),
        ]:
            user = create_user(name, role, display_name=name, at=at, bureau_code=bureau)
            tokens[name] = issue_token(user)
        codes = bureaus()
        for code, _level in codes:  # the officers tasks are claimed by
            create_user(f"claimer_{code}", "officer", display_name=code, at=at, bureau_code=code)
        db.session.commit()
        claimer = dict(
            db.session.execute(
                text("SELECT bureau_code, id FROM app_user WHERE username LIKE 'claimer_%'")
            ).all()
        )
        definitions = {p: (d.hash, d.user_tasks) for p, d in eng.definitions.items()}
        serializer_version = eng.serializer_version
        db.session.remove()
        db.engine.dispose()

    from app.demo import make_uscc

    weights = {"province": 4, "city": 3, "county": 1}
    bureau_codes = [c for c, _ in codes]
    bureau_weights = [weights[level] for _, level in codes]
    mix_weights = [w for *_, w in MIX]
    counts = {"open": 0, "overdue": 0, "claimed": 0, "done": 0, "cases": 0}
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        with cur.copy(
            "COPY operator (id, uscc, name, bureau_code, filing_complete, created_at) FROM STDIN"
        ) as cp:
            for i in range(1, operators + 1):
                b = rng.choices(bureau_codes, bureau_weights)[0]
                cp.write_row(
                    (i, make_uscc(b, 900_000 + i), f"队列基准企业{i}有限公司", b, True, at)
                )
        with cur.copy("COPY scoring_object (id, kind, operator_id) FROM STDIN") as cp:
            for i in range(1, operators + 1):
                cp.write_row((i, "operator", i))
        case_rows, task_rows = [], []
        task_id = 0

        def task(case_id, process, name, bureau, op, state, due, claimed, created):
            nonlocal task_id
            task_id += 1
            info = definitions[process][1][name]
            task_rows.append(
                (
                    task_id,
                    case_id,
                    str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    name,
                    info.title,
                    info.lane,
                    process,
                    bureau,
                    op,
                    info.properties["formKey"],
                    due,
                    state,
                    claimed,
                    None if state == "open" else json.dumps({"decision": "accept"}),
                    created,
                    None if state == "open" else created + timedelta(days=2),
                    None if state == "open" else f"claimer_{bureau}",
                )
            )

        for case_id in range(1, open_tasks + history + 1):
            process, name, _w = rng.choices(MIX, mix_weights)[0]
            bureau = rng.choices(bureau_codes, bureau_weights)[0]
            op = rng.randint(1, operators)
            is_open = case_id <= open_tasks
            filed = TODAY - timedelta(days=rng.randint(0, 40) if is_open else rng.randint(40, 700))
            created = datetime.combine(filed, datetime.min.time(), UTC) + timedelta(hours=2)
            lane = definitions[process][1][name].lane
            due = None
            if lane != "enterprise":
                overdue = rng.random() < 0.10
                due = (
                    TODAY - timedelta(days=rng.randint(1, 30))
                    if overdue
                    else (TODAY + timedelta(days=rng.randint(0, 28)))
                )
            if not is_open:
                name = FIRST_TASK.get(name, name)
                due = filed + timedelta(days=7)
                task(case_id, process, name, bureau, op, "done", due, claimer[bureau], created)
                counts["done"] += 1
            else:
                if name in FIRST_TASK:
                    first = FIRST_TASK[name]
                    task(case_id, process, first, bureau, op, "done", due, claimer[bureau], created)
                    counts["done"] += 1
                claimed = claimer[bureau] if lane == "officer" and rng.random() < 0.25 else None
                task(case_id, process, name, bureau, op, "open", due, claimed, created)
                counts["open"] += 1
                counts["overdue"] += due is not None and due < TODAY
                counts["claimed"] += claimed is not None
            case_rows.append(
                (
                    case_id,
                    process,
                    definitions[process][0],
                    "open" if is_open else "completed",
                    None if is_open else "approved",
                    op,
                    op,
                    bureau,
                    json.dumps({"matter": f"BENCH-Q-{case_id}"}),
                    filed,
                    "bench",
                    is_open and due is not None and due < TODAY,
                    due if is_open else None,
                    "{}",
                    serializer_version,
                    1,
                    created,
                    None if is_open else created + timedelta(days=2),
                )
            )
        counts["cases"] = len(case_rows)
        with cur.copy(
            "COPY credit_case (id, process_id, spec_hash, status, outcome, operator_id, "
            "object_id, deciding_bureau, subject, filed_on, started_by, overdue, next_due_on, "
            "state, serializer_version, version, created_at, completed_at) FROM STDIN"
        ) as cp:
            for row in case_rows:
                cp.write_row(row)
        with cur.copy(
            "COPY case_task (id, case_id, engine_task_id, name, title, lane, process_id, "
            "bureau_code, operator_id, form_key, due_on, state, claimed_by, form_data, "
            "created_at, completed_at, completed_by) FROM STDIN"
        ) as cp:
            for row in task_rows:
                cp.write_row(row)
        for table in ("operator", "scoring_object", "credit_case", "case_task"):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
            )
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")  # as autovacuum would have, on a live database
        sizes = dict(
            conn.execute(
                "SELECT bureau_code, count(*) FROM case_task "
                "WHERE state = 'open' AND lane = 'officer' AND bureau_code IN (%s, %s) "
                "GROUP BY bureau_code",
                (CITY, COUNTY),
            ).fetchall()
        )
        overdue_city = conn.execute(
            "SELECT count(*) FROM case_task WHERE state = 'open' AND lane = 'officer' "
            "AND bureau_code = %s AND due_on < %s",
            (CITY, TODAY),
        ).fetchone()[0]
    print(
        f"set-up: {len(codes)} bureaus, {operators:,} operators, {counts['cases']:,} cases, "
        f"{counts['open']:,} open tasks ({counts['overdue']:,} overdue, {counts['claimed']:,} "
        f"claimed) and {counts['done']:,} done; officer queue of {CITY}: {sizes.get(CITY, 0):,} "
        f"open ({overdue_city} overdue), of {COUNTY}: {sizes.get(COUNTY, 0):,}",
        flush=True,
    )
    return tokens


def explain(url: str) -> None:
    """EXPLAIN ANALYZE of the statements the app's query functions send."""
    from sqlalchemy import event, select

    from app.extensions import db
    from app.queries import cases as q
    from app.services.calendar import work_calendar
    from bench.common import migrated_app
    from models import User

    app = migrated_app(url)
    with app.app_context():
        users = {u.username: u for u in db.session.scalars(select(User))}
        kw = {"today": TODAY, "cal": work_calendar()}
        calls = [
            ("officer queue (440100)", lambda: q.queue(users["gz_officer"], **kw)),
            (
                "officer queue ?overdue=true",
                lambda: q.queue(users["gz_officer"], overdue=True, **kw),
            ),
            ("province supervisor queue", lambda: q.queue(users["prov_supervisor"], **kw)),
            (
                "province overdue overview",
                lambda: q.overdue_overview(users["prov_supervisor"], **kw),
            ),
        ]
        captured: list[tuple[str, object]] = []

        def capture(conn, cursor, statement, params, context, executemany):
            captured.append((statement, params))

        for label, call in calls:
            call()  # warm the caches: the captured statement is the steady-state one
            captured.clear()
            event.listen(db.engine, "before_cursor_execute", capture)
            call()
            event.remove(db.engine, "before_cursor_execute", capture)
            statement, params = next(c for c in captured if "case_task" in c[0])
            conn = db.session.connection()
            plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, params).scalars()
            print(f"\nEXPLAIN ANALYZE, {label}:")
            for line in plan:
                print("  " + (line if len(line) <= 160 else line[:150] + " …"))
        db.session.rollback()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--open", type=int, default=100_000, help="open tasks")
    parser.add_argument("--history", type=int, default=100_000, help="completed cases")
    parser.add_argument("--operators", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=500, help="per call measured")
    parser.add_argument("--no-explain", action="store_true")
    args = parser.parse_args()

    tokens = build(URL, args.open, args.history, args.operators)
    calls = [
        ("officer 440100   GET /queue", "gz_officer", "/api/v1/queue", 30),
        (
            "officer 440100   GET /queue?overdue=true",
            "gz_officer",
            "/api/v1/queue?overdue=true",
            30,
        ),
        ("officer 440106   GET /queue", "th_officer", "/api/v1/queue", 30),
        ("supervisor 440100 GET /queue", "gz_supervisor", "/api/v1/queue", None),
        ("supervisor 440000 GET /queue", "prov_supervisor", "/api/v1/queue", None),
        ("supervisor 440100 GET /overdue", "gz_supervisor", "/api/v1/overdue", None),
        ("supervisor 440000 GET /overdue", "prov_supervisor", "/api/v1/overdue", 200),
    ]
    results = []
    with gunicorn(URL) as server:
        c = Client(server.port)
        for label, user, path, _target in calls:
            for _ in range(10):  # both workers warm for this call
                status, doc, _ms = c.call("GET", path, tokens[user])
                assert status == 200, doc
            with CpuMeter(server, URL) as cpu:
                times = []
                for _ in range(args.requests):
                    status, doc, ms = c.call("GET", path, tokens[user])
                    assert status == 200, doc
                    times.append(ms)
            results.append((label, times, doc, cpu))
        c.close()
    print(f"\nHTTP, gunicorn 2 workers, one client, {args.requests} sequential requests each:")
    met = True
    for (label, times, doc, cpu), (*_, target) in zip(results, calls, strict=True):
        p50, p95 = percentile(times, 50), percentile(times, 95)
        verdict = ""
        if target is not None:
            ok = p95 <= target
            met &= ok
            verdict = f"  target p95 <= {target} ms: {'met' if ok else 'NOT met'}"
        size = (
            f"{len(doc)} rows"
            if not doc or "open" not in doc[0]
            else f"{len(doc)} bureaus, {sum(r['open'] for r in doc):,} open, "
            f"{sum(r['overdue'] for r in doc):,} overdue"
        )
        print(
            f"  {label:<42} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  max {max(times):6.1f} ms"
            f"  ({size}){verdict}"
        )
        print(f"  {'':<42} {cpu.report(len(times), 'request')}")
    print(f"\ntargets: {'met' if met else 'NOT met'}")
    if not args.no_explain:
        explain(URL)


if __name__ == "__main__":
    start = time.perf_counter()
    main()
    print(f"\n(whole benchmark {time.perf_counter() - start:.0f} s)")

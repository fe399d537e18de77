"""A scheduler pass over many waiting cases: the deadline part of `flask cases tick`, in-process
on PostgreSQL.

    .venv/bin/python -m bench.tick [--sizes 100000,10000 --due 1000]

For each size, in a fresh database `credit_bench_tick`: one real objection is filed through the
services (a seller of Guangzhou with a delivered notice files it), which gives a genuine
serialized workflow state, spec hash, `accept_objection` task and deadline. That case is then
cloned with COPY into SIZE waiting objection cases: each clone's state has its own task ids
(every UUID in the state rewritten per clone), its task row carries the engine task id of its
own state, and its deadline is due in the past for DUE of them (scattered through the table)
and in the future for the rest. Timed: `app.services.scheduler.fire_due_deadlines` looped until
it returns 0, committing after each batch, as `tick` does; each due case really receives the
`deadline` message and runs its BPMN boundary event (effect `overdue`: case overdue,
supervisors of the bureau and of the province notified). Checked afterwards: exactly DUE
deadlines passed, DUE cases overdue, 2 notifications each.

Also timed, as a probe of the filing path at that size: one more objection filed by another
seller while SIZE objections are open (rolled back).

Target (issue): <= 10 s for 100,000 waiting / 1,000 due, and about the same for 10,000.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import time
from datetime import UTC, datetime, timedelta

import psycopg

from bench.cases_http import BUREAU, EVIDENCE, TODAY, seller_records
from bench.common import BENCH_DB, reference_database

URL = BENCH_DB.rpartition("/")[0] + "/credit_bench_tick"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def template(app) -> dict:
    """Two sellers with delivered notices; the first files a real objection. Returns ids."""
    from sqlalchemy import select, text

    from app.auth import create_user
    from app.clock import Clock
    from app.extensions import db
    from app.services.applications import file_objection
    from app.services.cases import Ctx
    from app.services.imports import import_records
    from app.services.scheduler import tick
    from models import Case

    with app.app_context():
        at = datetime.now(UTC)
        now = Clock(TODAY).now()
        lines = [json.dumps(r, ensure_ascii=False).encode() for r in seller_records(2)]
        report = import_records(lines, today=TODAY, actor="bench", at=at)
        assert report.refused == 0, report.refusals[:3]
        rows = db.session.execute(
            text(
                "SELECT o.id, le.id FROM ledger_entry le "
                "JOIN scoring_object so ON so.id = le.object_id "
                "JOIN operator o ON o.id = so.operator_id "
                "WHERE le.kind = 'DEDUCTION' ORDER BY o.id"
            )
        ).all()
        users = [
            create_user(f"bench_ent_{n}", "enterprise", display_name="x", at=at, operator_id=op)
            for n, (op, _entry) in enumerate(rows)
        ]
        db.session.commit()
        tick(ctx=Ctx("scheduler", TODAY, now), commit=db.session.commit)
        case = file_objection(
            [rows[0][1]], EVIDENCE, ctx=Ctx(users[0].username, TODAY, now, user=users[0])
        )
        db.session.commit()
        assert db.session.scalar(select(Case.status).where(Case.id == case.id)) == "open"
        out = {"case_id": case.id, "probe_user": users[1].id, "probe_entry": rows[1][1]}
        db.session.remove()
        db.engine.dispose()
    return out


def clone(url: str, case_id: int, waiting: int, due: int, seed: int = 3) -> None:
    """`waiting` - 1 clones of the template case (so `waiting` objections wait in all), `due`
    of them with a passed deadline."""
    rng = random.Random(seed)
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT * FROM credit_case WHERE id = %s", (case_id,))
        case = dict(zip([d.name for d in cur.description], cur.fetchone(), strict=True))
        cur.execute("SELECT * FROM case_task WHERE case_id = %s AND state = 'open'", (case_id,))
        task = dict(zip([d.name for d in cur.description], cur.fetchone(), strict=True))
        cur.execute("SELECT * FROM deadline WHERE case_id = %s", (case_id,))
        deadline = dict(zip([d.name for d in cur.description], cur.fetchone(), strict=True))
        assert task["engine_task_id"] in case["state"] and task["name"] == "accept_objection"
        assert len(set(UUID.findall(case["state"]))) > 10
        ids = {}
        for table in ("credit_case", "case_task", "deadline"):
            cur.execute(f"SELECT max(id) FROM {table}")
            ids[table] = cur.fetchone()[0]
        due_clones = set(rng.sample(range(1, waiting), due))
        state = case["state"]
        case_cols = [c for c in case if c != "id"]
        task_cols = [c for c in task if c != "id"]
        deadline_cols = [c for c in deadline if c != "id"]

        def plan(n: int):
            if n in due_clones:
                due_on = TODAY - timedelta(days=rng.randint(1, 10))
            else:
                due_on = TODAY + timedelta(days=rng.randint(0, 25))
            suffix = f"{n:012x}"
            return due_on, due_on - timedelta(days=7), suffix

        plans = [plan(n) for n in range(1, waiting)]
        with cur.copy(f"COPY credit_case (id, {', '.join(case_cols)}) FROM STDIN") as cp:
            for n, (due_on, filed_on, suffix) in enumerate(plans, 1):
                row = dict(case)
                row["state"] = UUID.sub(lambda m, s=suffix: m.group(0)[:24] + s, state)
                row["subject"] = json.dumps(case["subject"], ensure_ascii=False)
                row["filed_on"], row["next_due_on"] = filed_on, due_on
                row["idempotency_key"] = None
                cp.write_row([ids["credit_case"] + n, *(row[c] for c in case_cols)])
        with cur.copy(f"COPY deadline (id, {', '.join(deadline_cols)}) FROM STDIN") as cp:
            for n, (due_on, filed_on, _suffix) in enumerate(plans, 1):
                row = dict(deadline)
                row["case_id"] = ids["credit_case"] + n
                row["start_on"], row["due_on"] = filed_on, due_on
                cp.write_row([ids["deadline"] + n, *(row[c] for c in deadline_cols)])
        with cur.copy(f"COPY case_task (id, {', '.join(task_cols)}) FROM STDIN") as cp:
            for n, (due_on, _filed_on, suffix) in enumerate(plans, 1):
                row = dict(task)
                row["case_id"] = ids["credit_case"] + n
                row["engine_task_id"] = task["engine_task_id"][:24] + suffix
                row["deadline_id"], row["due_on"] = ids["deadline"] + n, due_on
                row["form_data"] = None
                cp.write_row([ids["case_task"] + n, *(row[c] for c in task_cols)])
        for table in ("credit_case", "case_task", "deadline"):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
            )
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")  # as autovacuum would have, on a live database


def measure(app, ids: dict) -> dict:
    from sqlalchemy import event, text

    from app.clock import Clock
    from app.extensions import db
    from app.services.applications import file_objection
    from app.services.cases import Ctx
    from app.services.scheduler import fire_due_deadlines
    from models import User

    with app.app_context():
        statements = [0]

        def count(*_args):
            statements[0] += 1

        event.listen(db.engine, "before_cursor_execute", count)
        ctx = Ctx("scheduler", TODAY, Clock(TODAY).now())
        batches = fired = 0
        start = time.perf_counter()
        cpu = time.process_time()
        while True:
            n = fire_due_deadlines(ctx=ctx)
            db.session.commit()
            batches += 1
            fired += n
            if n == 0:
                break
        elapsed = time.perf_counter() - start
        cpu = time.process_time() - cpu
        event.remove(db.engine, "before_cursor_execute", count)
        check = db.session.execute(
            text(
                "SELECT (SELECT count(*) FROM deadline WHERE state = 'passed'),"
                " (SELECT count(*) FROM credit_case WHERE overdue),"
                " (SELECT count(*) FROM notification WHERE kind = 'overdue'),"
                " (SELECT count(*) FROM case_task WHERE state = 'open'),"
                " (SELECT count(*) FROM case_task WHERE state <> 'open'),"
                " (SELECT count(*) FROM credit_case WHERE process_id = 'objection'"
                "  AND status = 'open')"
            )
        ).one()
        # The probe: one more filing while `size` objections are open.
        user = db.session.get(User, ids["probe_user"])
        probe = time.perf_counter()
        file_objection(
            [ids["probe_entry"]], EVIDENCE, ctx=Ctx(user.username, TODAY, ctx.now, user=user)
        )
        db.session.flush()
        probe = time.perf_counter() - probe
        db.session.rollback()
        db.session.remove()
        db.engine.dispose()
    return {
        "elapsed": elapsed,
        "cpu": cpu,
        "batches": batches,
        "fired": fired,
        "statements": statements[0],
        "passed": check[0],
        "overdue": check[1],
        "notifications": check[2],
        "open_tasks": check[3],
        "closed_tasks": check[4],
        "open_objections": check[5],
        "probe": probe,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100000,10000", help="waiting cases, one run each")
    parser.add_argument("--due", type=int, default=1000)
    args = parser.parse_args()
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        start = time.perf_counter()
        app = reference_database(URL)
        ids = template(app)
        clone(URL, ids["case_id"], size, args.due)
        print(
            f"set-up: {size:,} waiting objection cases ({args.due:,} due) of bureau {BUREAU} "
            f"in {time.perf_counter() - start:.0f} s",
            flush=True,
        )
        r = measure(app, ids)
        results.append((size, r))
        ok = r["passed"] == r["overdue"] == args.due and r["closed_tasks"] == 0
        print(
            f"  fire_due_deadlines until 0: {r['elapsed']:.2f} s ({r['cpu']:.2f} s CPU in this "
            f"process) for {r['fired']:,} deadlines in {r['batches']} batches = "
            f"{r['elapsed'] / max(r['fired'], 1) * 1000:.1f} ms per deadline, "
            f"{r['statements'] / max(r['fired'], 1):.1f} SQL statements per deadline"
        )
        print(
            f"  check: {r['passed']:,} deadlines passed, {r['overdue']:,} cases overdue "
            f"(expected {args.due:,} each: {'ok' if ok else 'WRONG'}), {r['notifications']:,} "
            f"overdue notifications, {r['open_tasks']:,} tasks still open and "
            f"{r['closed_tasks']} closed (expected 0)"
        )
        print(
            f"  probe: filing one more objection with {r['open_objections']:,} objections "
            f"open: {r['probe'] * 1000:.0f} ms",
            flush=True,
        )
    print()
    for size, r in results:
        verdict = "met" if r["elapsed"] <= 10 and r["passed"] == args.due else "NOT met"
        print(
            f"{size:>8,} waiting / {args.due:,} due: {r['elapsed']:6.2f} s  "
            f"(target <= 10 s: {verdict})"
        )
    if len(results) > 1:
        (big, rb), (small, rs) = results[0], results[-1]
        print(f"ratio {big:,} / {small:,}: {rb['elapsed'] / rs['elapsed']:.2f} (flat = 1.0)")


if __name__ == "__main__":
    main()

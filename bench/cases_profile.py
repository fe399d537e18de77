"""Where an objection case's time goes: the three requests of bench.cases_http (file, accept,
resolve) in this one process through Flask's test client on the benchmark's PostgreSQL
database, with the CPU time and the SQL statements of each request counted, and optionally
cProfile. Run by `python -m bench.cases_http --profile [--cases 100]`.

CPU time (time.process_time) is meaningful on a loaded machine; wall time is not."""

from __future__ import annotations

import cProfile
import io
import pstats
import secrets
import time
from collections import Counter, defaultdict
from itertools import pairwise

STEPS = ("file", "accept", "resolve")
PSTATS = "/tmp/cases_profile.pstats"


def profile_cases(url: str, sellers: list[dict], officers: list[str], warmup: int, top: int):
    from sqlalchemy import event

    from app.extensions import db
    from app.factory import create_app
    from bench.cases_http import EVIDENCE, IMPORT_TOKEN, REASONS, TODAY

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "CLOCK_TODAY": TODAY.isoformat(),
            "IMPORT_TOKENS": f"bench:{IMPORT_TOKEN}",
            "SECRET_KEY": secrets.token_hex(32),
        }
    )
    client = app.test_client()
    statements: Counter[str] = Counter()
    cpu: defaultdict[str, float] = defaultdict(float)
    texts: defaultdict[str, Counter[str]] = defaultdict(Counter)
    step = {"now": None}

    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def count(conn, cursor, statement, parameters, context, executemany):
        if step["now"] is not None:
            statements[step["now"]] += 1
            texts[step["now"]][" ".join(statement.split())[:110]] += 1

    def call(name, path, token, body, expect):
        start = time.process_time()
        step["now"] = name
        resp = client.post(path, json=body, headers={"Authorization": f"Bearer {token}"})
        step["now"] = None
        cpu[name] += time.process_time() - start
        if resp.status_code != expect:
            raise AssertionError(f"{name}: HTTP {resp.status_code} {resp.get_data(True)[:300]}")
        return resp.get_json()

    def one_case(seller, officer):
        case = call(
            "file",
            "/api/v1/cases/objection",
            seller["token"],
            {"entry_ids": [seller["entry_id"]], "evidence": EVIDENCE},
            201,
        )
        task = next(t["id"] for t in case["open_tasks"] if t["task"] == "accept_objection")
        doc = call("accept", f"/api/v1/tasks/{task}/complete", officer, {"decision": "accept"}, 200)
        task = next(t["id"] for t in doc["open_tasks"] if t["task"] == "resolve_objection")
        doc = call(
            "resolve",
            f"/api/v1/tasks/{task}/complete",
            officer,
            {"outcome": "revoked", "reasons": REASONS},
            200,
        )
        assert (doc["status"], doc["outcome"]) == ("completed", "revoked"), doc

    for k, seller in enumerate(sellers[:warmup]):
        one_case(seller, officers[k % len(officers)])
    statements.clear()
    cpu.clear()
    texts.clear()
    timed = sellers[warmup:]
    profiler = cProfile.Profile(time.process_time) if top else None  # CPU, not wall
    if profiler:
        profiler.enable()
    # In rounds of 20 cases: on a shared machine the least CPU a round took is the steadiest
    # figure (other work only ever adds to it).
    rounds = []
    for k, seller in enumerate(timed):
        if k % 20 == 0:
            rounds.append(time.process_time())
        one_case(seller, officers[k % len(officers)])
    rounds.append(time.process_time())
    if profiler:
        profiler.disable()

    n = len(timed)
    per_round = [(b - a) * 1000 / min(20, n - 20 * i) for i, (a, b) in enumerate(pairwise(rounds))]
    print(f"\nIn one process, Flask test client, PostgreSQL, {n} cases after {warmup} warm-up:")
    for name in STEPS:
        print(
            f"  {name:<8} CPU {cpu[name] * 1000 / n:6.2f} ms  "
            f"SQL statements {statements[name] / n:5.1f}"
        )
    print(
        f"  a case:  CPU {sum(cpu.values()) * 1000 / n:6.2f} ms  SQL statements "
        f"{sum(statements.values()) / n:5.1f}" + ("  (cProfile on: CPU inflated)" if top else "")
    )
    print(
        f"  CPU a case in rounds of 20: least {min(per_round):.2f} ms, median "
        f"{sorted(per_round)[len(per_round) // 2]:.2f} ms"
    )
    for name in STEPS:
        print(f"\n  statements of {name} (per case):")
        for text, times in texts[name].most_common():
            print(f"    {times / n:4.1f}  {text}")
    if profiler:
        profiler.dump_stats(PSTATS)
        print(f"  cProfile's statistics: {PSTATS}")
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
        print(out.getvalue())
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
        print(out.getvalue())

"""What each page of the province day costs, one request at a time, in this process.

    .venv/bin/python -m bench.pages [--repeat 30 --warmup 3 --reuse --pages dishonesty,...]
    .venv/bin/python -m bench.pages --reuse --profile dishonesty    # cProfile of one page

Set-up (not timed): the province day's database (bench/province_day/seed.py, the default
sizes of `python -m bench.province_day`: 3,000 synthetic operators, 400 late and 1,500 fresh
sellers, 400 objections filed), built in a fresh database beside the benchmark database
(BENCH_DATABASE_URL with the suffix _pages_day; about two minutes). --reuse keeps the database and
the users of an earlier run (bench/out/pages/users.json) instead.

Timed: the pages that the users of bench/province_day/locustfile.py open, through Flask's test
client on that PostgreSQL database (CLOCK_TODAY 2026-11-26 as the other benches), signed in as
those users (the province's supervisor and a city's, an enterprise) or anonymous: after
--warmup requests, --repeat requests of each page. Printed per page:

- CPU ms a request (time.process_time of this process: the Python side of a gunicorn worker),
  the least of the rounds of 10 and the median; on a shared machine the least is the steadiest
  figure, as other work only ever adds to it;
- SQL statements a request;
- PostgreSQL's time: each statement of one request run again under EXPLAIN (ANALYZE,
  TIMING OFF) (its "Execution Time", planning apart; without the per-node clock reads that
  inflate a plan of many loops); the sum over the request and the heaviest statement.
  pg_stat_statements is not assumed.

Then the statements of each page, with their PostgreSQL time, heaviest first (--statements),
and, with --profile PAGE, cProfile of PAGE's requests sorted by cumulative CPU.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import re
import secrets
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from bench.common import BENCH_DB

URL = BENCH_DB + "_pages_day"  # beside the benchmark database: credit_bench_pages_day
ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "pages"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Page:
    name: str
    path: str
    who: str  # "public", "province", "city", "enterprise"
    token: bool = False  # the API, with the user's token instead of the session
    cpu: list[float] = field(default_factory=list)
    statements: int = 0
    requests: int = 0


def pages(data: dict) -> list[Page]:
    word = quote(data["search_words"][0])
    return [
        Page("home", "/", "public"),
        Page("dishonesty", "/public/dishonesty", "public"),
        Page("dishonesty p3", "/public/dishonesty?page=3", "public"),
        Page("search", f"/public/search?q={word}", "public"),
        Page("a-class", "/public/a-class", "public"),
        Page("dashboard (province)", "/supervision/", "province"),
        Page("dashboard (city)", "/supervision/", "city"),
        Page("statistics (province)", "/statistics/", "province"),
        Page("statistics (city)", "/statistics/", "city"),
        Page("overdue API (province)", "/api/v1/overdue", "province", token=True),
        Page("notifications (city)", "/supervision/notifications", "city"),
        Page("portal", "/portal/", "enterprise"),
    ]


def build(url: str) -> dict:
    from bench.province_day import seed

    data, summary = seed.build(url, province=3000, late=400, fresh=1500, prefiled=400)
    print(summary, flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "users.json").write_text(json.dumps(data, ensure_ascii=False))
    return data


def sign_in(client, username: str, password: str) -> None:
    page = client.get("/login")
    token = CSRF.search(page.get_data(as_text=True))
    resp = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token.group(1)},
    )
    assert resp.status_code in (302, 303), (username, resp.status_code)


def server_times(engine, statements: list[tuple[str, object]]) -> list[tuple[float, str]]:
    """(ms, statement) of each statement run again under EXPLAIN ANALYZE, in one read-only
    transaction rolled back afterwards."""
    out = []
    conn = engine.raw_connection()
    try:
        cur = conn.cursor()
        for sql, params in statements:
            if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            cur.execute("EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) " + sql, params)
            plan = cur.fetchone()[0]
            plan = plan[0] if isinstance(plan, list) else json.loads(plan)[0]
            out.append((plan["Execution Time"], sql))
        conn.rollback()
    finally:
        conn.close()
    return sorted(out, key=lambda x: -x[0])


def main() -> None:
    parser = argparse.ArgumentParser(description="CPU, SQL and PostgreSQL time of each page")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--reuse", action="store_true", help="keep the database of a last run")
    parser.add_argument("--url", default=URL)
    parser.add_argument("--pages", default="", help="comma-separated page names (default all)")
    parser.add_argument("--statements", action="store_true", help="list each page's statements")
    parser.add_argument("--profile", default="", help="cProfile this page's requests")
    args = parser.parse_args()

    users = OUT / "users.json"
    data = json.loads(users.read_text()) if args.reuse and users.exists() else build(args.url)

    import logging

    from sqlalchemy import event

    from app.extensions import db
    from app.factory import create_app
    from bench.cases_http import TODAY

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": args.url,
            "CLOCK_TODAY": TODAY.isoformat(),
            "SECRET_KEY": secrets.token_hex(32),
            "SESSION_COOKIE_SECURE": False,
        }
    )
    logging.getLogger("credit.request").setLevel(logging.WARNING)  # one line a request
    with app.app_context():
        engine = db.engine
    clients = {"public": app.test_client()}
    province = next(s for s in data["supervisors"] if s["bureau"] == "440000")
    city = next(s for s in data["supervisors"] if s["bureau"] == "440100")
    tokens = {"province": province["token"], "city": city["token"]}
    for who, username in (
        ("province", province["username"]),
        ("city", city["username"]),
        ("enterprise", data["enterprises"][0]["username"]),
    ):
        clients[who] = app.test_client()
        sign_in(clients[who], username, data["password"])

    chosen = {n.strip() for n in args.pages.split(",") if n.strip()}
    todo = [p for p in pages(data) if not chosen or p.name in chosen or p.name == args.profile]
    recording: dict = {"on": False, "n": 0, "seen": []}

    @event.listens_for(engine, "before_cursor_execute")
    def count(conn, cursor, statement, parameters, context, executemany):
        if recording["on"]:
            recording["n"] += 1
            recording["seen"].append((statement, parameters))

    def get(p: Page):
        headers = {"Authorization": f"Bearer {tokens[p.who]}"} if p.token else {}
        client = clients["public"] if p.token else clients[p.who]
        resp = client.get(p.path, headers=headers)
        assert resp.status_code == 200, (p.name, resp.status_code, resp.get_data(True)[:300])
        return resp

    print(
        f"\nIn one process, Flask test client, PostgreSQL ({args.url.rsplit('/', 1)[1]}), "
        f"{args.repeat} requests a page after {args.warmup} warm-up:"
    )
    print(
        f"  {'page':<24} {'CPU ms least':>12} {'median':>7} {'SQL/req':>8} "
        f"{'PG ms/req':>9} {'heaviest PG ms':>14}"
    )
    details = {}
    for p in todo:
        for _ in range(args.warmup):
            get(p)
        profiler = cProfile.Profile(time.process_time) if p.name == args.profile else None
        rounds: list[float] = []
        if profiler:
            profiler.enable()
        for k in range(0, args.repeat, 10):
            n = min(10, args.repeat - k)
            start = time.process_time()
            for _ in range(n):
                get(p)
            rounds.append((time.process_time() - start) * 1000 / n)
        if profiler:
            profiler.disable()
        recording.update(on=True, n=0, seen=[])
        body = get(p).get_data()
        recording["on"] = False
        timed = server_times(engine, recording["seen"])
        details[p.name] = (timed, recording["seen"], len(body))
        rounds.sort()
        print(
            f"  {p.name:<24} {rounds[0]:12.1f} {rounds[len(rounds) // 2]:7.1f} "
            f"{recording['n']:8d} {sum(t for t, _ in timed):9.1f} "
            f"{(timed[0][0] if timed else 0):14.1f}",
            flush=True,
        )
        if profiler:
            profiled = ""
            for order in ("cumulative", "tottime"):
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(40)
                profiled += out.getvalue()
    if args.statements:
        for name, (timed, seen, size) in details.items():
            print(f"\n  {name}: {len(seen)} statements, {size:,} bytes of answer")
            shapes = Counter(" ".join(s.split())[:150] for s, _ in seen)
            times: defaultdict[str, float] = defaultdict(float)
            for ms, s in timed:
                times[" ".join(s.split())[:150]] += ms
            for text, n in sorted(shapes.items(), key=lambda x: -times[x[0]]):
                print(f"    {times[text]:8.2f} ms  x{n}  {text}")
    if args.profile:
        print(profiled)


if __name__ == "__main__":
    main()

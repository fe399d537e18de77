"""The driver of the province day; see bench/province_day/__init__.py."""

from __future__ import annotations

import argparse
import itertools
import json
import os
import secrets
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench.cases_http import (
    IMPORT_TOKEN,
    ROOT,
    TODAY,
    child_pids,
    cpu_seconds,
    gunicorn,
    machine_busy_seconds,
)
from bench.common import BENCH_DB

from . import seed

URL = BENCH_DB + "_province_day"  # beside the benchmark database, e.g. credit_bench_province_day
OUT = ROOT / "bench" / "out" / "province_day"
BENCH_VENV = ROOT / ".venv-bench"
P95_MS = 200


def bench_venv() -> Path:
    """.venv-bench/bin/locust, made by `scripts/setup-venv bench` when missing."""
    locust = BENCH_VENV / "bin" / "locust"
    if not locust.exists():
        subprocess.run([str(ROOT / "scripts" / "setup-venv"), "bench"], check=True)
    return locust


# ---- CPU by process group ------------------------------------------------------------------


class Groups:
    """CPU seconds of each process group, read from /proc/<pid>/stat (no psutil): gunicorn's
    workers, the PostgreSQL backends connected to the benchmark database (asked for at each
    sample; one that ended between two samples is lost, one that started counts from zero),
    the scheduler processes, locust, and the whole machine."""

    def __init__(self, server_pid: int, schedulers: list[int], url: str) -> None:
        import psycopg

        self.server_pid, self.schedulers = server_pid, schedulers
        self.conn = psycopg.connect(url, autocommit=True)
        self.locust_pid: int | None = None
        self.last: dict[str, dict[int, float]] = {}

    def _pids(self) -> dict[str, list[int]]:
        backends = [
            pid
            for (pid,) in self.conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            )
        ]
        locust = [self.locust_pid, *child_pids(self.locust_pid)] if self.locust_pid else []
        return {
            "gunicorn": child_pids(self.server_pid),
            "postgres": backends,
            "scheduler": self.schedulers,
            "locust": locust,
        }

    def sample(self) -> tuple[float, float, dict[str, dict[int, float]]]:
        cpu = {g: {p: cpu_seconds(p) for p in pids} for g, pids in self._pids().items()}
        return time.perf_counter(), machine_busy_seconds(), cpu

    @staticmethod
    def delta(a, b) -> dict[str, float]:
        """Cores used by each group between samples a and b."""
        wall = b[0] - a[0]
        out = {"machine": (b[1] - a[1]) / wall}
        for g, now in b[2].items():
            before = a[2].get(g, {})
            out[g] = sum(max(0.0, t - before.get(p, 0.0)) for p, t in now.items()) / wall
        # Everything else the machine did meanwhile (other work, this driver, the import's
        # client, PostgreSQL's background processes).
        out["other"] = max(0.0, out["machine"] - sum(v for g, v in out.items() if g != "machine"))
        return out

    def close(self) -> None:
        self.conn.close()


# ---- the processes beside the web server -----------------------------------------------------


def app_env(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "CLOCK_TODAY": TODAY.isoformat(),
        "IMPORT_TOKENS": f"bench:{IMPORT_TOKEN}",
        "SECURE_COOKIES": "0",  # plain http on 127.0.0.1
    }


def start_schedulers(n: int, url: str, interval: float, run_dir: Path) -> list[subprocess.Popen]:
    procs = []
    for k in range(n):
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "bench.province_day.scheduler", "--interval", str(interval)],
                cwd=ROOT,
                env=app_env(url),
                stdout=(run_dir / f"scheduler{k}.jsonl").open("w"),
                stderr=(run_dir / f"scheduler{k}.err").open("w"),
            )
        )
    return procs


def import_chunks(records: int, chunk: int, seed_no: int, url: str) -> list[bytes]:
    """A new synthetic province's records (another seed: new operators and matters) as JSON
    Lines chunks for POST /api/v1/imports."""
    from app.demo import province_bureaus, synthetic_records
    from bench.common import migrated_app

    app = migrated_app(url)
    with app.app_context():
        from app.extensions import db

        lines = [
            json.dumps(pd_refs(r), ensure_ascii=False)
            for r in synthetic_records(
                operators=max(1, records * 2 // 13),
                seed=seed_no,
                today=TODAY,
                bureaus=province_bureaus(),
                matters_per_operator=1,
            )
        ][:records]
        db.engine.dispose()
    # Operators first in the file, so a chunk never names an operator of a later chunk.
    return ["\n".join(lines[i : i + chunk]).encode() for i in range(0, len(lines), chunk)]


def pd_refs(record: dict) -> dict:
    """The generator numbers its spot checks and matters from 1 whatever the seed: a prefix
    keeps the imported ones apart from the province's."""
    if "ref" in record:
        record["ref"] = "PD-" + record["ref"]
    return record


def bulk_import(port: int, chunks: list[bytes], pause: float, results: list) -> None:
    import http.client

    for body in chunks:
        start = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        conn.request(
            "POST",
            "/api/v1/imports",
            body,
            {"Authorization": f"Bearer {IMPORT_TOKEN}", "Content-Type": "application/x-ndjson"},
        )
        resp = conn.getresponse()
        doc = resp.read()
        conn.close()
        try:
            report = json.loads(doc)
        except ValueError:
            report = {"body": doc[:300].decode(errors="replace")}
        results.append((resp.status, time.perf_counter() - start, report))
        time.sleep(pause)


def warm_up(port: int, workers: int) -> None:
    """Each worker has answered a few pages (templates compiled, pool connected) before the
    load, as after a while in production."""
    import http.client

    for _ in range(4 * workers):
        for path in ("/", "/public/search?q=%E5%B9%BF%E4%B8%9C", "/public/a-class", "/login"):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.request("GET", path)
            conn.getresponse().read()
            conn.close()


# ---- one run -------------------------------------------------------------------------------


def run(args, *, schedulers: int, workers: int, label: str) -> dict:
    run_dir = OUT / label
    run_dir.mkdir(parents=True, exist_ok=True)
    data, summary = seed.build(
        URL, province=args.province, late=args.late, fresh=args.fresh, prefiled=args.prefiled
    )
    print(summary, flush=True)
    (run_dir / "users.json").write_text(json.dumps(data, ensure_ascii=False))
    chunks = import_chunks(args.import_records, args.import_chunk, 23, URL)
    locust = bench_venv()
    os.environ["SECURE_COOKIES"] = "0"  # for gunicorn's workers too
    os.environ.setdefault("SECRET_KEY", secrets.token_hex(32))  # the same in every process
    imported: list = []
    with gunicorn(
        URL, workers=workers, threads=args.threads, log=run_dir / "gunicorn.log"
    ) as server:
        warm_up(server.port, workers)
        scheds = start_schedulers(schedulers, URL, args.interval, run_dir)
        groups = Groups(server.pid, [p.pid for p in scheds], URL)
        env = {
            **os.environ,
            "PD_DATA": str(run_dir / "users.json"),
            "PD_OUT": str(run_dir / "steps.json"),
            "PD_STEP_USERS": str(args.users_step),
            "PD_STEP_SECONDS": str(args.step_seconds),
            "PD_STEPS": str(args.steps),
        }
        try:
            proc = subprocess.Popen(
                [
                    str(locust),
                    "-f",
                    str(Path(__file__).with_name("locustfile.py")),
                    "--headless",
                    "--host",
                    f"http://127.0.0.1:{server.port}",
                    "--only-summary",
                    "--loglevel",
                    "WARNING",
                    "--exit-code-on-error",
                    "0",
                ],
                cwd=ROOT,
                env=env,
                stdout=(run_dir / "locust.out").open("w"),
                stderr=subprocess.STDOUT,
            )
            groups.locust_pid = proc.pid
            samples = [groups.sample()]
            importer = threading.Thread(
                target=bulk_import,
                args=(server.port, chunks, args.step_seconds / 2, imported),
                daemon=True,
            )
            started = time.perf_counter()
            importer_started = False
            while proc.poll() is None:
                time.sleep(0.2)
                k = len(samples)
                if not importer_started and time.perf_counter() - started >= args.step_seconds:
                    importer.start()  # from the second step on, beside the load
                    importer_started = True
                if time.perf_counter() - started >= k * args.step_seconds and k <= args.steps:
                    samples.append(groups.sample())
            importer.join(timeout=120) if importer_started else None
        finally:
            if proc.poll() is None:
                proc.terminate()
            for p in scheds:
                p.terminate()
            for p in scheds:
                p.wait(30)
            groups.close()
    steps = json.loads((run_dir / "steps.json").read_text())["steps"]
    cpu = [Groups.delta(a, b) for a, b in itertools.pairwise(samples)]
    passes = []
    for k in range(schedulers):
        for line in (run_dir / f"scheduler{k}.jsonl").read_text().splitlines():
            passes.append({"scheduler": k, **json.loads(line)})
    errors = [(run_dir / f"scheduler{k}.err").read_text() for k in range(schedulers)]
    return {
        "label": label,
        "schedulers": schedulers,
        "workers": workers,
        "threads": args.threads,
        "steps": steps,
        "cpu": cpu,
        "passes": passes,
        "scheduler_errors": [e for e in errors if e.strip()],
        "imported": imported,
        "checks": exactly_once(URL, args.late),
    }


def exactly_once(url: str, late: int) -> dict:
    """Effects counted afterwards: each deadline fired once, each (operator, matter) notified
    once, each overdue case's supervisors told once."""
    import psycopg

    with psycopg.connect(url) as conn:
        one = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "late deadlines passed": one(
                "SELECT count(*) FROM deadline d JOIN credit_case c ON c.id = d.case_id "
                "WHERE d.state = 'passed' AND c.process_id = 'objection'"
            ),
            "late expected": late,
            "due deadlines left running": one(
                "SELECT count(*) FROM deadline WHERE state = 'running' "
                f"AND due_on < '{TODAY.isoformat()}'"
            ),
            "overdue cases": one("SELECT count(*) FROM credit_case WHERE overdue"),
            "deadlines passed": one("SELECT count(*) FROM deadline WHERE state = 'passed'"),
            "overdue effects": one(
                "SELECT count(*) FROM case_event WHERE action = 'effect:overdue'"
            ),
            "duplicate overdue notifications": one(
                "SELECT count(*) FROM (SELECT case_id, bureau_code FROM notification "
                "WHERE kind = 'overdue' GROUP BY 1, 2 HAVING count(*) > 1) x"
            ),
            "notices": one("SELECT count(*) FROM notice"),
            "duplicate notices": one(
                "SELECT count(*) FROM (SELECT operator_id, matter_id FROM notice "
                "GROUP BY 1, 2 HAVING count(*) > 1) x"
            ),
            "duplicate notice cases": one(
                "SELECT count(*) FROM (SELECT operator_id, matter_id FROM credit_case "
                "WHERE process_id = 'deduction_notice' GROUP BY 1, 2 HAVING count(*) > 1) x"
            ),
            "pending notices": one(
                "SELECT count(*) FROM (SELECT DISTINCT so.operator_id, le.matter_id "
                "FROM ledger_entry le JOIN scoring_object so ON so.id = le.object_id "
                "WHERE le.kind = 'DEDUCTION' AND le.matter_id IS NOT NULL AND NOT EXISTS "
                "(SELECT 1 FROM notice n WHERE n.operator_id = so.operator_id "
                "AND n.matter_id = le.matter_id)) x"
            ),
        }


# ---- the report -----------------------------------------------------------------------------


def report(r: dict, step_seconds: float) -> dict:
    print(
        f"\n== {r['label']}: gunicorn {r['workers']} workers"
        + (f" x {r['threads']} threads" if r["threads"] else "")
        + f", {r['schedulers']} scheduler(s), "
        f"PostgreSQL; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    print(
        "step users   req/s    p50 ms   p95 ms  errors conflicts | cores: gunicorn postgres "
        "scheduler locust other machine"
    )
    best = None
    limit_step = None
    for s in r["steps"]:
        cpu = r["cpu"][s["step"]] if s["step"] < len(r["cpu"]) else {}
        rate = s["requests"] / step_seconds
        ok = s["p95"] <= P95_MS and s["failures"] == 0
        if ok and (best is None or rate > best[0]):
            best = (rate, s)
        if not ok and best is not None and limit_step is None:
            limit_step = (s, cpu)  # the first step past the best one that misses the target
        print(
            f"{s['step']:>4} {s['users']:>5} {rate:7.1f} {s['p50']:8.0f} {s['p95']:8.0f} "
            f"{s['failures']:>7} {s['conflicts']:>9} |        "
            + " ".join(
                f"{cpu.get(g, 0):.2f}".rjust(w)
                for g, w in (
                    ("gunicorn", 8),
                    ("postgres", 8),
                    ("scheduler", 9),
                    ("locust", 6),
                    ("other", 5),
                    ("machine", 7),
                )
            )
        )
        if s["failed"]:
            print(f"      failed: {s['failed']}")
        print(
            "      slowest p95: "
            + ", ".join(f"{name} {p95} ms (x{n})" for name, p95, n in s.get("slowest", []))
        )
    if limit_step is None and r["steps"]:  # not reached within the steps: the last one
        last = r["steps"][-1]
        limit_step = (last, r["cpu"][min(last["step"], len(r["cpu"]) - 1)])
    figure = best[0] if best else 0.0
    print(
        f"THE figure: {figure:.1f} requests/s sustained with p95 <= {P95_MS} ms and 0 errors"
        + (f" (step {best[1]['step']}, {best[1]['users']} users)" if best else " (no step met it)")
    )
    limiter = ""
    if limit_step is not None:
        s, cpu = limit_step
        ncpu = os.cpu_count() or 1
        shares = {
            g: cpu.get(g, 0) for g in ("gunicorn", "postgres", "scheduler", "locust", "other")
        }
        top = max(shares, key=shares.get)
        if cpu.get("gunicorn", 0) >= 0.85 * r["workers"]:
            limiter = f"gunicorn's {r['workers']} sync workers are saturated (one core each)"
        elif cpu.get("machine", 0) >= 0.9 * ncpu:
            limiter = f"the machine's {ncpu} cores are all busy; the largest share is {top}"
        else:
            limiter = f"no group saturated; the largest share is {top}"
        print(
            f"what limits it (step {s['step']}, {s['users']} users): {limiter}; cores: "
            + ", ".join(f"{g} {v:.2f}" for g, v in shares.items())
            + f", machine {cpu.get('machine', 0):.2f} of {ncpu}"
        )
    durations = sorted(p["seconds"] for p in r["passes"])
    working = [p for p in r["passes"] if p.get("deadlines") or p.get("notices")]
    if durations:
        print(
            f"scheduler passes: {len(durations)} (by scheduler: "
            + ", ".join(
                str(sum(1 for p in r["passes"] if p["scheduler"] == k))
                for k in range(r["schedulers"])
            )
            + f"), median {durations[len(durations) // 2]:.2f} s, max {durations[-1]:.2f} s; "
            f"{len(working)} did work: deadlines "
            + "/".join(
                str(sum(p.get("deadlines", 0) for p in r["passes"] if p["scheduler"] == k))
                for k in range(r["schedulers"])
            )
            + ", notices "
            + "/".join(
                str(sum(p.get("notices", 0) for p in r["passes"] if p["scheduler"] == k))
                for k in range(r["schedulers"])
            )
            + " (per scheduler); the longest working passes: "
            + ", ".join(
                f"{p['seconds']:.2f} s" for p in sorted(working, key=lambda p: -p["seconds"])[:3]
            )
        )
    for e in r["scheduler_errors"]:
        print("scheduler error:\n" + e[-3000:])
    for status, seconds, rep in r["imported"]:
        keys = ("read", "created", "unchanged", "refused")
        print(
            f"bulk import chunk: HTTP {status} in {seconds:.1f} s "
            + str({k: rep.get(k) for k in keys if k in rep} or rep)
            + (f" first refusals {rep['refusals'][:2]}" if rep.get("refusals") else "")
        )
    log = (OUT / r["label"] / "gunicorn.log").read_text(errors="replace").splitlines()
    fives = [line for line in log if '"status": 5' in line]
    tracebacks = sum(line.startswith("Traceback") for line in log)
    print(
        f"gunicorn log: {len(fives)} answers 5xx, {tracebacks} tracebacks "
        f"(bench/out/province_day/{r['label']}/gunicorn.log)"
    )
    c = r["checks"]
    ok = (
        c["due deadlines left running"] == 0  # each passed, or met by a request first
        and c["duplicate overdue notifications"] == 0
        and c["overdue effects"] == c["deadlines passed"]
        and c["duplicate notices"] == 0
        and c["duplicate notice cases"] == 0
    )
    print(f"exactly once: {'ok' if ok else 'NOT OK'} {c}")
    return {"figure": figure, "limiter": limiter, "exactly_once": ok}


def main() -> None:
    parser = argparse.ArgumentParser(description="Province day under load (issue 16, 3 and 4)")
    parser.add_argument("--users-step", type=int, default=10, help="users added each step")
    parser.add_argument("--step-seconds", type=float, default=30)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="threads per web worker (default: gunicorn.conf.py's)",
    )
    parser.add_argument("--schedulers", type=int, default=1)
    parser.add_argument(
        "--compare",
        action="store_true",
        help="target 4: 1 scheduler + 2 workers, then 2 schedulers + 4 workers",
    )
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between passes")
    parser.add_argument("--province", type=int, default=3000, help="synthetic operators")
    parser.add_argument("--late", type=int, default=400, help="objections overdue at start")
    parser.add_argument("--fresh", type=int, default=1500, help="enterprises that may apply")
    parser.add_argument("--prefiled", type=int, default=400, help="of them, applied already")
    parser.add_argument("--import-records", type=int, default=6000)
    parser.add_argument("--import-chunk", type=int, default=1000)
    args = parser.parse_args()

    started = time.perf_counter()
    configs = (
        [(1, 2, "one-scheduler-two-workers"), (2, 4, "two-schedulers-four-workers")]
        if args.compare
        else [(args.schedulers, args.web_workers, "day")]
    )
    results = []
    for schedulers, workers, label in configs:
        r = run(args, schedulers=schedulers, workers=workers, label=label)
        results.append((r, report(r, args.step_seconds)))
    if len(results) > 1:
        print("\ntarget 4, the same day, one database:")
        for r, out in results:
            print(
                f"  {r['schedulers']} scheduler(s) + {r['workers']} workers: "
                f"{out['figure']:.1f} requests/s at p95 <= {P95_MS} ms; exactly once "
                f"{'ok' if out['exactly_once'] else 'NOT OK'}; {out['limiter']}"
            )
    print(f"\nwall {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()

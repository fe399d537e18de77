"""A province day under load (issue 16, targets 3 and 4), on PostgreSQL with gunicorn.

    .venv/bin/python -m bench.province_day [--users-step 10 --step-seconds 30 --steps 10
                                            --web-workers 2 --schedulers 1]
    .venv/bin/python -m bench.province_day --compare    # target 4

Set-up (not timed, bench/province_day/seed.py), in a fresh database beside the benchmark
database (BENCH_DATABASE_URL with the suffix _province_day; about a minute): a synthetic
province imported through the import service, sellers with a delivered notice who may object
or apply for a repair, some objections filed already (open tasks in the officers' queues)
and some filed three weeks ago whose acceptance deadline has passed; enterprise users,
officers of every city, supervisors of the province and of every city, each with an API
token and one password.

Run: gunicorn (N sync workers, CLOCK_TODAY 2026-11-26 as the other benches), the scheduler(s)
as processes of their own (bench/province_day/scheduler.py: the loop of `flask cases worker`,
each pass timed), a bulk import posted in chunks to POST /api/v1/imports from the second step
on, and locust headless from .venv-bench (`scripts/setup-venv bench`, made when missing) with
the users of bench/province_day/locustfile.py (the mix and its weights are in its docstring)
and a step load: --users-step more users every --step-seconds.

Printed per step: users, requests/s, p50, p95, errors (statuses not expected), conflicts
(expected 403/409 when two officers reach for one task), and the cores used meanwhile by
gunicorn's workers, the PostgreSQL backends of the database, the scheduler(s) and locust
(from /proc/<pid>/stat); then THE figure: the highest request rate of a step with p95 <= 200 ms
and no error, and which group saturates at the first step that misses it. Afterwards each
effect is counted for exactly-once: every overdue deadline passed once, no duplicate overdue
notification, no (operator, matter) notified twice.

--compare (target 4) runs the same day twice on a fresh database each: 1 scheduler + 2 web
workers, then 2 schedulers + 4 web workers, and prints both figures side by side, with the
scheduler passes' durations and the exactly-once check of each.

Output files (users, per-step figures, scheduler lines) go to bench/out/province_day/.
"""

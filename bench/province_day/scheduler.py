"""One scheduler worker of the province day, as a process of its own: the loop of
`flask cases worker` (app/cli_cases.py: `tick`, then the heartbeat, then a pause), on the app
that `wsgi.py` builds from the environment (DATABASE_URL, CLOCK_TODAY), with each pass timed
and printed as one JSON line for the driver.

    python -m bench.province_day.scheduler --interval 2
"""

from __future__ import annotations

import argparse
import json
import sys
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--interval", type=float, default=2.0)
    args = parser.parse_args()

    from app.context import now, today
    from app.extensions import db
    from app.services.cases import Ctx
    from app.services.heartbeat import record_pass, worker_name
    from app.services.scheduler import tick
    from wsgi import app

    with app.app_context():
        name = worker_name()
        while True:
            start = time.perf_counter()
            error = None
            try:
                report = tick(
                    ctx=Ctx(actor="scheduler", today=today(), now=now()), commit=db.session.commit
                )
            except Exception as exc:  # as the worker does: note it, go on with the next pass
                db.session.rollback()
                error, report = repr(exc), None
            record_pass(name, now(), report=report.summary() if report else None, error=error)
            db.session.commit()
            line = {"seconds": round(time.perf_counter() - start, 3), "error": error}
            if report is not None:
                line.update(
                    deadlines=report.deadlines_passed,
                    notices=report.notices_started,
                    rectifications=report.rectifications_started,
                )
            print(json.dumps(line), flush=True)
            if error:
                print(error, file=sys.stderr, flush=True)
            time.sleep(args.interval)


if __name__ == "__main__":
    main()

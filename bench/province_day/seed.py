"""The province-like dataset of the province day, built through the app's own services.

1. A synthetic province (app.demo.synthetic_records, every city and county) imported through
   the import service: producers, sellers, products, spot checks and matters, so the public
   pages, the portal and the statistics have scores and classes to show.
2. "Late" sellers (bench.cases_http.seller_records, spread over the cities), scored on
   2026-11-02 and notified on 2026-11-03; an objection filed between 11-05 and 11-10 by each,
   whose 5-working-day acceptance deadline has passed by TODAY: the scheduler(s) fire them
   during the load.
3. "Fresh" sellers scored on 2026-11-20 and notified before TODAY, so each may file an
   objection or a repair during the load; a part of them have filed already (open tasks in
   the officers' queues).
4. Users: an enterprise per fresh seller, officers per city, supervisors of the province and
   of each city, all with one password and an API token.
Everything is written to `users.json` for the locustfile (which imports nothing of the app).
"""

from __future__ import annotations

import json
import random
import time
from datetime import UTC, date, datetime, timedelta

from bench.cases_http import EVIDENCE, TODAY, seller_records
from bench.common import reference_database

PASSWORD = "bench-2026-day"  # a local benchmark server only
SCORED_LATE, NOTIFIED_LATE = date(2026, 11, 2), date(2026, 11, 3)
SCORED_FRESH = date(2026, 11, 20)


def spread_sellers(n: int, cities: list[str], *, serial: int, scored: date) -> list[dict]:
    """`seller_records(n)` (one A12.3 matter each), moved from 440100 to the cities in turn."""
    from app.demo import make_uscc

    out = []
    records = seller_records(n)
    for i in range(n):
        operator, matter = records[2 * i], records[2 * i + 1]
        city = cities[i % len(cities)]
        uscc = make_uscc(city, serial + i)
        operator.update(uscc=uscc, bureau=city, name=operator["name"].replace("基准", "省日"))
        matter.update(
            ref=f"{matter['ref']}-{serial}",
            bureau=city,
            effective_on=scored.isoformat(),
            objects=[{"kind": "seller", "uscc": uscc}],
        )
        out += [operator, matter]
    return out


def _import(records, *, today: date, at: datetime) -> None:
    from app.extensions import db
    from app.services.imports import import_records

    lines = (json.dumps(r, ensure_ascii=False).encode() for r in records)
    report = import_records(lines, today=today, actor="bench", at=at)
    assert report.refused == 0, report.refusals[:3]
    db.session.commit()


def _notify(on: date) -> int:
    from app.clock import Clock
    from app.extensions import db
    from app.services.cases import Ctx
    from app.services.notices import issue_notices

    ctx = Ctx("scheduler", on, Clock(on).now())
    total = 0
    while n := issue_notices(ctx=ctx, limit=500):
        db.session.commit()
        total += n
    return total


def _deductions(serial_from: int, serial_to: int, cities: list[str]) -> list[tuple[int, str, int]]:
    """(operator id, uscc, deduction entry id) of the sellers of that serial range."""
    from sqlalchemy import text

    from app.demo import make_uscc
    from app.extensions import db

    usccs = [make_uscc(cities[i % len(cities)], serial_from + i) for i in range(serial_to)]
    rows = db.session.execute(
        text(
            "SELECT o.id, o.uscc, le.id FROM ledger_entry le "
            "JOIN scoring_object so ON so.id = le.object_id "
            "JOIN operator o ON o.id = so.operator_id "
            "WHERE le.kind = 'DEDUCTION' AND o.uscc = ANY(:u) ORDER BY o.id"
        ),
        {"u": usccs},
    ).all()
    assert len(rows) == serial_to, (len(rows), serial_to)
    return [tuple(r) for r in rows]


def build(url: str, *, province: int, late: int, fresh: int, prefiled: int, seed: int = 17):
    """Returns (data for the locustfile, summary line)."""
    from sqlalchemy import text

    from app.auth import create_user, issue_token, set_password
    from app.clock import Clock
    from app.demo import province_bureaus, synthetic_records
    from app.extensions import db
    from app.services.applications import file_objection
    from app.services.cases import Ctx
    from models import User

    started = time.perf_counter()
    rng = random.Random(seed)
    app = reference_database(url)
    with app.app_context():
        at = datetime.now(UTC)
        bureaus = province_bureaus()
        cities = sorted(code for code, level, _ in bureaus if level == "city")

        # 2. The late sellers, notified on 11-03, each objecting between 11-05 and 11-10.
        _import(
            spread_sellers(late, cities, serial=600_000, scored=SCORED_LATE),
            today=NOTIFIED_LATE,
            at=at,
        )
        late_rows = _deductions(600_000, late, cities)
        users = []  # before the notices: a seller with a portal account receives at once
        for n, (operator_id, uscc, _entry) in enumerate(late_rows):
            users.append(
                create_user(
                    f"pd_late_{n}", "enterprise", display_name=uscc, at=at, operator_id=operator_id
                )
            )
        db.session.commit()
        _notify(NOTIFIED_LATE)
        for n, (_op, _uscc, entry) in enumerate(late_rows):
            day = date(2026, 11, 5) + timedelta(days=n % 6)
            file_objection(
                [entry], EVIDENCE, ctx=Ctx(users[n].username, day, Clock(day).now(), user=users[n])
            )
        db.session.commit()

        # 1 and 3. The province, then the fresh sellers; their notices before TODAY.
        _import(
            synthetic_records(
                operators=province,
                seed=seed,
                today=TODAY,
                bureaus=bureaus,
                matters_per_operator=1,
            ),
            today=TODAY,
            at=at,
        )
        _import(
            spread_sellers(fresh, cities, serial=700_000, scored=SCORED_FRESH), today=TODAY, at=at
        )
        fresh_rows = _deductions(700_000, fresh, cities)

        # 4. Users and tokens; one password hash for all (scrypt once, not per user).
        template = User(username="-")  # never added to the session
        set_password(template, PASSWORD)
        enterprises = []
        for n, (operator_id, uscc, entry) in enumerate(fresh_rows):
            user = create_user(
                f"pd_ent_{n}", "enterprise", display_name=uscc, at=at, operator_id=operator_id
            )
            enterprises.append(
                {
                    "username": user.username,
                    "uscc": uscc,
                    "entry_id": entry,
                    "token": issue_token(user),
                    "_user": user,
                }
            )
        db.session.commit()
        notices = _notify(SCORED_FRESH + timedelta(days=1))
        officers, supervisors = [], []
        for city in cities:
            for k in range(2):
                user = create_user(
                    f"pd_off_{city}_{k}", "officer", display_name=city, at=at, bureau_code=city
                )
                officers.append(
                    {"username": user.username, "bureau": city, "token": issue_token(user)}
                )
        for code in ["440000", *cities]:
            user = create_user(
                f"pd_sup_{code}", "supervisor", display_name=code, at=at, bureau_code=code
            )
            supervisors.append(
                {"username": user.username, "bureau": code, "token": issue_token(user)}
            )
        db.session.flush()
        db.session.execute(
            text("UPDATE app_user SET password_hash = :h WHERE username LIKE 'pd\\_%'"),
            {"h": template.password_hash},
        )
        db.session.commit()

        # 3. A part of the fresh sellers have objected already (open tasks in the queues).
        now = Clock(TODAY).now()
        for ent in rng.sample(enterprises, prefiled):
            file_objection(
                [ent["entry_id"]], EVIDENCE, ctx=Ctx(ent["username"], TODAY, now, user=ent["_user"])
            )
            ent["filed"] = True
        db.session.commit()
        words = sorted(
            {
                r["name"][2:4]
                for r in synthetic_records(
                    operators=min(province, 200), seed=seed, today=TODAY, bureaus=bureaus
                )
                if r["type"] == "operator"
            }
        )
        counts = db.session.execute(
            text(
                "SELECT (SELECT count(*) FROM operator), (SELECT count(*) FROM ledger_entry),"
                " (SELECT count(*) FROM case_task WHERE state = 'open'),"
                " (SELECT count(*) FROM deadline WHERE state = 'running' AND due_on < :t)"
            ),
            {"t": TODAY},
        ).one()
        db.session.remove()
        db.engine.dispose()
    for ent in enterprises:
        del ent["_user"]
    data = {
        "password": PASSWORD,
        "enterprises": enterprises,
        "officers": officers,
        "supervisors": supervisors,
        "search_words": words or ["广东"],
    }
    summary = (
        f"set-up in {time.perf_counter() - started:.0f} s: {len(bureaus)} bureaus, "
        f"{counts[0]:,} operators, {counts[1]:,} ledger entries, {notices:,} notices; "
        f"{len(enterprises)} enterprises ({prefiled} objected already), {len(officers)} "
        f"officers, {len(supervisors)} supervisors; {counts[2]:,} open tasks, {counts[3]:,} "
        f"deadlines already passed for the scheduler(s) to fire"
    )
    with psycopg_connect(url) as conn:
        conn.execute("VACUUM ANALYZE")  # as autovacuum would have, on a live database
    return data, summary


def psycopg_connect(url: str):
    import psycopg

    return psycopg.connect(url, autocommit=True)

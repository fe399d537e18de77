"""Security and reliability (issue 12), through the services on the real database: a bureau
tree that cannot loop, import lines that cannot take a worker down."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

from sqlalchemy import update

from app.extensions import db
from app.services.imports import import_records
from models import Bureau, Operator
from tests.helpers import jsonl, operator

AT = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
TODAY = date(2026, 11, 26)


def run(lines: bytes):
    report = import_records(lines.splitlines(keepends=True), today=TODAY, actor="test", at=AT)
    db.session.commit()
    return report


def finishes(app, work, seconds: float = 10):
    """`work()`'s result (in its own app context), failing the test instead of hanging it if
    it never returns."""
    out: list = []

    def target():
        with app.app_context():
            out.append(work())

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "walked forever"
    return out[0]


# -- point 1: the bureau tree cannot loop ---------------------------------------------------


def test_bureau_that_is_its_own_parent_is_refused_by_the_import(seeded, db_session):
    report = run(jsonl([{"type": "bureau", "code": "440100", "name": "x", "parent": "440100"}]))
    assert (report.updated, report.refused) == (0, 1)
    assert report.refusals[0].reason == (
        "parent: the bureau 440100 cannot be placed below itself (under 440100)"
    )
    assert db.session.get(Bureau, "440100").parent_code == "440000"


def test_bureau_placed_below_its_own_descendant_is_refused_by_the_import(seeded, db_session):
    # The province under one of its cities; then, in one file, a new city and the province
    # moved below it: each closes a loop, the first through the database, the second through
    # an earlier line of the same file.
    lines = [
        {"type": "bureau", "code": "440000", "name": "广东省", "parent": "440100"},
        {"type": "bureau", "code": "449900", "name": "测试市", "parent": "440000"},
        {"type": "bureau", "code": "440000", "name": "广东省", "parent": "449900"},
        # a move that closes no loop still passes
        {"type": "bureau", "code": "440103", "name": "荔湾区（划转）", "parent": "440300"},
    ]
    report = run(jsonl(lines))
    assert [r.line for r in report.refusals] == [1, 3]
    assert all("cannot be placed below itself" in r.reason for r in report.refusals)
    assert (report.created, report.updated) == (1, 1)
    assert db.session.get(Bureau, "440000").parent_code is None


def test_bureau_cycle_written_by_hand_stops_every_walk_of_the_tree(seeded, db_session):
    """Rows edited outside the app: 440100 its own parent, 440300 and 440304 each other's.
    Every walk up or down the tree ends and keeps what it can reach."""
    from app.permissions import bureau_ancestors, bureau_tree_codes
    from app.queries.disclosure import city_names
    from app.queries.statistics import _cities
    from app.services.bureaus import tree

    db.session.execute(
        update(Bureau).where(Bureau.code == "440100").values(parent_code="440100", level="county")
    )
    db.session.execute(
        update(Bureau).where(Bureau.code == "440300").values(parent_code="440304", level="county")
    )
    db.session.commit()

    assert finishes(seeded, lambda: bureau_ancestors("440103")) == ["440103", "440100"]
    assert finishes(seeded, lambda: bureau_ancestors("440300")) == ["440300", "440304"]
    assert "440103" in finishes(seeded, lambda: bureau_tree_codes("440100"))
    assert finishes(seeded, lambda: bureau_tree_codes("440304")) >= {"440300", "440304", "440305"}
    assert finishes(seeded, city_names)["440103"][0] == "440100"
    assert finishes(seeded, _cities)["440200"][0] == "440200"
    codes = [r["code"] for r in finishes(seeded, tree)]
    assert len(codes) == len(set(codes)) and "440200" in codes


# -- point 7: a deeply nested line --------------------------------------------------------------


def test_deeply_nested_json_line_is_refused_and_the_rest_imported(seeded, db_session):
    lines = jsonl([operator(1)]) + b"[" * 50_000 + b"\n" + jsonl([operator(2)])
    report = run(lines)
    assert (report.read, report.created, report.refused) == (3, 2, 1)
    assert report.refusals[0].line == 2
    assert "nested too deeply" in report.refusals[0].reason
    assert db.session.query(Operator).count() == 2

"""The command-line contract of `flask credit …`, run in-process against the test database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import jsonl, matter, operator, product, spot_check, uscc

ROOT = Path(__file__).resolve().parents[2]
P1, S1 = uscc(1), uscc(2, "440100")


@pytest.fixture
def cli(seeded):
    runner = seeded.test_cli_runner()

    def invoke(*args):
        return runner.invoke(args=["credit", *args], catch_exceptions=False)

    return invoke


@pytest.fixture
def records(tmp_path) -> Path:
    path = tmp_path / "records.jsonl"
    path.write_bytes(
        jsonl(
            [
                operator(1),
                operator(2, bureau="440100"),
                product(P1),
                spot_check("GD-CC-2025-00017", P1),
                matter(
                    "粤深市监罚〔2025〕123号",
                    [{"kind": "seller", "uscc": S1}],
                    items=["A12.3"],
                    bureau="440100",
                ),
            ]
        )
    )
    return path


def test_import_exit_zero_when_all_imported_or_unchanged(cli, records):
    first = cli("import", str(records))
    assert first.exit_code == 0, first.output
    assert "created 5" in first.output
    again = cli("import", str(records))
    assert again.exit_code == 0
    assert "unchanged 5" in again.output


def test_import_exit_one_and_report_when_a_record_is_refused(cli, records, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(records.read_bytes() + jsonl([{**operator(3), "uscc": "123"}]))
    result = cli("import", str(bad))
    assert result.exit_code == 1
    assert "refused 1" in result.output
    assert "line 6: uscc: invalid Unified Social Credit Code '123'" in result.output


def test_score_json_follows_interchange_section_2(cli, records):
    cli("import", str(records))
    result = cli(
        "score", P1, "--brand", "某牌", "--nice-class", "9", "--as-of", "2026-11-26", "--json"
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["score"] == "9.00" and doc["class"] == "B"
    assert doc["object"]["kind"] == "product" and doc["object"]["brand"] == "某牌"
    deduction = doc["entries"][1]
    assert isinstance(deduction.pop("entry_id"), int)
    assert deduction == {
        "kind": "DEDUCTION",
        "points": "-3.00",
        "effective_on": "2025-04-10",
        "expires_on": "2028-04-10",
        "matter": "GD-CC-2025-00017",
        "item": "A11.1",
        "via": "product 某牌/9",
        "note": None,
    }
    assert sum(float(e["points"]) for e in doc["entries"]) == 9.0


def test_score_of_operator_and_bad_arguments(cli, records):
    cli("import", str(records))
    ok = cli("score", S1, "--as-of", "2026-11-26")
    assert ok.exit_code == 0 and "score 8.00, class B" in ok.output
    unknown = cli("score", uscc(99))
    assert unknown.exit_code != 0 and "no operator with credit code" in unknown.output
    bad_date = cli("score", S1, "--as-of", "2026-02-30")
    assert bad_date.exit_code != 0 and "is not a date" in bad_date.output
    future = cli("score", S1, "--as-of", "2027-01-01")
    assert future.exit_code != 0 and "in the future" in future.output


def test_classify_prints_report_and_is_idempotent(cli, records):
    cli("import", str(records))
    first = cli("classify", "--as-of", "2026-07-01")
    assert first.exit_code == 0, first.output
    assert "per class: A 0, B 3, C 0, D 0, O 0" in first.output
    again = cli("classify", "--as-of", "2026-07-01")
    assert "results that differ from the stored run of this date: 0" in again.output
    earlier = cli("classify", "--as-of", "2026-01-01")
    assert earlier.exit_code != 0 and "runs before it cannot be added" in earlier.output


def test_table_load_publishes_a_version_and_refuses_conflicts(cli, tmp_path):
    default = ROOT / "data/scoring_tables/GD-2021-default.yaml"
    same = cli("table", "load", str(default))
    assert same.exit_code == 0 and "already published, unchanged" in same.output
    # Format version 2 (R-VALIDITY, rules §11): the regulation, the last day, the items the
    # province records.
    assert "regulation: 广东省市场监督管理局产品质量信用分类监管规范 (粤市监规字〔2021〕5号)" in (
        same.output
    )
    assert "applies until: 2026-06-04 (Art. 36)" in same.output
    assert "recorded by the provincial bureau (Art. 19): A11.1, A12.2, A12.4" in same.output
    newer = tmp_path / "gd-2027.yaml"
    newer.write_text(
        default.read_text("utf-8")
        .replace('"GD-2021-default"', '"GD-2027"')
        .replace("applies_from: 2021-06-05", "applies_from: 2027-01-01")
        .replace("applies_until: 2026-06-04\n", "")
        .replace("default: true", "default: false"),
        "utf-8",
    )
    published = cli("table", "load", str(newer))
    assert (
        published.exit_code == 0
        and "GD-2027, applies from 2027-01-01: published" in published.output
    )
    assert "applies until: a later version applies (open-ended)" in published.output
    clash = tmp_path / "clash.yaml"
    clash.write_text(newer.read_text("utf-8").replace("points: 3,", "points: 4,", 1), "utf-8")
    refused = cli("table", "load", str(clash))
    assert refused.exit_code != 0 and "already published with other content" in refused.output
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: x\napplies_from: 2028-01-01\nitems: []\n", "utf-8")
    result = cli("table", "load", str(broken))
    assert result.exit_code != 0 and "items must be a non-empty list" in result.output


def test_r_cal_calendar_load_and_status(cli, tmp_path):
    status = cli("calendar", "status")
    assert "2027: no data" in status.output and "warning:" in status.output
    schedule = (ROOT / "data/holidays/2026.yaml").read_text("utf-8")
    y2027 = tmp_path / "2027.yaml"
    y2027.write_text(
        "year: 2027\nsource: 国务院办公厅关于2027年部分节假日安排的通知（测试）\n"
        "holidays:\n  - {name: 元旦, from: 2027-01-01, to: 2027-01-01}\nworkdays: []\n",
        "utf-8",
    )
    loaded = cli("calendar", "load", str(y2027))
    assert loaded.exit_code == 0, loaded.output
    status = cli("calendar", "status")
    assert "2027: loaded schedule" in status.output and "warning" not in status.output
    again = cli("calendar", "load", str(y2027))
    assert "already loaded, unchanged" in again.output
    assert "year: 2026" in schedule
    bad = tmp_path / "bad.yaml"
    bad.write_text("year: 2027\nsource: x\nholidays: []\nworkdays: []\n", "utf-8")
    refused = cli("calendar", "load", str(bad))
    assert refused.exit_code != 0 and "holiday schedule refused" in refused.output


def test_r_halfyear_classify_defaults_to_the_latest_scheduled_date(cli, records):
    cli("import", str(records))
    result = cli("classify")  # today is 2026-11-26 in the tests: the 2026-07-01 run
    assert result.exit_code == 0, result.output
    assert "Classification run of 2026-07-01" in result.output


def test_r_halfyear_classify_refuses_an_unscheduled_date_without_off_cycle(cli, records, seeded):
    from app.extensions import db
    from models import ClassificationRun

    cli("import", str(records))
    refused = cli("classify", "--as-of", "2025-03-15")
    assert refused.exit_code != 0
    assert "error: 2025-03-15 is not a scheduled classification date" in refused.output
    assert "off-cycle run with its reason (R-HALFYEAR, Art. 26)" in refused.output
    no_reason = cli("classify", "--as-of", "2025-03-15", "--off-cycle")
    assert no_reason.exit_code != 0 and "needs a reason" in no_reason.output
    blank = cli("classify", "--as-of", "2025-03-15", "--off-cycle", "--reason", " ")
    assert blank.exit_code != 0 and "needs a reason" in blank.output
    with seeded.app_context():
        assert db.session.query(ClassificationRun).count() == 0


def test_r_halfyear_classify_off_cycle_with_a_reason_is_recorded_and_reported(cli, records, seeded):
    from app.extensions import db
    from models import AuditEvent, ClassificationRun

    cli("import", str(records))
    done = cli("classify", "--as-of", "2026-11-26", "--off-cycle", "--reason", "更正后重新评定")
    assert done.exit_code == 0, done.output
    assert "Classification run of 2026-11-26" in done.output
    assert "off-cycle run (R-HALFYEAR), reason: 更正后重新评定" in done.output
    with seeded.app_context():
        run = db.session.query(ClassificationRun).one()
        assert (run.off_cycle, run.reason) == (True, "更正后重新评定")
        event = db.session.query(AuditEvent).filter_by(action="classification.run").one()
        assert event.detail["off_cycle"] is True
    scheduled = cli("classify", "--as-of", "2026-07-01")
    assert scheduled.exit_code != 0 and "runs before it cannot be added" in scheduled.output


def test_latest_scheduled_date_reads_the_configured_days():
    from datetime import date

    from app.services.classification import latest_scheduled_date

    assert latest_scheduled_date(date(2026, 11, 26), "01-01,07-01") == date(2026, 7, 1)
    assert latest_scheduled_date(date(2026, 6, 30), "01-01,07-01") == date(2026, 1, 1)
    assert latest_scheduled_date(date(2026, 3, 1), "04-01,10-01") == date(2025, 10, 1)
    with pytest.raises(ValueError, match="CLASSIFICATION_DAYS"):
        latest_scheduled_date(date(2026, 3, 1), "13-01")


def test_r_scope_import_prints_unknown_categories_to_review_and_exits_zero(cli, records, tmp_path):
    unknown = tmp_path / "unknown.jsonl"
    unknown.write_bytes(
        records.read_bytes() + jsonl([product(P1, brand="新牌", category="无人机")])
    )
    result = cli("import", str(unknown))
    assert result.exit_code == 0, result.output  # accepted: reviewed, not refused
    assert "created 6" in result.output and "refused 0" in result.output
    assert "to review 1 (accepted):" in result.output
    assert "line 6: category 无人机 is not in the scope catalogue" in result.output
    as_json = cli("import", str(unknown), "--json")
    doc = json.loads(as_json.output[as_json.output.index("{") :])  # after the progress bar
    assert doc["unchanged"] == 6  # a second import lists it again: the category is unchanged
    assert [r["category"] for r in doc["review"]] == ["无人机"]

"""The progress of a classification run asked for on the admin page (R-HALFYEAR): while the
worker does the run, the page's endpoint reports the objects classified so far, batch by
batch, and the runs page draws it as a progress bar; the figures go once the run is done."""

from __future__ import annotations

import json
import re

import pytest

from .test_web_admin import admin, province, worker_pass  # noqa: F401  (fixture)


@pytest.fixture
def progress_dir(province, tmp_path):  # noqa: F811
    folder = tmp_path / "progress"
    province.config["PROGRESS_DIR"] = str(folder)
    return folder


def figures(b, request_id: str) -> dict:
    page = b.get(f"/admin/runs/progress?id={request_id}")
    assert page.status == 200
    (found,) = json.loads(page.text)["requests"]
    return found


def test_r_halfyear_a_queued_run_reports_its_progress_batch_by_batch(
    live_server,
    province,  # noqa: F811
    progress_dir,
    clock,
    monkeypatch,
):
    from app.services import classification, progress

    b = admin(live_server)
    queued = b.post("/admin/runs", {"run_on": "2026-07-01", "confirm": "1"})
    request_id = re.search(r'data-progress-for="(\d+)"', queued.text).group(1)
    # Not started yet: an indeterminate bar (no value) and why it waits.
    assert '<progress max="1">' in queued.text
    assert "排队中，等待后台任务执行" in queued.text
    assert 'data-progress-url="/admin/runs/progress"' in queued.text
    assert figures(b, request_id) == {
        "id": int(request_id),
        "state": "queued",
        "done": None,
        "total": None,
        "text": "排队中，等待后台任务执行",
    }

    # One operator per batch, and what the page would read after each batch is written.
    monkeypatch.setattr(classification, "OPERATORS_PER_BATCH", 1)
    seen: list[tuple[int, int, str]] = []
    pages: list[str] = []
    write = progress.write

    def observed(kind, key, done, total):
        write(kind, key, done, total)
        now = figures(b, request_id)
        seen.append((now["done"], now["total"], now["text"]))
        pages.append(b.get("/admin/runs").text)

    monkeypatch.setattr(progress, "write", observed)
    assert worker_pass(province, clock).classification_runs == 1
    # Three operators: a producer and its product, a seller, a producer and its product.
    assert seen == [
        (0, 5, "已处理 0 / 5 个记分对象"),
        (2, 5, "已处理 2 / 5 个记分对象"),
        (3, 5, "已处理 3 / 5 个记分对象"),
        (5, 5, "已处理 5 / 5 个记分对象"),
    ]
    assert '<progress max="5" value="2">' in pages[1]
    assert "已处理 2 / 5 个记分对象" in pages[1]

    # Done: no bar, no leftover figures; the page lists the run.
    assert list(progress_dir.iterdir()) == []
    assert figures(b, request_id)["state"] == "done"
    listing = b.get("/admin/runs")
    assert "data-progress-for" not in listing.text and 'data-run="2026-07-01"' in listing.text


def test_the_progress_endpoint_answers_only_for_requests_it_knows(
    live_server,
    province,  # noqa: F811
    progress_dir,
):
    b = admin(live_server)
    assert json.loads(b.get("/admin/runs/progress?id=999").text) == {"requests": []}
    assert json.loads(b.get("/admin/runs/progress?id=x").text) == {"requests": []}


def test_english_page_says_the_progress_in_english(
    live_server,
    province,  # noqa: F811
    progress_dir,
):
    from app.services import progress

    b = admin(live_server)
    queued = b.post("/admin/runs", {"run_on": "2026-07-01", "confirm": "1"})
    request_id = re.search(r'data-progress-for="(\d+)"', queued.text).group(1)
    with province.app_context():
        progress.write("classification", request_id, 12000, 50000)
    b.get("/lang/en?next=/admin/runs")
    page = b.get("/admin/runs")
    assert '<progress max="50000" value="12000">' in page.text
    assert "12,000 of 50,000 scoring objects processed" in page.text

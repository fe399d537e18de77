"""Issue 15, part 1: every page of every role reads in one language. The demo province (cases in
every state, notices, runs, measures, a plan) is walked from each role's menu through every
link, in Chinese and in English: an English page shows no Chinese text and a Chinese page no
code, apart from what the database holds (names, references, the regulation's texts)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from .pages import build_demo, database_texts, known_codes, leaks, links, signed_in

# Who reads: the public, and the demo's accounts of each role (the city's staff are named after
# the demo city: "<city>_officer").
USERS = [
    None,
    "admin",
    "gd_supervisor",
    "city_officer",
    "city_supervisor",
    "enterprise1",
    "enterprise2",
    "enterprise3",
    "enterprise4",
]
PER_KIND = 3  # pages of the same kind (path with its numbers taken out) read per walk
MAX_PAGES = 90
SKIP = ("/lang/", "/api/", "/static/", "/logout")
DOWNLOADS = (".pdf", ".csv", ".xlsx", ".json")


@pytest.fixture(scope="module")
def demo(database_template, tmp_path_factory):
    """The README's demo (`flask credit demo --operators 300`) on a copy of the schema."""
    app, city = build_demo(database_template, tmp_path_factory)
    from app.extensions import db

    with app.app_context():
        data = database_texts(db.engine)
    known = known_codes()
    yield app, data, known, city
    with app.app_context():
        db.engine.dispose()


def walk(client, start: str = "/"):
    """(path, status, html) of each page reachable by links from `start`."""
    todo, seen, kinds = [start], set(), {}
    while todo and len(seen) < MAX_PAGES:
        path = todo.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path)
        if response.status_code in (301, 302, 303) or "text/html" not in response.content_type:
            continue
        html = response.get_data(as_text=True)
        yield path, response.status_code, html
        for href in links(html):
            url = urlsplit(href)
            if url.netloc or not url.path.startswith("/") or url.path.startswith(SKIP):
                continue
            if url.path.endswith(DOWNLOADS):
                continue
            kind = re.sub(r"\d+", "N", url.path)
            if href in seen or href in todo or kinds.get(kind, 0) >= PER_KIND:
                continue
            kinds[kind] = kinds.get(kind, 0) + 1
            todo.append(href)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("username", USERS, ids=lambda u: u or "public")
def test_every_page_of_each_role_reads_in_one_language(demo, username, lang):
    app, data, codes, city = demo
    if username and username.startswith("city_"):
        username = username.replace("city", city, 1)
    client = signed_in(app, username, lang)
    found, read = {}, []
    for path, status, html in walk(client):
        assert status == 200, (path, status)
        read.append(path)
        bad = leaks(html, lang, data, codes)
        if bad:
            found[path] = bad[:5]
    assert found == {}
    # The walk reached the pages of the role (not only the public ones).
    assert len(read) >= (5 if username is None else 10), read


def test_the_check_finds_chinese_on_english_pages_and_codes_on_chinese_pages(demo):
    """The check itself: it would fail on the texts issue 15 found."""
    _app, data, codes, _city = demo
    english = "<p>Your rights: 如对记分有异议</p><p lang='zh-CN'>中文</p>"
    assert leaks(english, "en", data, codes) == ["Your rights: 如对记分有异议"]
    chinese = (
        "<li>案件 278（deduction_notice）已超过法定期限</li><li>decision：accept</li>"
        "<td>accept</td><small>合并计分 R-180</small><small>rectified_confirmed：True</small>"
        "<pre>intentional_points: 6</pre><p>审查是否受理</p>"
    )
    assert leaks(chinese, "zh", data, codes) == [
        "案件 278（deduction_notice）已超过法定期限",
        "decision：accept",
        "accept",
        "合并计分 R-180",
        "rectified_confirmed：True",
    ]

"""Reading pages as a person does: the text shown (attributes people read included), in the
page's language, apart from what the database holds (names, references, the regulation's own
texts), which stays in the language it was written in."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

# Chinese characters (ideographs) on an English page.
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
# What a code looks like on a Chinese page: snake_case identifiers (deduction_notice,
# rectified_confirmed), a rule id standing for its title, Python's True/False/None.
SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
RULE_ID = re.compile(r"\bR-[0-9A-Z]+(?:-[0-9A-Z]+)*\b")
PY_VALUES = re.compile(r"\b(?:True|False|None)\b")
VOID = {"input", "br", "img", "meta", "link", "hr", "source", "col", "area", "base", "wbr"}
# Elements whose content is a document kept as it was written (a table's YAML, a form's input).
RAW = {"script", "style", "textarea", "pre", "code"}


class PageText(HTMLParser):
    """The texts of a page a reader sees in its language: text nodes and the title,
    aria-label, placeholder and alt attributes; not script, documents (pre, code, textarea),
    hidden decoration (aria-hidden) or what is marked as another language (lang="…")."""

    def __init__(self, lang: str):
        super().__init__(convert_charrefs=True)
        self.lang = lang
        self.parts: list[str] = []
        self.links: list[str] = []
        self._stack: list[tuple[str, bool]] = []

    def _skipping(self) -> bool:
        return any(skip for _, skip in self._stack)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        other = bool(a.get("lang")) and not a["lang"].startswith(self.lang)
        skip = tag in RAW or other or a.get("aria-hidden") == "true"
        if not skip and not self._skipping():
            for name in ("title", "aria-label", "placeholder", "alt"):
                if a.get(name):
                    self.parts.append(a[name])
            if (
                tag in ("input", "button")
                and a.get("type") in ("submit", "button")
                and a.get("value")
            ):
                self.parts.append(a["value"])
        if tag not in VOID:
            self._stack.append((tag, skip))

    def handle_endtag(self, tag):
        for i in range(len(self._stack) - 1, -1, -1):
            if self._stack[i][0] == tag:
                del self._stack[i:]
                return

    def handle_data(self, data):
        if data.strip() and not self._skipping():
            self.parts.append(data.strip())


def _empty(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        tables = conn.execute(
            text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'alembic_version'"
            )
        ).scalars()
        quoted = ", ".join(f'"{t}"' for t in tables)
        conn.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
    engine.dispose()


# The demo built once per run and template database (on SQLite): (file, demo city code).
_demos: dict[tuple[str, int], tuple[str, str]] = {}


def build_demo(database_template: str, tmp_path_factory, operators: int = 300):
    """(app, demo city code): the README's demo (`flask credit demo`) on a copy of the schema,
    for the Flask test client (CSRF off), on 2026-11-26. On SQLite the demo is built once per
    run and each caller gets its own copy of that database file."""
    import shutil

    if not database_template.startswith("sqlite:///"):
        # PostgreSQL: the test database, emptied first (the next test empties it again)
        _empty(database_template)
        return _run_demo(database_template, operators)
    key = (database_template, operators)
    if key not in _demos:
        path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
        shutil.copyfile(database_template.removeprefix("sqlite:///"), path)
        app, city = _run_demo(f"sqlite:///{path}", operators)
        _dispose(app)
        _demos[key] = (str(path), city)
    built, city = _demos[key]
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    shutil.copyfile(built, path)
    return _demo_app(f"sqlite:///{path}"), city


def _demo_app(url: str):
    from datetime import date

    from app.clock import Clock
    from app.factory import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "TESTING": True,
            "CLOCK": Clock(today=date(2026, 11, 26)),
            "SESSION_COOKIE_SECURE": False,
            "REMEMBER_COOKIE_SECURE": False,
            "WTF_CSRF_ENABLED": False,
        }
    )


def _run_demo(url: str, operators: int):
    from sqlalchemy import select

    from app.extensions import db
    from models import User

    app = _demo_app(url)
    result = app.test_cli_runner().invoke(args=["credit", "demo", "--operators", str(operators)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        city = db.session.scalar(
            select(User.username).where(User.role == "officer", User.username != "gd_officer")
        ).removesuffix("_officer")
    return app, city


def _dispose(app) -> None:
    from app.extensions import db

    with app.app_context():
        db.engine.dispose()


def signed_in(app, username: str | None, lang: str = "zh"):
    """A test client signed in as a demo user (password demo-2026), reading in `lang`."""
    client = app.test_client()
    if username:
        answer = client.post("/login", data={"username": username, "password": "demo-2026"})
        assert answer.status_code == 302, username
    client.get(f"/lang/{lang}")
    return client


def database_texts(engine) -> re.Pattern:
    """Every text the database holds (JSON documents walked), as one pattern that finds them;
    bureau names also as the short city names the charts use (广州市)."""
    from sqlalchemy import inspect, text

    found: set[str] = set()

    def walk(value, every: bool = False):
        if isinstance(value, str):
            if value.strip() and (every or CJK.search(value)):
                found.add(value.strip())
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(k)
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    # Texts the application writes itself are not data: they must be in the reader's language.
    own = {"notification", "audit_event", "case_event", "alembic_version", "login_attempt"}
    # Tables of names and references only (no codes): each of their texts is data.
    named = {"app_user", "operator", "bureau", "api_token"}
    with engine.connect() as conn:
        for table in inspect(engine).get_table_names():
            if table in own:
                continue
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                for value in row:
                    if table in named:
                        walk(value, every=True)
                        continue
                    if isinstance(value, str) and value[:1] in "[{":
                        try:
                            walk(json.loads(value))
                            continue
                        except ValueError:
                            pass
                    walk(value)
    for name in list(found):
        if name.endswith("市场监督管理局"):
            short = name.removesuffix("市场监督管理局")
            found.add(short)
            if "市" in short[:-1]:
                found.add(short.split("市", 1)[1])  # a county under its city: 荔湾区
    texts = sorted(found, key=len)
    return re.compile("|".join(re.escape(t) for t in reversed(texts)))


def known_codes() -> set[str]:
    """Every code of app/codes.py that a page must show by its title, never alone."""
    from app import codes

    return {
        str(c)
        for enum in (
            codes.Role,
            codes.Process,
            codes.CaseStatus,
            codes.Outcome,
            codes.TaskKey,
            codes.Decision,
            codes.DeadlineName,
            codes.Channel,
        )
        for c in enum
    }


def leaks(html: str, lang: str, data: re.Pattern, codes: set[str]) -> list[str]:
    """The texts of a page in the other language: Chinese on an English page, codes on a
    Chinese page (snake_case, rule ids, True/False/None, or a code of app/codes.py shown
    alone)."""
    page = PageText(lang)
    page.feed(html)
    out = []
    for part in page.parts:
        rest = data.sub(" ", part)
        if lang == "en":
            if CJK.search(rest):
                out.append(part)
        else:
            words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_-]*", rest))
            if (
                SNAKE.search(rest)
                or RULE_ID.search(rest)
                or PY_VALUES.search(rest)
                or rest.strip() in codes
                or any(w in codes for w in words)
            ):
                out.append(part)
    return out


def links(html: str) -> list[str]:
    page = PageText("zh")
    page.feed(html)
    return page.links

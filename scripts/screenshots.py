"""Screenshots of the main pages for the README: a demo province on a scratch SQLite database,
served on loopback, visited by each demo login in Debian's chromium (Playwright). Chinese text
needs a CJK font on the machine (Debian: fonts-noto-cjk).

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--operators 200]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TODAY = date(2026, 11, 26)
FULL_PAGE = {"inbox-case", "portal-object"}
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def build(url: str, operators: int):
    from flask_migrate import upgrade

    from app.clock import Clock
    from app.context import now
    from app.demo import build_demo
    from app.extensions import db
    from app.factory import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "CLOCK": Clock(today=TODAY),
            "SESSION_COOKIE_SECURE": False,
            "ENVIRONMENT": "demo",
        }
    )
    with app.app_context():
        upgrade()
        build_demo(operators=operators, seed=2021, today=TODAY, at=now())
        db.session.commit()
    return app


def shoot(base: str, out: Path) -> list[str]:
    from playwright.sync_api import sync_playwright

    from app.demo_cases import DEMO_PASSWORD

    made: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)

        def visit(user: str | None, shots: list[tuple[str, str]], width: int = 1280):
            ctx = browser.new_context(
                base_url=base, viewport={"width": width, "height": 860}, locale="zh-CN"
            )
            page = ctx.new_page()
            if user:
                page.goto("/login")
                page.fill("#username", user)
                page.fill("#password", DEMO_PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_load_state()
            for name, target in shots:
                if target.startswith("click:"):
                    page.click(target.removeprefix("click:"))
                else:
                    page.goto(target)
                page.wait_for_load_state("networkidle")
                page.wait_for_timeout(300)
                path = out / f"{name}.png"
                page.screenshot(path=str(path), full_page=name in FULL_PAGE)
                made.append(path.name)
            ctx.close()

        visit(None, [("public-home", "/"), ("public-a-class", "/public/a-class")])
        visit(
            "enterprise1",
            [
                ("portal-objects", "/portal/"),
                ("portal-object", "click:main table a >> nth=0"),
                ("portal-menu", "click:[data-testid=menu-button]"),
            ],
            width=390,
        )
        visit("enterprise2", [("portal-cases", "/portal/cases")], width=390)
        visit(
            _city_user("officer"),
            [
                ("inbox-queue", "/inbox/"),
                ("inbox-case", "/inbox/?process=objection"),
                ("inbox-case", "click:main table a[href*='/inbox/cases/'] >> nth=0"),
            ],
        )
        visit(
            _city_user("supervisor"),
            [("supervisor-dashboard", "/supervision/"), ("statistics", "/statistics/#classes")],
        )
        visit("admin", [("admin-runs", "/admin/runs")])
        browser.close()
    return made


def _city_user(role: str) -> str:
    from sqlalchemy import select

    from app.extensions import db
    from models import User

    with APP.app_context():
        return db.session.scalar(
            select(User.username).where(User.role == role, User.bureau_code != "440000")
        )


def main() -> None:
    global APP
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--operators", type=int, default=200)
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    from werkzeug.serving import make_server

    with tempfile.TemporaryDirectory() as tmp:
        APP = build(f"sqlite:///{tmp}/shots.sqlite3", args.operators)
        server = make_server("127.0.0.1", 0, APP, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            made = shoot(f"http://127.0.0.1:{server.server_port}", out)
        finally:
            server.shutdown()
    print("\n".join(f"wrote {out / m}" for m in made))


APP = None

if __name__ == "__main__":
    main()

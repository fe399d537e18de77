"""The application factory: wires configuration, extensions, blueprints, errors and CLI."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from flask import Flask

from .clock import Clock
from .config import ROOT, Config, normalise_database_url
from .extensions import api, db, migrate


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.from_object(Config)
    if config:
        app.config.update(config)
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(
        app.config["SQLALCHEMY_DATABASE_URI"]
    )
    app.json.ensure_ascii = False  # Chinese names stay readable in JSON

    from .security import init_security

    init_security(app)  # refuses to start without a real SECRET_KEY in production

    clock = app.config.get("CLOCK") or Clock()
    if app.config.get("CLOCK_TODAY") and "CLOCK" not in (config or {}):
        clock.set_today(date.fromisoformat(app.config["CLOCK_TODAY"]))
    app.extensions["clock"] = clock

    import models  # noqa: F401  (register the tables on the metadata)

    db.init_app(app)
    from .db_ping import ping_idle_connections

    with app.app_context():
        ping_idle_connections(db.engine, app.config["DB_PING_IDLE_SECONDS"])
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    api.init_app(app)

    from .blueprints import register_blueprints
    from .cli import register_cli
    from .cli_cases import register_cases_cli
    from .errors import register_error_handlers
    from .services.process_links import check_process_links
    from .workflow import Engine, load_definitions

    # Every process definition is parsed and its links to the code (form keys, effects, gateway
    # variables, lanes) checked now: a broken file stops the app here, naming the file and the
    # element, rather than failing a case later.
    definitions = load_definitions(Path(app.config.get("WORKFLOWS_DIR") or ROOT / "workflows"))
    check_process_links(definitions)
    app.extensions["engine"] = Engine(definitions)

    from .ops import init_ops

    init_ops(app)  # /healthz, /metrics, request ids and JSON request logs
    register_blueprints(app, api)
    from .web.layout import render_error

    register_error_handlers(app, page=render_error)  # web pages answer errors with a page
    register_cli(app)
    register_cases_cli(app)
    from .unit_of_work import init_unit_of_work

    init_unit_of_work(app)  # last, so that it runs first of the after_request hooks
    return app

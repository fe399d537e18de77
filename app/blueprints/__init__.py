"""Blueprints per audience, each registered once with its URL prefix."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api


def register_blueprints(app: Flask, api: Api) -> None:
    from .api import blp as credit_api
    from .cases_api import blp as cases_api
    from .public import bp as public

    api.register_blueprint(credit_api, url_prefix="/api/v1")
    api.register_blueprint(cases_api, url_prefix="/api/v1")
    app.register_blueprint(public)

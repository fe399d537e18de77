"""Blueprints per audience, each registered once with its URL prefix."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api


def register_blueprints(app: Flask, api: Api) -> None:
    from app.web import init_web

    from .api import blp as credit_api
    from .cases_api import blp as cases_api
    from .exports_api import blp as exports_api

    api.register_blueprint(credit_api, url_prefix="/api/v1")
    api.register_blueprint(cases_api, url_prefix="/api/v1")
    api.register_blueprint(exports_api, url_prefix="/api/v1")
    init_web(app, (credit_api, cases_api, exports_api))

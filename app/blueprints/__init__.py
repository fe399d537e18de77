"""Blueprints per audience, each registered once with its URL prefix."""

from __future__ import annotations

from datetime import date

from flask import Flask
from flask_smorest import Api
from werkzeug.routing import BaseConverter, ValidationError


class DateConverter(BaseConverter):
    """A day in a URL (YYYY-MM-DD), given to the view as a date; anything else matches no
    route (404), and the OpenAPI document says `format: date`."""

    regex = r"\d{4}-\d{2}-\d{2}"

    def to_python(self, value: str) -> date:
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValidationError() from None

    def to_url(self, value) -> str:
        return value.isoformat() if isinstance(value, date) else str(value)


def register_blueprints(app: Flask, api: Api) -> None:
    from app.web import init_web

    app.url_map.converters["date"] = DateConverter
    api.register_converter(DateConverter, lambda _: {"type": "string", "format": "date"})

    from .api import blp as credit_api
    from .cases_api import blp as cases_api
    from .exports_api import blp as exports_api

    api.register_blueprint(credit_api, url_prefix="/api/v1")
    api.register_blueprint(cases_api, url_prefix="/api/v1")
    api.register_blueprint(exports_api, url_prefix="/api/v1")
    init_web(app, (credit_api, cases_api, exports_api))

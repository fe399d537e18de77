"""Request- and command-scoped access to the clock and the acting user."""

from __future__ import annotations

from datetime import date, datetime

from flask import current_app

from .clock import Clock


def clock() -> Clock:
    return current_app.extensions["clock"]


def today() -> date:
    return clock().today()


def now() -> datetime:
    return clock().now()

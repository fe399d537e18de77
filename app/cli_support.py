"""What every command of `flask credit …` shares: how a refused command ends."""

from __future__ import annotations

import sys
from typing import NoReturn

import click

from app.extensions import db


def fail(message: str) -> NoReturn:
    """Undo the command's writes, say why on stderr, and exit with status 2."""
    db.session.rollback()
    click.echo(f"error: {message}", err=True)
    sys.exit(2)

"""`flask cases …` (scheduler) and `flask users …` (accounts and API tokens)."""

from __future__ import annotations

import time

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from app.cli_support import fail
from app.codes import Role
from app.context import clock, now, today
from app.extensions import db

cases_cli = AppGroup("cases", help="Case scheduler: deadlines, notices, reward proposals.")
users_cli = AppGroup("users", help="Accounts and API tokens.")


def _ctx():
    from app.services.cases import Ctx

    return Ctx(actor="scheduler", today=today(), now=now())


@cases_cli.command("tick")
def tick_command() -> None:
    """One scheduler pass: fire passed deadlines, issue notices, start rectifications, propose
    rewards, do the classification runs asked for on the admin page."""
    from app.services.heartbeat import record_pass, worker_name
    from app.services.scheduler import tick

    report = tick(ctx=_ctx(), commit=db.session.commit)
    record_pass(worker_name(), now(), report=report.summary())
    db.session.commit()
    click.echo(report.summary())


@cases_cli.command("worker")
@click.option("--interval", default=60.0, show_default=True, help="Seconds between passes.")
@click.option("--passes", default=0, help="Stop after this many passes (0: run until stopped).")
def worker_command(interval: float, passes: int) -> None:
    """Run scheduler passes forever (several workers may run at once on PostgreSQL)."""
    from app.services.heartbeat import record_pass, worker_name
    from app.services.scheduler import tick

    name = worker_name()
    done = 0
    while True:
        try:
            report = tick(ctx=_ctx(), commit=db.session.commit)
        except Exception as exc:
            db.session.rollback()
            click.echo(f"{clock().now().isoformat()} pass failed: {exc}", err=True)
            record_pass(name, now(), error=str(exc))
        else:
            if report:
                click.echo(f"{clock().now().isoformat()} {report.summary()}")
            record_pass(name, now(), report=report.summary())
        try:
            db.session.commit()
        except Exception as exc:  # the database itself is away: try again next pass
            db.session.rollback()
            click.echo(f"{clock().now().isoformat()} heartbeat failed: {exc}", err=True)
        done += 1
        if passes and done >= passes:
            return
        time.sleep(interval)


@users_cli.command("add")
@click.argument("username")
@click.option(
    "--role",
    type=click.Choice([r.value for r in Role]),
    required=True,
)
@click.option("--name", "display_name", help="Display name (default: the username).")
@click.option("--bureau", help="Bureau code (officers and supervisors).")
@click.option("--uscc", help="Credit code of the operator (enterprise users).")
@click.option(
    "--password",
    envvar="NEW_USER_PASSWORD",
    help="Web sign-in password (at least 8 characters; or NEW_USER_PASSWORD). "
    "Without it the user has API access only.",
)
def add_user(
    username: str,
    role: str,
    display_name: str | None,
    bureau: str | None,
    uscc: str | None,
    password: str | None,
) -> None:
    """Create a user and print its API token (shown once)."""
    from app.auth import create_user, issue_token, set_password
    from models import Bureau, Operator, User

    if db.session.scalar(select(User).where(User.username == username)):
        fail(f"user {username} already exists")
    operator_id = None
    if role == Role.ENTERPRISE:
        operator = db.session.scalar(select(Operator).where(Operator.uscc == (uscc or "")))
        if operator is None:
            fail("an enterprise user needs --uscc of a registered operator")
        operator_id = operator.id
    if role in (Role.OFFICER, Role.SUPERVISOR) and db.session.get(Bureau, bureau or "") is None:
        fail("officers and supervisors need --bureau with a known bureau code")
    user = create_user(
        username,
        role,
        display_name=display_name or username,
        at=now(),
        bureau_code=bureau if role in (Role.OFFICER, Role.SUPERVISOR) else None,
        operator_id=operator_id,
    )
    if password is not None:
        if len(password) < 8:
            fail("a password needs at least 8 characters")
        set_password(user, password)
    token = issue_token(user, at=now())
    db.session.commit()
    click.echo(f"{username} ({role}) token: {token}")


def register_cases_cli(app: Flask) -> None:
    app.cli.add_command(cases_cli)
    app.cli.add_command(users_cli)

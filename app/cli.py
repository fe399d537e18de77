"""`flask credit …`: the command-line contract. Each command is one transaction: it commits
when it succeeds and leaves the database as it was when it fails."""

from __future__ import annotations

import getpass
import json
import sys
from datetime import date
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from app.cli_support import fail
from app.context import now, today
from app.errors import DomainError
from app.extensions import db

credit = AppGroup(
    "credit", help="Quality credit: tables, imports, scores, classification, calendar."
)


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:
        return "cli"


def _date(ctx, param, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _json_default(value):
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


@credit.command("init")
def init_command() -> None:
    """Load the shipped bureau tree and publish the default scoring table if absent."""
    from app.services.reference import init_reference_data

    created, updated, published = init_reference_data(actor=_actor(), at=now())
    db.session.commit()
    click.echo(
        f"bureaus: {created} created, {updated} updated; default scoring table "
        f"{'published' if published else 'already published'}"
    )


@credit.group("table")
def table_group() -> None:
    """Scoring-table versions (记分表)."""


@table_group.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def table_load(file: Path) -> None:
    """Publish a scoring-table version from a YAML file."""
    from app.scoring import parse_table
    from app.services.scoring_tables import publish_table

    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        fail(f"{file} is not UTF-8 text")
    try:
        row, created = publish_table(text, actor=_actor(), at=now())
    except DomainError as exc:
        fail(exc.message)
    db.session.commit()
    state = "published" if created else "already published, unchanged"
    default = " (default table)" if row.is_default else ""
    click.echo(f"scoring table {row.version}{default}, applies from {row.applies_from}: {state}")
    table = parse_table(row.content)
    if table.regulation is not None:
        click.echo(f"  regulation: {table.regulation.title} ({table.regulation.number})")
    click.echo(
        f"  applies until: {table.applies_until} (Art. 36)"
        if table.applies_until is not None
        else "  applies until: a later version applies (open-ended)"
    )
    spot = [code for code, item in table.items.items() if item.spot_check]
    click.echo(
        f"  related to spot checks, recorded by the provincial bureau (Art. 19): "
        f"{', '.join(spot) or 'none'}"
    )


@credit.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def import_command(file: Path, as_json: bool) -> None:
    """Import credit records from a JSON Lines file (exit 1 if any record was refused)."""
    from app.services.imports import import_records

    total = sum(1 for _ in file.open("rb"))
    with (
        file.open("rb") as fh,
        click.progressbar(length=total, label="importing", file=sys.stderr, show_pos=True) as bar,
    ):
        report = import_records(fh, today=today(), actor=_actor(), at=now(), progress=bar.update)
    db.session.commit()
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(
            f"read {report.read}, created {report.created}, updated {report.updated}, "
            f"unchanged {report.unchanged}, refused {report.refused}"
        )
        for r in report.refusals:
            click.echo(f"  line {r.line}" + (f" [{r.ref}]" if r.ref else "") + f": {r.reason}")
        if report.review:
            click.echo(f"to review {len(report.review)} (accepted):")
            for w in report.review:
                click.echo(f"  line {w.line}" + (f" [{w.ref}]" if w.ref else "") + f": {w.reason}")
    sys.exit(1 if report.refused else 0)


@credit.command("score")
@click.argument("uscc")
@click.option("--brand", help="Brand (商标) of a product scoring object.")
@click.option("--nice-class", type=click.IntRange(1, 34), help="Nice class 1-34 of the product.")
@click.option("--as-of", callback=_date, help="Date (YYYY-MM-DD); default today.")
@click.option("--json", "as_json", is_flag=True, help="Print interchange §2 JSON.")
def score_command(
    uscc: str, brand: str | None, nice_class: int | None, as_of: date | None, as_json: bool
) -> None:
    """The score of an operator, or of a product with --brand and --nice-class."""
    from app.queries.scores import explained_score, find_object

    as_of = as_of or today()
    if as_of > today():
        fail(f"--as-of {as_of} is in the future (today is {today()})")
    try:
        doc = explained_score(find_object(uscc, brand, nice_class), as_of)
    except DomainError as exc:
        fail(exc.message)
    if as_json:
        click.echo(json.dumps(doc, ensure_ascii=False, indent=2, default=_json_default))
        return
    obj = doc["object"]
    label = f"{obj['name']} ({obj['uscc']})" + (
        f" product {obj['brand']}/{obj['nice_class']}" if obj["kind"] == "product" else ""
    )
    click.echo(f"{label} as of {doc['as_of']}: score {doc['score'] or '—'}, class {doc['class']}")
    oc = doc["official_class"]
    if oc:
        lock = f", locked until {oc['locked_until']}" if oc["locked_until"] else ""
        click.echo(f"official class {oc['class']} (run of {oc['run_on']}{lock})")
    for e in doc["entries"]:
        note = f"  [{e['note']}]" if e["note"] else ""
        click.echo(
            f"  {e['effective_on']} {e['kind']:<9} {e['points']:>7} {e['item'] or '':<7} "
            f"{e['matter'] or ''} {e['via'] or ''}{note}"
        )


@credit.command("classify")
@click.option(
    "--as-of",
    callback=_date,
    help="Run date (YYYY-MM-DD); default the latest scheduled date (CLASSIFICATION_DAYS).",
)
@click.option(
    "--off-cycle",
    is_flag=True,
    help="Run on a date that is not a scheduled run date (R-HALFYEAR); needs --reason.",
)
@click.option("--reason", default=None, help="Why an off-cycle run is needed (recorded).")
def classify_command(as_of: date | None, off_cycle: bool, reason: str | None) -> None:
    """A classification run (R-HALFYEAR) as of a date; repeating it for the date is safe.
    A date that is not a scheduled run date is refused unless --off-cycle --reason "…"."""
    from flask import current_app
    from sqlalchemy import func, select

    from app.services.classification import (
        latest_scheduled_date,
        off_cycle_run,
        refuse_earlier_run,
        run_classification,
    )
    from models import ScoringObject

    if as_of is None:
        try:
            as_of = latest_scheduled_date(today(), current_app.config["CLASSIFICATION_DAYS"])
        except ValueError as exc:
            fail(str(exc))

    if as_of > today():
        fail(f"--as-of {as_of} is in the future (today is {today()})")
    try:  # refused before any progress is shown
        refuse_earlier_run(as_of)
        off_cycle_run(as_of, off_cycle=off_cycle, reason=reason)
    except DomainError as exc:
        fail(exc.message)
    objects = db.session.scalar(select(func.count()).select_from(ScoringObject))
    try:
        with click.progressbar(
            length=objects, label="classifying", file=sys.stderr, show_pos=True
        ) as bar:
            report = run_classification(
                as_of,
                actor=_actor(),
                at=now(),
                progress=bar.update,
                off_cycle=off_cycle,
                reason=reason,
            )
    except DomainError as exc:
        fail(exc.message)
    db.session.commit()
    for line in report.lines():
        click.echo(line)


@credit.group("calendar")
def calendar_group() -> None:
    """Working-day calendar (工作日): yearly holiday schedules."""


@calendar_group.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def calendar_load(file: Path) -> None:
    """Load a year's holiday schedule (YAML; see docs/holiday-schedule.md)."""
    from app.services.calendar import load_schedule

    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        fail(f"{file} is not UTF-8 text")
    try:
        schedule, changed = load_schedule(text, actor=_actor(), at=now())
    except DomainError as exc:
        fail(exc.message)
    db.session.commit()
    click.echo(
        f"holiday schedule {schedule.year}: "
        f"{'loaded' if changed else 'already loaded, unchanged'} "
        f"({len(schedule.holidays)} days off, {len(schedule.workdays)} make-up working days)"
    )


@calendar_group.command("status")
@click.option("--year", type=int, multiple=True, help="Years to show (default: this and next).")
def calendar_status(year: tuple[int, ...]) -> None:
    """Which source decides each year, and the warning administrators get from 15 November."""
    from app.services.calendar import work_calendar

    cal = work_calendar()
    for y in year or (today().year, today().year + 1):
        source = cal.source_of(y)
        meaning = {
            "schedule": "loaded schedule",
            "package": "chinesecalendar package",
            "provisional": "no data: Monday-Friday, deadlines provisional",
        }[source]
        click.echo(f"{y}: {meaning}")
    warning = cal.missing_year_warning(today())
    if warning:
        click.echo(f"warning: {warning}")


@credit.command("demo")
@click.option("--operators", default=300, show_default=True, help="Operators to generate.")
@click.option("--seed", default=2021, show_default=True)
def demo_command(operators: int, seed: int) -> None:
    """Fill an empty database with a synthetic province (idempotent for the same seed)."""
    from app.demo import build_demo

    summary = build_demo(operators=operators, seed=seed, today=today(), at=now())
    db.session.commit()
    for line in summary:
        click.echo(line)


def register_cli(app: Flask) -> None:
    app.cli.add_command(credit)

"""Disclosure and sharing exports (Art. 29, 31, 32): classes of a run, matters, the A-class list
and the dishonesty matters in force, as CSV, JSON Lines or XLSX.

Each call needs an API token with the `export` scope (supervisors and administrators have it
by default); the caller's bureau tree bounds the rows. Each call names the recipient
(`recipient_kind`: department, association or platform; `recipient`: its name) and the
`legal_basis` of the sharing (Art. 31, 32); a call without them is refused (422). Every export
is written to the audit log (who, what, filters, row count, recipient, legal basis) before it
is streamed; administrators see them on /admin/exports."""

from __future__ import annotations

from flask import Response, stream_with_context
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from app.auth import current_user
from app.context import now, today
from app.services import exports
from forms import exports as schemas

blp = Blueprint(
    "exports_api",
    __name__,
    description="Exports for disclosure and sharing (Art. 29, 31, 32); needs the 'export' scope",
)

ROWS = (
    "One row per line in jsonl; the same columns, in this order, as the CSV header row "
    "(UTF-8 with BOM) and the first row of the XLSX sheet."
)
REFUSALS = {
    400: "unknown format",
    401: "no or unknown API token",
    403: "the token lacks the 'export' scope, or the bureau is outside the caller's area",
    404: "unknown bureau or classification run",
    422: "a filter that cannot be met (a class that does not exist, since after until), or a "
    "missing recipient_kind, recipient or legal_basis (Art. 31, 32)",
}


def _formats(row: str):
    """The 200 answer in its three formats: rows of `row` as JSON lines (`format=jsonl`), CSV
    (the default) and XLSX."""
    return blp.doc(
        responses={
            "200": {
                "description": ROWS,
                "content": {
                    "application/x-ndjson": {"schema": {"$ref": f"#/components/schemas/{row}"}},
                    exports.MEDIA_TYPES["csv"]: {"schema": {"type": "string"}},
                    exports.MEDIA_TYPES["xlsx"]: {"schema": {"type": "string", "format": "binary"}},
                },
            }
        }
    )


def _refusals(view):
    for status, description in REFUSALS.items():
        view = blp.alt_response(status, schema=schemas.ExportError, description=description)(view)
    return view


@blp.before_request
def _needs_export_scope() -> None:
    """The token is checked before the filters are read: no token is 401 whatever the query."""
    current_user(scope="export")


def _caller(args: dict):
    """The caller, and the recipient and legal basis of what it takes out (Art. 31, 32)."""
    user = current_user(scope="export")
    sharing = exports.check_sharing(
        args.pop("recipient_kind"), args.pop("recipient"), args.pop("legal_basis")
    )
    return user, sharing


def _send(export: exports.Export, fmt: str, caller) -> Response:
    user, sharing = caller
    # Recorded before the first row leaves: the boundary commits it with the answer's head.
    exports.record_export(export, fmt, user=user, at=now(), sharing=sharing)
    return Response(
        stream_with_context(exports.stream(export, fmt)),
        mimetype=exports.MEDIA_TYPES[fmt].split(";")[0],
        content_type=exports.MEDIA_TYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{export.filename(fmt)}"',
            "X-Row-Count": str(export.count),
            "Cache-Control": "no-store",
        },
    )


@blp.route("/exports/classes")
class ClassesExport(MethodView):
    @blp.arguments(schemas.ClassExportQuery, location="query", unknown=RAISE)
    @blp.response(200, schemas.ClassRow, content_type="application/x-ndjson", description=ROWS)
    @_formats("ClassRow")
    @_refusals
    def get(self, args):
        """The classes a classification run set (default: the latest), by class and bureau."""
        caller = _caller(args)
        fmt = exports.check_format(args["format"])
        export = exports.class_export(
            caller[0], run_on=args["run_on"], klass=args["klass"], bureau=args["bureau"]
        )
        return _send(export, fmt, caller)


@blp.route("/exports/matters")
class MattersExport(MethodView):
    @blp.arguments(schemas.MatterExportQuery, location="query", unknown=RAISE)
    @blp.response(200, schemas.MatterRow, content_type="application/x-ndjson", description=ROWS)
    @_formats("MatterRow")
    @_refusals
    def get(self, args):
        """Credit matters effective in a period, one row per object scored, with what became
        of each deduction (amended, voided, repaired)."""
        caller = _caller(args)
        fmt = exports.check_format(args["format"])
        export = exports.matter_export(
            caller[0],
            since=args["since"],
            until=args["until"],
            bureau=args["bureau"],
            today=today(),
        )
        return _send(export, fmt, caller)


@blp.route("/exports/a-class")
class AClassExport(MethodView):
    @blp.arguments(schemas.AClassExportQuery, location="query", unknown=RAISE)
    @blp.response(200, schemas.AClassRow, content_type="application/x-ndjson", description=ROWS)
    @_formats("AClassRow")
    @_refusals
    def get(self, args):
        """The A-class list of a run, for publication (Art. 29)."""
        caller = _caller(args)
        fmt = exports.check_format(args["format"])
        export = exports.a_class_export(caller[0], run_on=args["run_on"], bureau=args["bureau"])
        return _send(export, fmt, caller)


@blp.route("/exports/dishonesty")
class DishonestyExport(MethodView):
    @blp.arguments(schemas.MatterExportQuery, location="query", unknown=RAISE)
    @blp.response(200, schemas.DishonestyRow, content_type="application/x-ndjson", description=ROWS)
    @_formats("DishonestyRow")
    @_refusals
    def get(self, args):
        """Dishonesty matters in force today (Art. 29): not voided, inside their 36-month
        window, with the last day each is published. A repaired matter is no longer published
        on the public pages but stays here, marked repaired with the repair's date."""
        caller = _caller(args)
        fmt = exports.check_format(args["format"])
        export = exports.dishonesty_export(
            caller[0],
            since=args["since"],
            until=args["until"],
            bureau=args["bureau"],
            today=today(),
        )
        return _send(export, fmt, caller)

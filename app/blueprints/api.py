"""The JSON API (read side, and bulk import). OpenAPI at /api/openapi.json."""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta, timezone

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import RAISE, ValidationError
from werkzeug.exceptions import RequestEntityTooLarge

from app.context import now, today
from app.errors import DomainError
from app.ops import IMPORT_SECONDS
from app.queries.catalogue import bureau_tree, search_objects
from app.queries.classification import get_run, list_runs, run_results
from app.queries.scores import explained_score, find_object
from forms import api as schemas

blp = Blueprint(
    "credit_api", __name__, description="Quality credit: objects, scores, runs, bureaus"
)

MAX_IMPORT_BYTES = 200 * 1024 * 1024


@blp.before_request
def _needs_read_scope() -> None:
    """Scores, deductions, classes and reference data are for token holders with the `read`
    scope, checked before anything of the request is read; what Art. 29 lets the public see
    (the A-class list, the dishonesty matters) is on the public pages. Imports have their own
    tokens."""
    if request.endpoint != "credit_api.Imports":
        from app.auth import current_user

        current_user(scope="read")


def _score(uscc: str, args: dict, brand: str | None = None, nice_class: int | None = None):
    as_of = args["as_of"] or today()
    if as_of > today():
        raise DomainError(
            "as_of %(as_of)s is in the future (today is %(today)s)",
            field="as_of",
            as_of=as_of.isoformat(),
            today=today().isoformat(),
        )
    return explained_score(find_object(uscc, brand, nice_class), as_of)


@blp.route("/operators/<uscc>/score")
class OperatorScore(MethodView):
    @blp.arguments(schemas.ScoreQuery, location="query", unknown=RAISE)
    @blp.response(200, schemas.ScoreDocument)
    def get(self, args, uscc):
        """An operator's score with every entry that makes it up, as of a date."""
        return _score(uscc, args)


@blp.route("/operators/<uscc>/products/<brand>/<int:nice_class>/score")
class ProductScore(MethodView):
    @blp.arguments(schemas.ScoreQuery, location="query", unknown=RAISE)
    @blp.response(200, schemas.ScoreDocument)
    def get(self, args, uscc, brand, nice_class):
        """A product's score (producer + brand + Nice class) as of a date."""
        return _score(uscc, args, brand, nice_class)


@blp.route("/objects")
class Objects(MethodView):
    @blp.arguments(schemas.SearchQuery, location="query", unknown=RAISE)
    @blp.response(200, schemas.ObjectHit(many=True))
    def get(self, args):
        """Search scoring objects by credit code, operator name or brand."""
        return search_objects(args["q"], args["limit"])


@blp.route("/bureaus")
class Bureaus(MethodView):
    @blp.response(200, schemas.Bureau(many=True))
    def get(self):
        """The bureau tree: province, 21 cities, counties (parent links)."""
        return bureau_tree()


@blp.route("/classification-runs")
class Runs(MethodView):
    @blp.response(200, schemas.Run(many=True))
    def get(self):
        """Classification runs, newest first, with their counts per class."""
        return list_runs()


@blp.route("/classification-runs/<date:run_on>")
class RunView(MethodView):
    @blp.response(200, schemas.Run)
    def get(self, run_on):
        """One run."""
        return get_run(run_on)


@blp.route("/classification-runs/<date:run_on>/results")
class RunResultsView(MethodView):
    @blp.arguments(schemas.ResultsQuery, location="query", unknown=RAISE)
    @blp.response(200, schemas.RunResults)
    def get(self, args, run_on):
        """The classes a run set, filterable by class and bureau (with the bureaus below it)."""
        return run_results(
            run_on,
            klass=args["klass"],
            bureau=args["bureau"],
            page=args["page"],
            per_page=args["per_page"],
        )


@blp.route("/imports")
class Imports(MethodView):
    @blp.response(200, schemas.ImportReport)
    @blp.alt_response(401, description="no or unknown API token")
    def post(self):
        """Import JSON Lines records (body: application/x-ndjson). Needs an import token
        (`Authorization: Bearer …`). Refused records are listed with line, ref and reason;
        the good ones are imported."""
        from app.services.imports import import_records

        actor = _token_actor()
        # The limit holds while the body is read (a chunked body has no Content-Length), and
        # the body is read line by line, never whole into memory.
        request.max_content_length = MAX_IMPORT_BYTES
        too_large = DomainError("the file is larger than 200 MiB; split it", status=413)
        try:
            with IMPORT_SECONDS.time():
                report = import_records(request.stream, today=today(), actor=actor, at=now())
        except RequestEntityTooLarge:
            raise too_large from None  # the boundary rolls back what was imported
        return report.as_dict()


def _rfc3339(at: datetime) -> datetime:
    """Before 1901 Asia/Shanghai is local mean time (+08:05:43), an offset RFC 3339 cannot
    write: such an instant is given in China Standard Time (+08:00) instead."""
    offset = at.utcoffset()
    if offset is not None and offset.seconds % 60:
        return at.astimezone(timezone(timedelta(hours=8)))
    return at


def _token_actor() -> str:
    """API tokens come from IMPORT_TOKENS ("name:token,…"); scoped user tokens replace this
    with the sign-in work."""
    header = request.headers.get("Authorization", "")
    given = header.removeprefix("Bearer ").strip()
    for pair in filter(None, (current_app.config.get("IMPORT_TOKENS") or "").split(",")):
        name, _, token = pair.partition(":")
        if given and token and hmac.compare_digest(given, token):
            return f"api:{name}"
    raise DomainError("an import needs a valid API token (Authorization: Bearer …)", status=401)


# The query of /calendar/deadline as one object, so that the document can say what the
# view checks: `from` and exactly one of `working_days` and `days` (OpenAPI cannot say so of
# separate query parameters).
_PERIOD = {"type": "integer", "minimum": 1, "maximum": 366}
DEADLINE_QUERY = {
    "in": "query",
    "name": "period",
    "required": True,
    "style": "form",
    "explode": True,
    "description": "from=YYYY-MM-DD (not counted) and exactly one of working_days or days",
    "schema": {
        "type": "object",
        "properties": {
            "from": {"type": "string", "format": "date"},
            "working_days": {**_PERIOD, "description": "N working days (工作日)"},
            "days": {**_PERIOD, "description": "N calendar days (日)"},
        },
        "required": ["from"],
        "additionalProperties": False,
        "oneOf": [{"required": ["working_days"]}, {"required": ["days"]}],
    },
}


@blp.route("/calendar/deadline")
class DeadlineView(MethodView):
    @blp.doc(parameters=[DEADLINE_QUERY])
    @blp.response(200, schemas.DeadlineAnswer)
    @blp.alt_response(400, description="none or both of working_days and days")
    @blp.alt_response(422, description="a parameter that is not a date or a number in range")
    def get(self):
        """A legal deadline: N working days (工作日) or N days (日) after a date (rules §6)."""
        from app.services.calendar import work_calendar

        try:
            args = schemas.DeadlineQuery().load(request.args)
        except ValidationError as err:
            abort(422, messages={"query": err.normalized_messages()})
        if (args["working_days"] is None) == (args["days"] is None):
            raise DomainError("give exactly one of working_days or days", status=400)
        cal = work_calendar()
        if args["working_days"] is not None:
            deadline = cal.add_working_days(args["start"], args["working_days"])
        else:
            deadline = cal.add_days(args["start"], args["days"])
        return {
            **args,
            "due_on": deadline.due_on,
            "ends_at": _rfc3339(deadline.ends_at()),
            "provisional": deadline.provisional,
        }


@blp.route("/calendar/status")
class CalendarStatusView(MethodView):
    @blp.response(200, schemas.CalendarStatus)
    def get(self):
        """Which source decides this year and next, and the missing-schedule warning."""
        from app.services.calendar import work_calendar

        cal = work_calendar()
        year = today().year
        return {
            "years": {str(y): cal.source_of(y) for y in (year, year + 1)},
            "warning": cal.missing_year_warning(today()),
        }

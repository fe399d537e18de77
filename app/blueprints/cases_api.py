"""The case API: start a case, my cases, my queue, claim, complete, withdraw, history,
diagram, overdue overview. Every call is one transaction, committed when it succeeds
(app/unit_of_work.py); the caller is named by its token."""

from __future__ import annotations

from collections.abc import Callable

from flask import g, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from app.auth import current_user
from app.codes import Process, Role
from app.context import now, today
from app.errors import Conflict, DomainError, NotFound
from app.extensions import db
from app.queries import cases as q
from app.queries.administration import user_named
from app.services import applications, cases
from app.services.calendar import work_calendar
from app.services.idempotency import file_once
from forms import cases as schemas
from models import Case

blp = Blueprint(
    "cases_api",
    __name__,
    description="Cases: notices, repairs, objections, corrections, rewards; task queues per bureau",
)


@blp.before_request
def _needs_cases_scope() -> None:
    """Every call names its caller by a token with the `cases` scope, checked before anything
    of the request (its body, its query) is read: no token is 401, whatever the body."""
    current_user()


def _ctx() -> cases.Ctx:
    user = current_user()
    g.case_ctx = cases.Ctx(actor=user.username, today=today(), now=now(), user=user)
    return g.case_ctx


def _key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is not None and not (1 <= len(key) <= 100):
        raise DomainError("Idempotency-Key must be 1 to 100 characters", status=400)
    return key


def _summary(case: Case) -> dict:
    return {
        "id": case.id,
        "process": case.process_id,
        "status": case.status,
        "outcome": case.outcome,
        "overdue": case.overdue,
        "filed_on": case.filed_on,
        "bureau": case.deciding_bureau,
        "subject": case.subject,
        "open_tasks": _open_tasks(case.id),
    }


def _open_tasks(case_id: int) -> list[dict]:
    """From this request's run when there was one (no query), else from the task table."""
    ctx = g.get("case_ctx")
    if ctx is not None and case_id in ctx.open_tasks:
        return ctx.open_tasks[case_id]
    return q.open_tasks(case_id)


def _done(case: Case, status: int = 201):
    return _summary(case), status


def _filed(process_id: str, file: Callable[[str | None], Case]):
    """File an application; the same Idempotency-Key sent twice at once (a double click on a
    slow line) gives both the one case: the second meets the first's unique key when its
    service flushes, waits for the first to commit, and then answers with that case instead
    of a server error."""
    key = _key()
    if key is None:
        # No key, no race to recover from: a refusal fails the request, whose whole unit is
        # rolled back, and its JSON answer reads nothing; no savepoint is needed around it.
        return _done(file(None))
    case, raced = file_once(key, lambda: file(key))
    if raced and (case.process_id, case.operator_id) != (process_id, _ctx().user.operator_id):
        raise Conflict("this idempotency key was used for another case")
    return _done(case)


@blp.route("/cases/repair")
class RepairCases(MethodView):
    @blp.arguments(schemas.RepairApplication)
    @blp.response(201, schemas.CaseSummary)
    def post(self, data):
        """Apply for the repair of a deduction (信用修复). Refused with every failed condition."""
        entry_id = data.pop("entry_id")
        return _filed(
            Process.REPAIR,
            lambda key: applications.file_repair(entry_id, data, ctx=_ctx(), idempotency_key=key),
        )


@blp.route("/cases/objection")
class ObjectionCases(MethodView):
    @blp.arguments(schemas.ObjectionFiling)
    @blp.response(201, schemas.CaseSummary)
    def post(self, data):
        """File an objection (异议) within 15 days of receiving the notice or the decision:
        against ledger entries of one matter (deductions, repairs, rewards) or a refused
        repair or reward (`refused_case`)."""
        return _filed(
            Process.OBJECTION,
            lambda key: applications.file_objection(
                data["entry_ids"],
                data["evidence"],
                ctx=_ctx(),
                idempotency_key=key,
                refused_case=data["refused_case"],
            ),
        )


@blp.route("/cases/correction")
class CorrectionCases(MethodView):
    @blp.arguments(schemas.CorrectionReport)
    @blp.response(201, schemas.CaseSummary)
    def post(self, data):
        """Report an error in a ledger entry (纠错); staff of the administration only."""
        return _done(
            applications.report_correction(data["entry_id"], data["description"], ctx=_ctx())
        )


@blp.route("/cases/reward")
class RewardCases(MethodView):
    @blp.arguments(schemas.RewardApplication)
    @blp.response(201, schemas.CaseSummary)
    def post(self, data):
        """Apply for a reward (奖励申请)."""
        return _filed(
            Process.REWARD,
            lambda key: applications.apply_reward(
                data["object_id"], data["code"], data["statement"], ctx=_ctx(), idempotency_key=key
            ),
        )


@blp.route("/cases")
class MyCases(MethodView):
    @blp.response(200, schemas.CaseSummary(many=True))
    def get(self):
        """My cases: an enterprise's own; an officer's bureau; a supervisor's tree."""
        return q.my_cases(current_user())


@blp.route("/cases/<int:case_id>")
class CaseView(MethodView):
    @blp.response(200, schemas.CaseFile)
    def get(self, case_id):
        """The case file: subject, tasks, deadlines."""
        return q.case_file(current_user(), case_id, today=today())


@blp.route("/cases/<int:case_id>/history")
class CaseHistory(MethodView):
    @blp.response(200, schemas.HistoryStep(many=True))
    def get(self, case_id):
        """Each step of the case: who, when, what, which deadline."""
        return q.case_history(current_user(), case_id)


@blp.route("/cases/<int:case_id>/diagram")
class CaseDiagram(MethodView):
    @blp.response(200, schemas.Diagram)
    def get(self, case_id):
        """The BPMN the case runs on, with its completed and current activities."""
        from app.permissions import can_see_case

        user = current_user()
        case = db.session.get(Case, case_id)
        if case is None or not can_see_case(user, case):
            raise NotFound("no case %(case)s", case=case_id)
        return cases.engine().diagram(cases.load_run(case))


@blp.route("/cases/<int:case_id>/withdraw")
class Withdraw(MethodView):
    @blp.response(200, schemas.CaseSummary)
    def post(self, case_id):
        """Withdraw an application before its decision (enterprise only)."""
        return _done(cases.withdraw_case(case_id, ctx=_ctx()), 200)


@blp.route("/queue")
class Queue(MethodView):
    @blp.arguments(schemas.QueueQuery, location="query", unknown=RAISE)
    @blp.response(200, schemas.QueueTask(many=True))
    def get(self, args):
        """My queue: open tasks I may work, overdue and due-soon first."""
        return q.queue(current_user(), today=today(), cal=work_calendar(), **args)


@blp.route("/tasks/<int:task_id>/claim")
class Claim(MethodView):
    @blp.response(200, schemas.QueueTask)
    def post(self, task_id):
        """Claim a task of my bureau."""
        task = cases.claim_task(task_id, ctx=_ctx())
        return q.queue_task(task, today=today(), cal=work_calendar())


@blp.route("/tasks/<int:task_id>/unclaim")
class Unclaim(MethodView):
    @blp.response(200, schemas.QueueTask)
    def post(self, task_id):
        """Give a claimed task back to the bureau's queue."""
        task = cases.unclaim_task(task_id, ctx=_ctx())
        return q.queue_task(task, today=today(), cal=work_calendar())


@blp.route("/tasks/<int:task_id>/reassign")
class Reassign(MethodView):
    @blp.arguments(schemas.Reassignment)
    @blp.response(200, schemas.QueueTask)
    def post(self, data, task_id):
        """Reassign a task to another officer of its bureau, with a reason (supervisors)."""
        to = user_named(data["username"])
        if to is None:
            raise NotFound("no user %(user)s", user=data["username"])
        task = cases.reassign_task(task_id, to, data["reason"], ctx=_ctx())
        return q.queue_task(task, today=today(), cal=work_calendar())


TASK_FORM = {
    "required": False,
    "description": "the task's form (see forms/tasks.py); none for a task without fields",
    "content": {"application/json": {"schema": {"type": "object"}}},
}


@blp.route("/tasks/<int:task_id>/complete")
class Complete(MethodView):
    @blp.doc(requestBody=TASK_FORM)
    @blp.response(200, schemas.CaseSummary)
    def post(self, task_id):
        """Complete a task with its form data (the task's formKey schema checks it); a task
        whose form has no fields is completed with no body."""
        data = request.get_json(silent=True) if request.get_data(cache=True).strip() else {}
        if not isinstance(data, dict):
            raise DomainError("send the form as a JSON object", status=400)
        return _done(cases.complete_task(task_id, data, ctx=_ctx()), 200)


@blp.route("/overdue")
class Overdue(MethodView):
    @blp.response(200, schemas.OverdueRow(many=True))
    def get(self):
        """Open, due-soon and overdue tasks per bureau in my tree (supervisors)."""
        user = current_user()
        if user.role not in (Role.SUPERVISOR, Role.ADMIN):
            raise DomainError("the overdue overview is for supervisors", status=403)
        return q.overdue_overview(user, today=today(), cal=work_calendar())


@blp.route("/notifications")
class Notifications(MethodView):
    @blp.response(200, schemas.NotificationOut(many=True))
    def get(self):
        """My notifications (overdue cases for supervisors; decisions for enterprises)."""
        return q.notifications(current_user())

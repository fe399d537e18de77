"""Cases on the BPMN engine: start, complete a task, claim, withdraw, deliver a deadline.

Every call does, inside the caller's one transaction: load → engine steps → check the task
is ready and the user may act → run → engine steps → save (optimistic lock) → sync the task
table and deadlines → apply the run's effects. A failure anywhere leaves the case as it was,
because nothing is committed here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask import current_app
from marshmallow import ValidationError
from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased
from sqlalchemy.orm.exc import StaleDataError

from app.calendar import WorkCalendar
from app.codes import Process, Role
from app.errors import Conflict, DomainError, NotFound
from app.extensions import db
from app.permissions import can_act_on_task, can_claim_task, can_see_case
from app.workflow import Engine, Run, WorkflowError
from forms.tasks import TASK_FORMS
from models import Case, CaseEvent, CaseTask, User, WorkflowSpec

from .calendar import work_calendar
from .deadlines import case_deadlines, close_deadlines, open_deadline, pause_deadline
from .sticky import sticky_claimer


def engine() -> Engine:
    return current_app.extensions["engine"]


@dataclass
class Ctx:
    """Who acts and when: passed down so nothing reads the clock by itself."""

    actor: str
    today: date
    now: datetime
    user: User | None = None
    _cal: WorkCalendar | None = None
    events: list[dict] = field(default_factory=list)
    # The tasks open on each case after this request's run: what the answer lists as next.
    open_tasks: dict[int, list[dict]] = field(default_factory=dict)
    # The form data of the tasks this request completed, by (case id, task name), for effects.
    completed_forms: dict[tuple[int, str], dict] = field(default_factory=dict)
    # Each run case's deadlines by name (`case_deadlines`), for effects that report them.
    deadlines: dict[int, dict] = field(default_factory=dict)

    @property
    def cal(self) -> WorkCalendar:
        if self._cal is None:
            self._cal = work_calendar()
        return self._cal


def _deploy(run: Run, ctx: Ctx) -> str:
    """Store the definition a case runs on, once (remembered per app: no query per case)."""
    d = run.definition
    deployed: set[str] = current_app.extensions.setdefault("deployed_specs", set())
    if d.hash not in deployed:
        if db.session.get(WorkflowSpec, d.hash) is None:  # another process may store it meanwhile
            dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
            row = dict(hash=d.hash, process_id=d.process_id, bpmn=d.xml, deployed_at=ctx.now)
            db.session.execute(dialect.insert(WorkflowSpec).values(row).on_conflict_do_nothing())
        deployed.add(d.hash)
    return d.hash


def log(case: Case, ctx: Ctx, action: str, task: str | None = None, **detail: Any) -> None:
    """Add a step to the case history; written with the others in one statement at the end."""
    ctx.events.append(
        {
            "case_id": case.id,
            "at": ctx.now,
            "actor": ctx.actor,
            "action": action,
            "task": task,
            "detail": detail,
        }
    )


def write_log(ctx: Ctx) -> None:
    if ctx.events:
        # Core, not the ORM's bulk insert: one statement for all rows, none of the ORM's work
        db.session.execute(CaseEvent.__table__.insert(), ctx.events)
        ctx.events.clear()


def start_case(
    process_id: str,
    *,
    ctx: Ctx,
    operator_id: int,
    deciding_bureau: str,
    subject: dict[str, Any],
    start_data: dict[str, Any] | None = None,
    object_id: int | None = None,
    matter_id: int | None = None,
    idempotency_key: str | None = None,
    filed_on: date | None = None,
) -> tuple[Case, bool]:
    """Start a case; the same idempotency key returns the case it started before."""
    if idempotency_key:
        existing = db.session.scalar(select(Case).where(Case.idempotency_key == idempotency_key))
        if existing is not None:
            if existing.process_id != process_id or existing.operator_id != operator_id:
                raise Conflict("this idempotency key was used for another case")
            return existing, False
    eng = engine()
    run = eng.start(process_id, {"case": subject, **(start_data or {})})
    case = Case(
        process_id=process_id,
        spec_hash=_deploy(run, ctx),
        status="open",
        operator_id=operator_id,
        object_id=object_id,
        matter_id=matter_id,
        deciding_bureau=deciding_bureau,
        subject=subject,
        filed_on=filed_on or ctx.today,
        started_by=ctx.actor,
        idempotency_key=idempotency_key,
        state="",
        serializer_version=eng.serializer_version,
        created_at=ctx.now,
    )
    db.session.add(case)
    db.session.flush()
    log(case, ctx, "started", detail=subject)
    # A new case has no tasks and no deadlines yet, so no step a lane's officer could keep.
    _after_run(case, run, ctx, open_rows={}, deadlines={}, done=None)
    return case, True


def _load(case: Case) -> Run:
    eng = engine()
    if case.spec_hash not in eng.by_hash:
        spec = db.session.get(WorkflowSpec, case.spec_hash)
        if spec is None:
            raise DomainError(
                "case %(case)s: its process definition is missing", status=500, case=case.id
            )
        eng.deploy_xml(spec.process_id, spec.bpmn)
    return eng.load(case.state, case.spec_hash)


def open_task_rows(case_id: int) -> dict[str, CaseTask]:
    return {
        t.engine_task_id: t
        for t in db.session.scalars(
            select(CaseTask).where(CaseTask.case_id == case_id, CaseTask.state == "open")
        )
    }


def _after_run(
    case: Case,
    run: Run,
    ctx: Ctx,
    *,
    open_rows: dict[str, CaseTask] | None = None,
    deadlines: dict | None = None,
    done: CaseTask | bool | None = False,
) -> None:
    """Save the engine state, bring the task table and deadlines in step, apply effects.

    `open_rows` (the case's task rows open before the run, by engine task id) and `deadlines`
    (`case_deadlines`) are read here unless the caller already has them. `done`: the task this
    run completed, None for a case just started (it has done nothing), False if unknown; it
    names the officer who keeps a lane's next step without a query (`sticky_claimer`)."""
    from .case_effects import apply_effect

    eng = engine()
    ready = {t.id: t for t in eng.ready_tasks(run)}
    if open_rows is None:
        open_rows = open_task_rows(case.id)
    if deadlines is None:
        deadlines = case_deadlines(case)
    for engine_id, row in open_rows.items():
        if engine_id not in ready:
            row.state = "cancelled"  # ended by a message (withdrawal) rather than by its form
            row.completed_at = ctx.now
    still_needed: set[str] = set()
    new_rows: list[CaseTask] = []
    for engine_id, t in ready.items():
        props = t.properties
        if props.get("deadline"):
            still_needed.add(props["deadline"])
        if props.get("pauses"):
            still_needed.add(props["pauses"])
        if engine_id in open_rows:
            continue
        carried = deadlines.get(props.get("deadline") or "")
        was_paused = carried is not None and carried.state == "paused"
        deadline = open_deadline(case, props, deadlines, cal=ctx.cal, today=ctx.today)
        if was_paused:
            # R-PAUSE: the material arrived; the clock goes on with the days that were left.
            log(
                case,
                ctx,
                "deadline_resumed",
                t.name,
                deadline=deadline.name,
                on=ctx.today.isoformat(),
                due_on=deadline.due_on.isoformat(),
            )
        if props.get("pauses"):
            stopped = deadlines.get(props["pauses"])
            running = stopped is not None and stopped.state == "running"
            pause_deadline(props["pauses"], deadlines, cal=ctx.cal, today=ctx.today)
            if running and stopped.state == "paused":
                # R-PAUSE: the time for supplementing material (补正) is not counted.
                log(
                    case,
                    ctx,
                    "deadline_paused",
                    t.name,
                    deadline=stopped.name,
                    on=ctx.today.isoformat(),
                    remaining=stopped.remaining,
                )
        new_row = CaseTask(
            case_id=case.id,
            engine_task_id=engine_id,
            name=t.name,
            title=t.title,
            lane=t.lane,
            process_id=case.process_id,
            bureau_code=case.deciding_bureau,
            operator_id=case.operator_id,
            form_key=props.get("formKey"),
            deadline_id=deadline.id if deadline else None,
            due_on=deadline.due_on if deadline else None,
            state="open",
            created_at=ctx.now,
            claimed_by=sticky_claimer(case, t.lane, done),
        )
        db.session.add(new_row)
        new_rows.append(new_row)
        log(
            case,
            ctx,
            "task_opened",
            t.name,
            lane=t.lane,
            due_on=deadline.due_on.isoformat() if deadline else None,
            deadline=props.get("deadline"),
        )
    ctx.deadlines[case.id] = deadlines
    for effect in run.effects:
        apply_effect(effect, case, ctx)
        log(case, ctx, f"effect:{effect}")
    run.effects.clear()
    # After the effects, so the case row is written once, by the flush below.
    case.next_due_on = close_deadlines(deadlines, still_needed, now=ctx.now)
    if eng.is_completed(run) and case.status == "open":
        case.status = "completed"
        case.completed_at = ctx.now
        log(case, ctx, "completed", outcome=case.outcome)
    case.state = eng.dump(run)
    case.serializer_version = eng.serializer_version
    try:
        db.session.flush()
    except StaleDataError:
        raise Conflict(
            "someone else changed this case at the same moment; reload and try again"
        ) from None
    write_log(ctx)
    still_open = [r for r in open_rows.values() if r.state == "open"] + new_rows
    ctx.open_tasks[case.id] = [
        {"id": r.id, "task": r.name, "lane": r.lane, "due_on": r.due_on}
        for r in sorted(still_open, key=lambda r: r.id)
    ]


_SIBLING = aliased(CaseTask)
# Built once (this runs on every completed task): the task, its case and the case's other
# open tasks, in one query.
_TASK_WITH_SIBLINGS = (
    select(CaseTask, Case)
    .join(Case, Case.id == CaseTask.case_id)
    .where(
        CaseTask.case_id
        == select(_SIBLING.case_id).where(_SIBLING.id == bindparam("task_id")).scalar_subquery(),
        or_(CaseTask.id == bindparam("task_id"), CaseTask.state == "open"),
    )
)


def _task_with_siblings(task_id: int) -> tuple[CaseTask, Case, list[CaseTask]]:
    rows = db.session.execute(_TASK_WITH_SIBLINGS, {"task_id": task_id}).all()
    task = next((t for t, _ in rows if t.id == task_id), None)
    if task is None:
        raise NotFound("no task %(task)s", task=task_id)
    return task, rows[0][1], [t for t, _ in rows if t.id != task_id]


def get_task(task_id: int) -> tuple[CaseTask, Case]:
    row = db.session.execute(
        select(CaseTask, Case).join(Case, Case.id == CaseTask.case_id).where(CaseTask.id == task_id)
    ).first()
    if row is None:
        raise NotFound("no task %(task)s", task=task_id)
    return row[0], row[1]


def complete_task(task_id: int, data: dict[str, Any], *, ctx: Ctx) -> Case:
    task, case, siblings = _task_with_siblings(task_id)
    if ctx.user is None or not can_see_case(ctx.user, case):
        raise NotFound("no task %(task)s", task=task_id)
    if task.state != "open":
        if task.state == "done":
            raise Conflict("task %(task)s is already done", task=task_id)
        raise Conflict("task %(task)s is already closed", task=task_id)
    if not can_act_on_task(ctx.user, task):
        if task.claimed_by not in (None, ctx.user.id):
            raise DomainError("this task is claimed by another officer", status=403)
        raise DomainError("you may not act on this task", status=403)
    _refuse_own_report(task, case, ctx)
    schema = TASK_FORMS.get(task.form_key or "")
    if schema is None:
        raise DomainError("task %(task)s has no known form", status=500, task=task.name)
    try:
        form = schema().load(data)
    except ValidationError as exc:
        raise DomainError(
            "the form has errors: %(errors)s", status=422, errors=exc.messages
        ) from None
    run = _load(case)
    try:
        engine().complete(run, task.engine_task_id, form)
    except WorkflowError as exc:
        raise Conflict(str(exc)) from None
    task.state, task.completed_at, task.completed_by = "done", ctx.now, ctx.actor
    if task.lane != Role.ENTERPRISE:
        task.claimed_by = ctx.user.id
    task.form_data = _plain(form)
    ctx.completed_forms[(case.id, task.name)] = task.form_data
    log(case, ctx, "task_completed", task.name, form=task.form_data)
    _after_run(case, run, ctx, open_rows={t.engine_task_id: t for t in siblings}, done=task)
    return case


def reported_by(case: Case, user) -> bool:
    """Whether `user` reported the error this correction case verifies (纠错, Art. 25)."""
    reporter = (case.subject or {}).get("reported_by")
    return (
        case.process_id == Process.CORRECTION and reporter is not None and reporter == user.username
    )


def _refuse_own_report(task: CaseTask, case: Case, ctx: Ctx) -> None:
    """Four eyes (Art. 25): the officer who reported an error (纠错) neither claims nor decides
    the verification; another officer of the bureau does."""
    if task.lane != Role.ENTERPRISE and reported_by(case, ctx.user):
        raise DomainError(
            "you reported this error yourself: another officer verifies the correction "
            "(four eyes, Art. 25)",
            status=403,
        )


def _plain(form: dict[str, Any]) -> dict[str, Any]:
    import json

    return json.loads(json.dumps(form, default=str))


def claim_task(task_id: int, *, ctx: Ctx) -> CaseTask:
    task, case = get_task(task_id)
    if ctx.user is None or not can_see_case(ctx.user, case):
        raise NotFound("no task %(task)s", task=task_id)
    if task.state != "open":
        raise Conflict("task %(task)s is no longer open", task=task_id)
    if not can_claim_task(ctx.user, task):
        raise DomainError("only officers of the task's bureau can claim it", status=403)
    _refuse_own_report(task, case, ctx)
    if task.claimed_by not in (None, ctx.user.id):
        raise Conflict("this task is already claimed by someone else")
    # One conditional UPDATE: of two officers claiming at once, the second waits for the
    # first's row lock and then finds the task claimed (409), instead of both being told yes.
    claimed = db.session.execute(
        update(CaseTask)
        .where(
            CaseTask.id == task.id,
            CaseTask.state == "open",
            or_(CaseTask.claimed_by.is_(None), CaseTask.claimed_by == ctx.user.id),
        )
        .values(claimed_by=ctx.user.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(task)
    if not claimed:
        if task.state != "open":
            raise Conflict("task %(task)s is no longer open", task=task_id)
        raise Conflict("this task is already claimed by someone else")
    log(case, ctx, "claimed", task.name)
    write_log(ctx)
    return task


def unclaim_task(task_id: int, *, ctx: Ctx) -> CaseTask:
    task, case = get_task(task_id)
    if ctx.user is None or task.claimed_by != ctx.user.id:
        raise DomainError("you can only unclaim a task you claimed", status=403)
    task.claimed_by = None
    log(case, ctx, "unclaimed", task.name)
    write_log(ctx)
    return task


def reassign_task(task_id: int, to_user: User, reason: str, *, ctx: Ctx) -> CaseTask:
    from app.permissions import can_reassign

    task, case = get_task(task_id)
    if ctx.user is None or not can_see_case(ctx.user, case):
        raise NotFound("no task %(task)s", task=task_id)
    if not can_reassign(ctx.user, task):
        raise DomainError("only a supervisor over this bureau can reassign its tasks", status=403)
    if not reason.strip():
        raise DomainError("a reassignment needs a reason", field="reason")
    if not can_claim_task(to_user, task):
        raise DomainError(
            "%(user)s is not an officer of bureau %(bureau)s",
            user=to_user.username,
            bureau=task.bureau_code,
        )
    task.claimed_by = to_user.id
    log(case, ctx, "reassigned", task.name, to=to_user.username, reason=reason)
    write_log(ctx)
    return task


def send_message(
    case: Case,
    message: str,
    *,
    ctx: Ctx,
    open_rows: dict[str, CaseTask] | None = None,
    deadlines: dict | None = None,
) -> bool:
    """Deliver `message` to the case; `open_rows` and `deadlines` as for `_after_run`, when the
    caller read them for many cases at once."""
    run = _load(case)
    caught = engine().send(run, message)
    if caught:
        _after_run(case, run, ctx, open_rows=open_rows, deadlines=deadlines)
    return caught


def withdraw_case(case_id: int, *, ctx: Ctx) -> Case:
    case = db.session.get(Case, case_id)
    if case is None or ctx.user is None or not can_see_case(ctx.user, case):
        raise NotFound("no case %(case)s", case=case_id)
    if ctx.user.role != Role.ENTERPRISE or ctx.user.operator_id != case.operator_id:
        raise DomainError("only the enterprise that filed a case can withdraw it", status=403)
    if case.status != "open" or not send_message(case, "withdraw", ctx=ctx):
        raise Conflict("this case can no longer be withdrawn (it has been decided or closed)")
    return case


def load_run(case: Case) -> Run:
    """The case's workflow in memory, for reading it (its diagram); its stored definition is
    deployed again if the app no longer ships it."""
    return _load(case)

"""Demo users and cases in every state, on top of the synthetic province (`flask credit demo`).

Cases are made through the real services with the clock set back, so deadlines really pass:
an objection overdue in the city queue, one awaiting its decision, one resolved, a repair
paused for material, a withdrawn repair, reward proposals, notices delivered or announced.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from app.auth import create_user, issue_token
from app.extensions import db
from models import Bureau, LedgerEntry, Matter, Operator, ScoringObject, User

# Every demo account signs in on the web with this password (printed with the logins).
DEMO_PASSWORD = "demo-2026"

DEMO_USERS = [
    # username, role, bureau, display name
    ("admin", "admin", None, "系统管理员 Administrator"),
    ("gd_supervisor", "supervisor", "440000", "省局监督员 Provincial supervisor"),
    ("gd_officer", "officer", "440000", "省局承办人 Provincial officer"),
]


def _seller_with_deductions(city: str, since: date) -> list[Operator]:
    """Sellers of `city` with a repairable deduction of their own, scored by that city."""
    rows = db.session.execute(
        select(Operator, db.func.count(LedgerEntry.id))
        .join(ScoringObject, ScoringObject.operator_id == Operator.id)
        .join(LedgerEntry, LedgerEntry.object_id == ScoringObject.id)
        .join(Matter, Matter.id == LedgerEntry.matter_id)
        .where(
            ScoringObject.kind == "operator",
            LedgerEntry.kind == "DEDUCTION",
            Matter.bureau_code == city,
            Operator.filing_complete.is_(True),
            Matter.intentional.is_(False),
            Matter.effective_on > since,
        )
        .group_by(Operator.id)
        .order_by(Operator.id)
    ).all()
    return [op for op, _n in rows]


def _deductions(operator: Operator, since: date, until: date, city: str) -> list[int]:
    """The operator's own deductions of `city` that still count on every day the demo files a case:
    effective by `until` (the earliest filing day) and never voided, replaced or repaired
    (no entry targets them). A larger province has such entries among its sellers' (a
    deduction effective a day ago cannot be repaired three days ago)."""
    targeted = select(LedgerEntry.target_id).where(LedgerEntry.target_id.is_not(None))
    return list(
        db.session.scalars(
            select(LedgerEntry.id)
            .join(ScoringObject, ScoringObject.id == LedgerEntry.object_id)
            .join(Matter, Matter.id == LedgerEntry.matter_id)
            .where(
                ScoringObject.operator_id == operator.id,
                Matter.bureau_code == city,
                ScoringObject.kind == "operator",
                LedgerEntry.kind == "DEDUCTION",
                Matter.intentional.is_(False),
                Matter.effective_on > since,
                LedgerEntry.effective_on <= until,
                LedgerEntry.id.not_in(targeted),
            )
            .order_by(LedgerEntry.effective_on.desc())
        )
    )


def _user(
    username: str,
    role: str,
    name: str,
    at: datetime,
    *,
    bureau: str | None = None,
    operator_id: int | None = None,
) -> tuple[User, str]:
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        user = create_user(
            username,
            role,
            display_name=name,
            at=at,
            bureau_code=bureau,
            operator_id=operator_id,
            password=DEMO_PASSWORD,
        )
    token = issue_token(user, name="demo", at=at)
    db.session.flush()
    return user, token


def build_demo_cases(*, today: date, at: datetime) -> list[str]:
    from app.services import applications, cases
    from app.services.scheduler import tick

    lines: list[str] = []
    logins: list[tuple[str, str, str]] = []
    for username, role, bureau, name in DEMO_USERS:
        user, token = _user(username, role, name, at, bureau=bureau)
        logins.append((username, role + (f" {bureau}" if bureau else ""), token))
    if db.session.scalar(select(db.func.count()).select_from(cases.Case)):
        lines.append("demo cases already exist: tokens re-issued")
        return lines + _login_lines(logins)

    city = db.session.scalar(
        select(Matter.bureau_code)
        .join(Bureau, Bureau.code == Matter.bureau_code)
        .where(Bureau.level == "city", Matter.source == "matter")
        .group_by(Matter.bureau_code)
        .order_by(db.func.count().desc(), Matter.bureau_code)
        .limit(1)
    )
    officer, officer_token = _user(
        f"{city}_officer", "officer", f"承办人 Officer {city}", at, bureau=city
    )
    supervisor, sup_token = _user(
        f"{city}_supervisor", "supervisor", f"监督员 Supervisor {city}", at, bureau=city
    )
    logins += [
        (officer.username, f"officer {city}", officer_token),
        (supervisor.username, f"supervisor {city}", sup_token),
    ]
    since = today - timedelta(days=900)  # well inside the 36-month window
    first_filing = today - timedelta(days=10)
    sellers = [
        op
        for op in _seller_with_deductions(city, since)
        if _deductions(op, since, first_filing, city)
    ][:5]
    enterprises = []
    for n, op in enumerate(sellers):
        user, token = _user(f"enterprise{n + 1}", "enterprise", op.name, at, operator_id=op.id)
        enterprises.append((user, op))
        logins.append((user.username, f"enterprise {op.uscc}", token))

    def ctx(days_ago: int, user: User | None = None) -> cases.Ctx:
        when = today - timedelta(days=days_ago)
        return cases.Ctx(
            actor=user.username if user else "demo",
            today=when,
            now=at - timedelta(days=days_ago),
            user=user,
        )

    # Notices go out ten days ago (delivered to the portal for enterprises with accounts).
    tick(ctx=ctx(10), commit=db.session.flush)
    made: list[str] = []
    for n, (user, op) in enumerate(enterprises):
        entry = _deductions(op, since, first_filing, city)[0]
        if n == 0:  # filed ten days ago, never accepted: overdue now
            case = applications.file_objection([entry], "演示：对认定事实有异议", ctx=ctx(10, user))
            made.append(f"objection {case.id}: overdue in the {city} queue")
        elif n == 1:  # filed today: awaiting acceptance
            case = applications.file_objection([entry], "演示：记分依据有误", ctx=ctx(0, user))
            made.append(f"objection {case.id}: waiting for acceptance")
        elif n == 2:  # a repair paused for material, then another withdrawn
            case = applications.file_repair(
                entry,
                {
                    "not_intentional_statement": "演示：非主观故意",
                    "rectification": "已整改",
                    "undertaking": True,
                },
                ctx=ctx(3, user),
            )
            task = db.session.scalar(
                select(cases.CaseTask).where(cases.CaseTask.case_id == case.id)
            )
            cases.complete_task(
                task.id, {"decision": "need_more", "reasons": "请补充整改照片"}, ctx=ctx(2, officer)
            )
            made.append(f"repair {case.id}: paused, waiting for the enterprise's material")
        elif n == 4:  # an objection withdrawn by the enterprise
            case = applications.file_objection([entry], "演示：稍后撤回", ctx=ctx(5, user))
            cases.withdraw_case(case.id, ctx=ctx(4, user))
            made.append(f"objection {case.id}: withdrawn")
        else:  # an objection resolved (revoked)
            case = applications.file_objection([entry], "演示：非本企业行为", ctx=ctx(8, user))
            for data, days in (
                ({"decision": "accept"}, 7),
                ({"outcome": "revoked", "reasons": "演示：核实有误"}, 2),
            ):
                task = db.session.scalar(
                    select(cases.CaseTask).where(
                        cases.CaseTask.case_id == case.id, cases.CaseTask.state == "open"
                    )
                )
                cases.complete_task(task.id, data, ctx=ctx(days, officer))
            made.append(f"objection {case.id}: resolved, entry revoked")
    tick(ctx=ctx(0), commit=db.session.flush)
    lines += [f"demo case {m}" for m in made]
    lines += _demo_plan(supervisor, city, today=today, at=at)
    return lines + _login_lines(logins)


def _demo_plan(supervisor: User, city: str, *, today: date, at: datetime) -> list[str]:
    """This year's inspection plan of the demo city, drawn with a fixed seed (reproducible)."""
    from app.errors import DomainError
    from app.services.inspection_plans import generate_plan

    try:
        plan, _data = generate_plan(
            year=today.year, bureau=city, seed=2021, user=supervisor, today=today, now=at
        )
    except DomainError as err:  # e.g. no classification run this year
        return [f"demo inspection plan: not drawn ({err.message})"]
    return [f"demo inspection plan {plan.id}: {city} {today.year}, seed 2021"]


def _login_lines(logins: list[tuple[str, str, str]]) -> list[str]:
    out = [
        "",
        f"Demo logins: sign in at /login with the username and the password {DEMO_PASSWORD!r};",
        "the API token of each is sent as 'Authorization: Bearer TOKEN':",
    ]
    out += [f"  {u:<22} {role:<32} {token}" for u, role, token in logins]
    return out

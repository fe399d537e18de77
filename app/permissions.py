"""Named permission predicates, used by views, queries and templates alike."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app.codes import Role
from app.extensions import db
from models import Bureau, Case, CaseTask, User

STAFF = (Role.OFFICER, Role.SUPERVISOR)
_TREE_KEY = "bureau_tree"


def bureau_tree_codes(code: str) -> frozenset[str]:
    """A bureau and all below it."""
    return _subtree(code, _tree())


def _tree() -> tuple[tuple[str, str | None], ...]:
    """(code, parent) of every bureau, read once per transaction (~140 rows), so that a bureau
    added or moved by an import counts from the next transaction in every worker; the trees
    computed from the rows are cached by their content."""
    tree = db.session.info.get(_TREE_KEY)
    if tree is None:
        # Plain tuples, not result rows: the caches below hash and compare the whole tree on
        # every call, which is C-fast for tuples of strings and slow for Row objects.
        tree = db.session.info[_TREE_KEY] = tuple(
            (code, parent)
            for code, parent in db.session.execute(
                select(Bureau.code, Bureau.parent_code).order_by(Bureau.code)
            )
        )
    return tree


def scope_filter(column, codes: frozenset[str] | None) -> list:
    """The condition that a bureau column (a non-null foreign key to the bureau table) is one of
    `codes`: none when the scope is None or holds every bureau, where it could not exclude a
    row but would send the whole tree as parameters of every statement."""
    return [] if every_bureau(codes) else [column.in_(sorted(codes))]


def every_bureau(codes: frozenset[str] | None) -> bool:
    """True when a bureau scope (None: all) holds every bureau."""
    return codes is None or len(codes) >= len(_tree())


def forget_bureau_tree() -> None:
    """Called where the tree changes, so the rest of that transaction sees the change too."""
    db.session.info.pop(_TREE_KEY, None)


@event.listens_for(Session, "after_transaction_end")
def _forget_at_transaction_end(session: Session, transaction) -> None:
    if transaction.parent is None:  # the outermost one: flushes end inner ones all the time
        session.info.pop(_TREE_KEY, None)


@lru_cache(maxsize=4)
def _parents(tree: tuple[tuple[str, str | None], ...]) -> dict[str, str | None]:
    return dict(tree)


@lru_cache(maxsize=512)
def _subtree(code: str, tree: tuple[tuple[str, str | None], ...]) -> frozenset[str]:
    children: dict[str | None, list[str]] = {}
    for c, p in tree:
        children.setdefault(p, []).append(c)
    out, stack = set(), [code]
    while stack:
        c = stack.pop()
        if c in out:  # a cycle in the tree (refused on every write) must not hang a request
            continue
        out.add(c)
        stack.extend(children.get(c, ()))
    return frozenset(out)


def chain_up(code: str | None, parent_of: Callable[[str], str | None]) -> list[str]:
    """`code` and every bureau above it, nearest first. Stops at the first bureau met twice,
    so a cycle in the tree (refused on every write, but rows can be edited by hand) can never
    make a request walk forever."""
    out: list[str] = []
    seen: set[str] = set()
    current = code
    while current and current not in seen:
        seen.add(current)
        out.append(current)
        current = parent_of(current)
    return out


def bureau_ancestors(code: str) -> list[str]:
    """The bureau and every bureau above it (whose supervisors watch it)."""
    return chain_up(code, _parents(_tree()).get)


def supervises(user: User, bureau_code: str) -> bool:
    return (
        user.role == Role.SUPERVISOR
        and user.bureau_code is not None
        and bureau_code in bureau_tree_codes(user.bureau_code)
    )


def can_see_case(user: User, case: Case) -> bool:
    if user.role == Role.ADMIN:
        return True
    if user.role == Role.ENTERPRISE:
        return user.operator_id == case.operator_id
    if user.role == Role.OFFICER:
        return user.bureau_code == case.deciding_bureau
    return supervises(user, case.deciding_bureau)


def can_see_attachments(user: User, case: Case) -> bool:
    """Evidence files of a case: the enterprise whose case it is, officers of the deciding
    bureau and supervisors over it; nobody else (administrators neither)."""
    if user.role == Role.ENTERPRISE:
        return user.operator_id == case.operator_id
    if user.role == Role.OFFICER:
        return user.bureau_code == case.deciding_bureau
    if user.role == Role.SUPERVISOR:
        return supervises(user, case.deciding_bureau)
    return False


def can_claim_task(user: User, task: CaseTask) -> bool:
    return (
        task.lane != Role.ENTERPRISE and user.role in STAFF and user.bureau_code == task.bureau_code
    )


def can_act_on_task(user: User, task: CaseTask) -> bool:
    if task.lane == Role.ENTERPRISE:
        return user.role == Role.ENTERPRISE and user.operator_id == task.operator_id
    return can_claim_task(user, task) and task.claimed_by in (None, user.id)


def can_reassign(user: User, task: CaseTask) -> bool:
    return supervises(user, task.bureau_code)


def can_start_for_operator(user: User, operator_id: int) -> bool:
    """Enterprises file repairs, objections and reward applications for themselves only."""
    return user.role == Role.ENTERPRISE and user.operator_id == operator_id


def can_report_error(user: User) -> bool:
    """Anyone inside the administration may report an error (Art. 25)."""
    return user.role in (*STAFF, Role.ADMIN)


def can_record_concealment(user: User, operator_bureau: str) -> bool:
    """A finding of concealment (隐瞒, Art. 14(3)) is recorded and cleared by staff of the
    operator's bureau or of a bureau above it."""
    return (
        user.role in STAFF
        and user.bureau_code is not None
        and operator_bureau in bureau_tree_codes(user.bureau_code)
    )


def can_see_operator_records(user: User, operator_id: int, bureau_codes) -> bool:
    """Documents about one operator (letters, notices, its class): the enterprise its own;
    an officer of one of the bureaus concerned; a supervisor over one of them; admins all."""
    if user.role == Role.ADMIN:
        return True
    if user.role == Role.ENTERPRISE:
        return user.operator_id == operator_id
    codes = [c for c in bureau_codes if c]
    if user.role == Role.OFFICER:
        return user.bureau_code in codes
    return any(supervises(user, c) for c in codes)


def export_bureaus(user: User) -> frozenset[str] | None:
    """What a user may export or count (Art. 31, 32): a staff member's bureau and all below it;
    None for an administrator (everything)."""
    if user.role == Role.ADMIN:
        return None
    if user.role in STAFF and user.bureau_code:
        return bureau_tree_codes(user.bureau_code)
    return frozenset()


def can_see_measure(user: User, measure) -> bool:
    """A measure (监管措施): the enterprise its own; an officer their bureau's; a supervisor
    their tree's."""
    if user.role == Role.ADMIN:
        return True
    if user.role == Role.ENTERPRISE:
        return user.operator_id == measure.operator_id
    if user.role == Role.OFFICER:
        return user.bureau_code == measure.bureau_code
    return supervises(user, measure.bureau_code)


def can_complete_measure(user: User, measure) -> bool:
    """Staff of the responsible bureau (or a supervisor above it) record interviews, training
    and delivered notices."""
    if user.role == Role.OFFICER:
        return user.bureau_code == measure.bureau_code
    return supervises(user, measure.bureau_code)


def measure_bureaus(user: User) -> frozenset[str] | None:
    """The bureaus whose measures a staff user sees (None: all, for administrators)."""
    if user.role == Role.ADMIN:
        return None
    if user.role == Role.OFFICER and user.bureau_code:
        return frozenset({user.bureau_code})
    if user.role == Role.SUPERVISOR and user.bureau_code:
        return bureau_tree_codes(user.bureau_code)
    return frozenset()


def can_plan_inspections(user: User, bureau_code: str) -> bool:
    """Inspection plans: staff, for their bureau or any bureau below it."""
    return (
        user.role in STAFF
        and user.bureau_code is not None
        and bureau_code in bureau_tree_codes(user.bureau_code)
    )


def can_see_matter(user: User, bureau_code: str) -> bool:
    """A recorded matter (质量信用事项) and its entries: officers of the bureau that recorded
    it, supervisors over that bureau, administrators."""
    if user.role == Role.ADMIN:
        return True
    if user.role == Role.OFFICER:
        return user.bureau_code == bureau_code
    return supervises(user, bureau_code)

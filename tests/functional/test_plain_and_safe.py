"""Issue 15, parts 1 and 2 on the demo province through the Flask test client: titles instead
of codes (task titles, history lines, notifications), form errors in the page's language next
to their fields, and safe actions — post/redirect/get, a withdrawal confirmed first, no repair or
objection offered for a settled deduction, four eyes on a correction."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from .pages import CJK, build_demo, signed_in


@pytest.fixture(scope="module")
def demo(database_template, tmp_path_factory):
    app, city = build_demo(database_template, tmp_path_factory)
    yield app, city
    from app.extensions import db

    with app.app_context():
        db.engine.dispose()


def _case_of(app, username: str, status: str = "open", process: str = "objection"):
    from app.extensions import db
    from models import Case, User

    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        return db.session.scalar(
            select(Case.id)
            .where(
                Case.operator_id == user.operator_id,
                Case.status == status,
                Case.process_id == process,
            )
            .order_by(Case.id)
        )


def _field_errors(html: str) -> dict[str, str]:
    """{field name: its error text} of a rendered form (app/templates/web/_form.html)."""
    out = {}
    for block in re.findall(r'<div class="field invalid">(.*?)</div>', html, re.S):
        name = re.search(r'name="([^"]+)"', block)
        error = re.search(r'<p class="error" role="alert">(.*?)</p>', block, re.S)
        if name and error:
            out[name.group(1)] = error.group(1).strip()
    return out


# ---- part 1: titles, not codes --------------------------------------------------------------


def test_task_titles_are_in_the_language_of_the_page(demo):
    """ "审查是否受理 Decide acceptance" was the title on both pages: one language each."""
    app, city = demo
    zh = signed_in(app, f"{city}_officer", "zh").get("/inbox/").get_data(as_text=True)
    en = signed_in(app, f"{city}_officer", "en").get("/inbox/").get_data(as_text=True)
    assert "审查是否受理" in zh and "Decide acceptance" not in zh
    assert "Decide acceptance" in en and "审查是否受理" not in en


def test_case_history_shows_field_titles_and_decision_titles_not_codes(demo):
    """`decision：accept` became 是否受理：受理 (Accept?: Accept in English)."""
    app, _city = demo
    case_id = _case_of(app, "enterprise4", "completed")
    zh = signed_in(app, "enterprise4", "zh").get(f"/portal/cases/{case_id}").get_data(as_text=True)
    lines = re.findall(r'data-testid="form-line">(.*?)</small>', zh)
    assert "是否受理：受理" in lines and "处理结果：撤销记分" in lines
    assert not any(re.search(r"\b(decision|outcome|accept|revoked)\b", line) for line in lines)
    en = signed_in(app, "enterprise4", "en").get(f"/portal/cases/{case_id}").get_data(as_text=True)
    lines = re.findall(r'data-testid="form-line">(.*?)</small>', en)
    assert "Accept?: Accept" in lines and "Outcome: Revoke the points" in lines


def test_overdue_notifications_are_stored_by_key_and_shown_in_each_language(demo):
    app, city = demo
    from app.extensions import db
    from models import Notification

    with app.app_context():
        stored = db.session.scalar(
            select(Notification.message).where(Notification.kind == "overdue")
        )
    assert '"key": "overdue"' in stored and "deduction_notice" in stored  # code + params
    zh = signed_in(app, f"{city}_supervisor", "zh").get("/supervision/notifications")
    en = signed_in(app, f"{city}_supervisor", "en").get("/supervision/notifications")
    zh, en = zh.get_data(as_text=True), en.get_data(as_text=True)
    assert re.search(r"案件 \d+（记分告知）已超过法定期限：记分告知。", zh)
    assert "deduction_notice" not in zh and "is overdue" not in zh
    assert re.search(r"Case \d+ \(Scoring notice\) has passed its legal deadline: ", en)
    assert "记分告知" not in en


def test_a_notification_written_before_keys_is_shown_as_it_was(demo):
    app, _city = demo
    from flask_babel import gettext

    from app.codes import message, render_message

    old = "案件 278（deduction_notice）已超过法定期限 notify。Case 278 is overdue."
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert render_message(old, gettext) == old
        assert render_message(message("reward_granted"), gettext) == (
            "Your reward application was verified and the points granted."
        )
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        shown = render_message(
            message("objection_resolved", outcome="amended", reasons="x"), gettext
        )
        assert shown == "异议处理结果：变更记分。x"


def test_an_empty_form_shows_every_error_at_once_next_to_its_field_in_the_page_language(demo):
    app, city = demo
    for lang in ("zh", "en"):
        client = signed_in(app, f"{city}_officer", lang)
        page = client.post("/inbox/matters/new", data={})
        assert page.status_code == 422
        errors = _field_errors(page.get_data(as_text=True))
        assert len(errors) >= 3, errors  # every required field at once, each beside its field
        for name, text in errors.items():
            if lang == "zh":
                assert CJK.search(text) and not re.search(r"[A-Za-z]{3,}", text), (name, text)
            else:
                assert not CJK.search(text), (name, text)


@pytest.mark.parametrize(
    ("message", "zh", "en"),
    [
        (
            "Length must be between 1 and 5000.",
            "请填写1至5000个字符。",
            "Write 1 to 5000 characters.",
        ),
        (
            "Must be one of: accept, reject.",
            "请从列出的选项中选择一项。",
            "Choose one of the options listed.",
        ),
        (
            "Must be greater than 0 and less than or equal to 12.",
            "请填写大于0且不超过12的数。",
            "Give a number above 0 and at most 12.",
        ),
        ("Missing data for required field.", "此项为必填项。", "Missing data for required field."),
        (
            "invalid Unified Social Credit Code '91440101X': The number's checksum is invalid.",
            "统一社会信用代码91440101X无效：请核对各位字符和校验位。",
            "The Unified Social Credit Code 91440101X is not valid: check its characters and "
            "check digit.",
        ),
    ],
)
def test_marshmallow_messages_are_translated_with_their_values(demo, message, zh, en):
    app, _city = demo
    from app.web.forms import error_text

    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert error_text(message) == zh
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert error_text(message) == en


def test_the_signed_out_menu_is_shown_once(demo):
    app, _city = demo
    html = signed_in(app, None).get("/").get_data(as_text=True)
    menu = re.search(r'<nav class="menu".*?</nav>', html, re.S).group(0)
    for path in ("/public/a-class", "/public/dishonesty", "/public/search"):
        assert menu.count(f'href="{path}"') == 1, path


# ---- part 2: safe actions -------------------------------------------------------------------


def test_issuing_a_token_redirects_and_shows_the_token_once(demo):
    """Post/redirect/get: Back or reload after the form never posts it again."""
    app, _city = demo
    client = signed_in(app, "enterprise1")
    posted = client.post("/account/tokens", data={"name": "erp", "scopes": ["read"]})
    assert posted.status_code == 303 and posted.headers["Location"].endswith("/account/tokens")
    first = client.get("/account/tokens").get_data(as_text=True)
    assert 'data-testid="new-token"' in first
    again = client.get("/account/tokens").get_data(as_text=True)
    assert 'data-testid="new-token"' not in again and "erp" in again


def test_withdrawing_asks_for_confirmation_and_says_it_cannot_be_undone(demo):
    app, _city = demo
    from app.extensions import db
    from models import Case

    case_id = _case_of(app, "enterprise2")
    client = signed_in(app, "enterprise2")
    page = client.get(f"/portal/cases/{case_id}").get_data(as_text=True)
    form = re.search(r'<form[^>]*data-testid="withdraw".*?</form>', page, re.S).group(0)
    assert 'name="confirm"' in form and "不能恢复" in form
    refused = client.post(f"/portal/cases/{case_id}/withdraw", data={})
    assert refused.status_code == 422 and "请勾选确认" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Case, case_id).status == "open"
    done = client.post(f"/portal/cases/{case_id}/withdraw", data={"confirm": "1"})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/portal/cases/{case_id}")
    with app.app_context():
        assert db.session.get(Case, case_id).status == "withdrawn"


def test_a_revoked_or_pending_deduction_offers_no_repair_or_objection(demo):
    app, _city = demo
    from app.extensions import db
    from models import Case, LedgerEntry, User

    with app.app_context():
        voided = db.session.scalar(select(LedgerEntry.target_id).where(LedgerEntry.kind == "VOID"))
        owner = db.session.scalar(
            select(User.username)
            .join(LedgerEntry, LedgerEntry.operator_id == User.operator_id)
            .where(LedgerEntry.id == voided)
        )
        pending = db.session.scalar(
            select(Case.subject).where(Case.process_id == "objection", Case.status == "open")
        )["entry_ids"][0]
        pending_owner = db.session.scalar(
            select(User.username)
            .join(LedgerEntry, LedgerEntry.operator_id == User.operator_id)
            .where(LedgerEntry.id == pending)
        )
        object_id = db.session.get(LedgerEntry, voided).object_id
    client = signed_in(app, owner)
    page = client.get(f"/portal/objects/{object_id}").get_data(as_text=True)
    assert f'data-entry="{voided}"' not in page  # a revoked entry no longer counts, no button
    for kind in ("repair", "objection"):
        answer = client.get(f"/portal/apply/{kind}?entry={voided}")
        assert answer.status_code == 409 and "已撤销" in answer.get_data(as_text=True), kind
        answer = signed_in(app, pending_owner).get(f"/portal/apply/{kind}?entry={pending}")
        assert answer.status_code == 409 and "正在办理" in answer.get_data(as_text=True), kind


def test_four_eyes_the_officer_who_reported_an_error_does_not_decide_its_correction(demo):
    app, city = demo
    from app.auth import create_user
    from app.errors import DomainError
    from app.extensions import db
    from app.services.cases import Ctx, claim_task, complete_task
    from models import Case, CaseTask, LedgerEntry, Matter, User

    with app.app_context():
        entry = db.session.scalar(
            select(LedgerEntry.id)
            .join(Matter, Matter.id == LedgerEntry.matter_id)
            .where(LedgerEntry.kind == "DEDUCTION", Matter.bureau_code == city)
            .order_by(LedgerEntry.id.desc())
        )
        create_user(f"{city}_officer2", "officer", display_name="2", at=_now(), bureau_code=city)
        db.session.commit()
    reporter = signed_in(app, f"{city}_officer")
    posted = reporter.post(
        f"/inbox/entries/{entry}/correction", data={"entry_id": entry, "description": "文书号有误"}
    )
    assert posted.status_code == 302
    case_id = int(posted.headers["Location"].rsplit("/", 1)[1])
    page = reporter.get(f"/inbox/cases/{case_id}").get_data(as_text=True)
    assert 'data-testid="own-report"' in page
    assert 'data-testid="claim"' not in page and 'data-testid="task-form"' not in page
    with app.app_context():
        task = db.session.scalar(select(CaseTask).where(CaseTask.case_id == case_id))
        task_id = task.id
    assert reporter.post(f"/inbox/tasks/{task_id}/claim").status_code == 403
    decision = {"decision": "no_error", "reasons": "核实无误"}
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == f"{city}_officer"))
        with pytest.raises(DomainError, match="four eyes") as refused:
            complete_task(task_id, decision, ctx=Ctx(user.username, _today(), _now(), user=user))
        assert refused.value.status == 403
        db.session.rollback()
        other = db.session.scalar(select(User).where(User.username == f"{city}_officer2"))
        ctx = Ctx(other.username, _today(), _now(), user=other)
        claim_task(task_id, ctx=ctx)
        complete_task(task_id, decision, ctx=ctx)
        db.session.commit()
        assert db.session.get(Case, case_id).outcome == "no_error"


def _today():
    from datetime import date

    return date(2026, 11, 26)


def _now():
    from datetime import UTC, datetime

    return datetime(2026, 11, 26, 2, 0, tzinfo=UTC)

"""The message catalogues: every text has its other language, and every translation fills the
same placeholders as its source (a missing one would break the page that shows it)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u4e00-\u9fff]")


def catalog(lang: str):
    with (ROOT / "app" / "translations" / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=lang)


def texts(lang: str):
    for message in catalog(lang):
        if message.id:
            msgid = message.id if isinstance(message.id, str) else message.id[0]
            msgstr = message.string if isinstance(message.string, str) else message.string[0]
            yield msgid, msgstr


def test_every_english_refusal_has_its_chinese_text():
    """Page texts are written in Chinese; refusals in English: the Chinese pages show each
    refusal in Chinese."""
    missing = [msgid for msgid, msgstr in texts("zh") if not CJK.search(msgid) and not msgstr]
    assert missing == []


def test_every_chinese_page_text_has_its_english_text():
    missing = [msgid for msgid, msgstr in texts("en") if CJK.search(msgid) and not msgstr]
    assert missing == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_translations_fill_the_same_placeholders(lang):
    problems = [(message.id, [str(e) for e in errors]) for message, errors in catalog(lang).check()]
    assert problems == []


def test_a_refusal_shows_in_chinese_with_its_values():
    from app.errors import NotFound
    from app.factory import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    err = NotFound("no case %(case)s", case=42)
    assert err.message == "no case 42"  # the API's answer
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert err.translated() == "没有编号为 42 的案件"

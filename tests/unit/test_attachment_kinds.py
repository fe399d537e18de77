"""Evidence files are judged by their content (magic bytes; for ZIP packages the part a reader
needs), and the folder store keeps bytes under keys the app makes, never a user's path."""

from __future__ import annotations

import io
import zipfile

import pytest

from app.attachments import FolderStore, sniff
from app.attachments.kinds import kind_of_name


def _zip(*names: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n in names:
            z.writestr(n, b"<x/>")
    return buf.getvalue()


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"%PDF-1.4\n%%EOF", "pdf"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "png"),
        (_zip("OFD.xml", "Doc_0/Document.xml"), "ofd"),
        (_zip("[Content_Types].xml", "word/document.xml"), "docx"),
        (_zip("[Content_Types].xml", "xl/workbook.xml"), "xlsx"),
    ],
)
def test_each_accepted_kind_is_recognised_by_its_content(data, kind):
    assert sniff(data).code == kind


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"%PD",  # one byte short of the PDF signature
        b"\x89PNG\r\n\x1a",  # a PNG signature cut short
        b"MZ\x90\x00",  # a Windows program
        b"GIF89a",
        _zip("[Content_Types].xml", "ppt/presentation.xml"),  # an office file of another kind
        b"PK\x03\x04 not really a zip",
        b"<html>%PDF-1.4",  # the signature must open the file
    ],
)
def test_anything_else_is_no_accepted_kind(data):
    assert sniff(data) is None


def test_the_name_claims_a_kind_by_its_extension_only():
    assert kind_of_name("整改照片.JPG").code == "jpeg"
    assert kind_of_name("a.jpeg").code == "jpeg"
    assert kind_of_name("report.pdf.exe") is None
    assert kind_of_name("pdf") is None


def test_folder_store_round_trip_and_refuses_keys_it_did_not_make(tmp_path):
    store = FolderStore(tmp_path)
    store.put("12/" + "a" * 32, b"bytes", "application/pdf")
    assert store.get("12/" + "a" * 32) == b"bytes"
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == ["a" * 32]
    store.delete("12/" + "a" * 32)
    assert list((tmp_path / "12").iterdir()) == []
    for bad in ("../etc/passwd", "12/../../x", "12/" + "A" * 32, "x/" + "a" * 32):
        with pytest.raises(ValueError):
            store.put(bad, b"x", "application/pdf")

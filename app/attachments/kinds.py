"""The kinds of evidence file accepted, each recognised by its content (magic bytes, and for
the ZIP-based formats the parts a reader needs), never by its name alone.

Standard library only: PDF, JPEG and PNG by their signatures; OFD (GB/T 33190), DOCX and XLSX
are ZIP packages, told apart by the part at their root (OFD.xml, word/document.xml,
xl/workbook.xml). A ZIP's directory is read, never its contents, so a crafted archive costs
nothing to check.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass


@dataclass(frozen=True)
class FileKind:
    code: str
    mimetype: str
    extensions: tuple[str, ...]


KINDS: dict[str, FileKind] = {
    k.code: k
    for k in (
        FileKind("pdf", "application/pdf", (".pdf",)),
        FileKind("jpeg", "image/jpeg", (".jpg", ".jpeg")),
        FileKind("png", "image/png", (".png",)),
        FileKind("ofd", "application/ofd", (".ofd",)),
        FileKind(
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            (".docx",),
        ),
        FileKind(
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            (".xlsx",),
        ),
    )
}

_ZIP_PARTS = (("ofd", "OFD.xml"), ("docx", "word/document.xml"), ("xlsx", "xl/workbook.xml"))


def sniff(data: bytes) -> FileKind | None:
    """The kind the bytes are, or None for anything else."""
    if data.startswith(b"%PDF-"):
        return KINDS["pdf"]
    if data.startswith(b"\xff\xd8\xff"):
        return KINDS["jpeg"]
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return KINDS["png"]
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                names = set(z.namelist())
        except (zipfile.BadZipFile, ValueError, OSError):
            return None
        for code, part in _ZIP_PARTS:
            if part in names:
                return KINDS[code]
    return None


def kind_of_name(filename: str) -> FileKind | None:
    """The kind a file's name claims (by its extension), or None."""
    lower = filename.lower()
    return next((k for k in KINDS.values() if lower.endswith(k.extensions)), None)

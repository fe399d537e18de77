"""Evidence files (证据材料) attached to a case: checked before anything is filed, stored in the
file store, listed on the case and recorded with their SHA-256 in the case history.

A submission with one bad file is refused whole (422), so nothing half-arrives. The bytes are
written to the store before the transaction commits; if it then rolls back, the files written
for it are deleted again."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from app.attachments import KINDS, FileKind, sniff
from app.attachments.kinds import kind_of_name
from app.attachments.store import file_store
from app.errors import DomainError
from app.extensions import db
from app.permissions import can_see_attachments
from models import Attachment, Case, CaseTask

from .cases import Ctx, log, write_log

ACCEPTED = "PDF, JPEG, PNG, OFD, DOCX, XLSX"
_PENDING = "attachment_keys_written"
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]")


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes
    kind: FileKind
    sha256: str


def _clean_name(raw: str) -> str:
    base = re.split(r"[/\\]", raw)[-1]
    name = _UNSAFE.sub("", base).strip().lstrip(".")
    return name[-200:] if len(name) > 200 else name


def read_uploads(files: Iterable[Any]) -> list[Upload]:
    """The files of a form (werkzeug FileStorage: `.filename`, `.stream`), each checked:
    at most ATTACHMENTS_PER_UPLOAD, each at most ATTACHMENT_MAX_BYTES, of an accepted kind by
    its name and by its content alike. Empty file inputs are skipped."""
    cfg = current_app.config
    limit, most = cfg["ATTACHMENT_MAX_BYTES"], cfg["ATTACHMENTS_PER_UPLOAD"]
    chosen = [f for f in files if getattr(f, "filename", None)]
    if len(chosen) > most:
        raise DomainError("at most %(n)s files can be attached at once", field="files", n=most)
    out: list[Upload] = []
    for f in chosen:
        name = _clean_name(f.filename) or "file"
        data = f.stream.read(limit + 1)
        if len(data) > limit:
            raise DomainError(
                "%(name)s is larger than the limit of %(limit)s MiB",
                field="files",
                name=name,
                limit=f"{limit / 1048576:g}",
            )
        if not data:
            raise DomainError("%(name)s is empty", field="files", name=name)
        claimed = kind_of_name(name)
        if claimed is None:
            raise DomainError(
                "%(name)s: only %(kinds)s files are accepted",
                field="files",
                name=name,
                kinds=ACCEPTED,
            )
        found = sniff(data)
        if found is None or found.code != claimed.code:
            raise DomainError(
                "%(name)s is not a %(kind)s file: its content does not match its name",
                field="files",
                name=name,
                kind=claimed.code.upper(),
            )
        out.append(Upload(name, data, found, hashlib.sha256(data).hexdigest()))
    return out


def attach(
    case: Case, uploads: list[Upload], *, ctx: Ctx, task: CaseTask | None = None
) -> list[Attachment]:
    """Store the files on the case (the same file twice on one case is kept once) and write
    each with its SHA-256 in the case history."""
    if not uploads:
        return []
    # The case's people, and whoever filed it (an error report from another bureau).
    if ctx.user is None or not (
        can_see_attachments(ctx.user, case) or case.started_by == ctx.actor
    ):
        raise DomainError("you may not add files to this case", status=403)
    known = set(db.session.scalars(select(Attachment.sha256).where(Attachment.case_id == case.id)))
    fresh: list[Upload] = []
    for u in uploads:
        if u.sha256 not in known:
            known.add(u.sha256)
            fresh.append(u)
    count = db.session.scalar(
        select(func.count()).select_from(Attachment).where(Attachment.case_id == case.id)
    )
    most = current_app.config["ATTACHMENTS_PER_CASE"]
    if count + len(fresh) > most:
        raise DomainError(
            "a case holds at most %(n)s files; it has %(count)s",
            field="files",
            n=most,
            count=count,
        )
    store = file_store()
    written = db.session.info.setdefault(_PENDING, [])
    rows = []
    for u in fresh:
        key = f"{case.id}/{uuid.uuid4().hex}"
        store.put(key, u.data, u.kind.mimetype)
        written.append((store, key))
        row = Attachment(
            case_id=case.id,
            task_id=task.id if task is not None else None,
            filename=u.filename,
            kind=u.kind.code,
            size=len(u.data),
            sha256=u.sha256,
            storage_key=key,
            uploaded_by=ctx.actor,
            uploaded_at=ctx.now,
        )
        db.session.add(row)
        rows.append(row)
        log(
            case,
            ctx,
            "attachment_added",
            task.name if task is not None else None,
            filename=u.filename,
            kind=u.kind.code,
            size=len(u.data),
            sha256=u.sha256,
        )
    db.session.flush()
    write_log(ctx)
    return rows


@event.listens_for(Session, "after_commit")
def _kept(session: Session) -> None:
    session.info.pop(_PENDING, None)


@event.listens_for(Session, "after_soft_rollback")
def _undo(session: Session, previous_transaction) -> None:
    """Files written for a transaction that rolled back are deleted: no orphans in the
    store."""
    if previous_transaction.parent is not None:
        return
    for store, key in session.info.pop(_PENDING, []):
        try:
            store.delete(key)
        except Exception:
            current_app.logger.warning("could not delete the orphaned file %s", key)


__all__ = ["ACCEPTED", "KINDS", "Upload", "attach", "file_store", "read_uploads"]

"""Downloading an evidence file of a case: the applicant enterprise, officers of the deciding
bureau and supervisors over it (`can_see_attachments`); anyone else gets 404, anonymous users
the sign-in page."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import quote

from flask import Blueprint, Response
from flask_login import current_user

from app.attachments import KINDS
from app.codes import Role
from app.queries.attachments import attachment_content

from .guards import roles

bp = Blueprint("attachments", __name__, url_prefix="/attachments")


@bp.get("/<int:attachment_id>")
@roles(Role.ENTERPRISE, Role.OFFICER, Role.SUPERVISOR, Role.ADMIN)
def download(attachment_id: int):
    row, data = attachment_content(current_user, attachment_id)
    digest = base64.b64encode(hashlib.sha256(data).digest()).decode()
    ascii_name = row.filename.encode("ascii", "replace").decode().replace('"', "_")
    return Response(
        data,
        mimetype=KINDS[row.kind].mimetype,
        headers={
            "Content-Disposition": (
                f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(row.filename)}"
            ),
            "Cache-Control": "private, no-store",
            "Repr-Digest": f"sha-256=:{digest}:",
        },
    )

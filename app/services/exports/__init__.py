"""Disclosure and sharing exports (Art. 29, 31, 32): classes of a run, matters, the A-class list
and the dishonesty matters in force, as CSV, JSON Lines or XLSX.

An export is bounded by the caller's bureau tree (administrators: the province), counted and
written to the audit log before its first byte is sent, then streamed in keyset-paged batches
so that memory stays flat whatever the size of the province.

base.py holds what every export shares, classes.py and matters.py the exports by what they
carry, delivery.py the recipient, the audit event and the bytes. The rows are read with the
query pieces the public pages use (app/queries/credit_rows.py).
"""

from .base import MEDIA_TYPES, Export, check_class, check_format, export_scope
from .classes import a_class_export, class_export
from .delivery import check_sharing, columns, record_export, stream
from .matters import dishonesty_export, matter_export

__all__ = [
    "MEDIA_TYPES",
    "Export",
    "a_class_export",
    "check_class",
    "check_format",
    "check_sharing",
    "class_export",
    "columns",
    "dishonesty_export",
    "export_scope",
    "matter_export",
    "record_export",
    "stream",
]

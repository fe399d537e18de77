"""Disclosure and sharing exports (Art. 29, 31, 32): the query of each export and its columns.

The row schemas ARE the column definitions: their fields, in declaration order, are the CSV
header, the XLSX first row and the keys of each JSON line. Values are strings, integers,
booleans or null; dates are YYYY-MM-DD; points are decimals with two places ("-4.00")."""

from __future__ import annotations

from marshmallow import Schema, fields

from .base import N_, ApiError, Strict

FORMATS = ("csv", "jsonl", "xlsx")
CLASSES = ("A", "B", "C", "D", "O")

_FORMAT = {
    "description": "csv (UTF-8 with BOM, header row), jsonl (one JSON object per line) or xlsx",
    "enum": list(FORMATS),
}
_BUREAU = {
    "description": "a bureau code: that bureau and the bureaus below it; default: the caller's "
    "own bureau tree (administrators: the whole province)"
}


RECIPIENT_KINDS = ("department", "association", "platform")


class _ExportQuery(Strict):
    format = fields.String(load_default="csv", metadata=_FORMAT)
    bureau = fields.String(load_default=None, metadata=_BUREAU)
    # Art. 31, 32: every export records whom the data go to and on what legal basis. Required:
    # an export without them is refused with 422 naming the missing one.
    recipient_kind = fields.String(
        load_default=None,
        metadata={
            "description": "required: who receives the data — department (another government "
            "department), association (an industry association) or platform (an e-commerce "
            "platform) (Art. 31, 32)",
            "enum": list(RECIPIENT_KINDS),
        },
    )
    recipient = fields.String(
        load_default=None,
        metadata={"description": "required: the name of the recipient (at most 200 characters)"},
    )
    legal_basis = fields.String(
        load_default=None,
        metadata={
            "description": "required: the legal basis of the sharing, e.g. the article and the "
            "agreement or request (at most 500 characters)"
        },
    )


class ClassExportQuery(_ExportQuery):
    run_on = fields.Date(
        load_default=None,
        metadata={"description": "the classification run (YYYY-MM-DD); default: the latest"},
    )
    klass = fields.String(
        data_key="class",
        load_default=None,
        metadata={"description": "only this class", "enum": list(CLASSES)},
    )


class AClassExportQuery(_ExportQuery):
    run_on = fields.Date(
        load_default=None,
        metadata={"description": "the classification run (YYYY-MM-DD); default: the latest"},
    )


class MatterExportQuery(_ExportQuery):
    since = fields.Date(
        load_default=None, metadata={"description": "matters effective on or after this day"}
    )
    until = fields.Date(
        load_default=None, metadata={"description": "matters effective on or before this day"}
    )


# ---- rows (columns) ----------------------------------------------------------------------

_KIND = {"description": "product, producer or seller"}


class ClassRow(Schema):
    """One scoring object's official class as a run set it (Art. 26)."""

    run_on = fields.Date(metadata={"description": "date of the classification run"})
    object_kind = fields.String(metadata=_KIND)
    uscc = fields.String(metadata={"description": "the operator's (a product's producer's) USCC"})
    name = fields.String(metadata={"description": "the operator's registered name"})
    brand = fields.String(allow_none=True, metadata={"description": "product brand (商标)"})
    nice_class = fields.Integer(allow_none=True, metadata={"description": "Nice class 1-34"})
    category = fields.String(allow_none=True, metadata={"description": "product category"})
    bureau = fields.String(metadata={"description": "the operator's bureau code"})
    score = fields.String(allow_none=True, metadata={"description": "score at the run; null: O"})
    class_ = fields.String(data_key="class", attribute="class", metadata={"enum": list(CLASSES)})
    previous_class = fields.String(
        allow_none=True, metadata={"description": "class set by the previous run"}
    )
    locked_until = fields.Date(
        allow_none=True, metadata={"description": "D lock end (R-DLOCK), for class D"}
    )


class AClassRow(Schema):
    """An A-class object, for publication (Art. 29)."""

    run_on = fields.Date(metadata={"description": "date of the classification run"})
    object_kind = fields.String(metadata=_KIND)
    uscc = fields.String()
    name = fields.String()
    brand = fields.String(allow_none=True)
    nice_class = fields.Integer(allow_none=True)
    bureau = fields.String(metadata={"description": "the operator's bureau code"})
    bureau_name = fields.String()
    class_ = fields.String(data_key="class", attribute="class")


class MatterRow(Schema):
    """One deduction of one scoring object by one matter (a matter scoring a product, its
    producer and a seller gives three rows), with what became of it."""

    matter_ref = fields.String(metadata={"description": "the determination document number"})
    source = fields.String(metadata={"description": "spot_check or matter"})
    effective_on = fields.Date(metadata={"description": "the day the determination took effect"})
    deciding_bureau = fields.String(metadata={"description": "the bureau that decided it"})
    items = fields.String(metadata={"description": "scoring-table items the matter fits (;)"})
    item = fields.String(allow_none=True, metadata={"description": "item scored (R-MAX)"})
    item_title = fields.String(allow_none=True)
    intentional = fields.Boolean()
    major_impact = fields.Boolean()
    model = fields.String(allow_none=True)
    standard = fields.String(allow_none=True)
    summary = fields.String(allow_none=True)
    object_kind = fields.String(metadata=_KIND)
    uscc = fields.String()
    name = fields.String()
    operator_bureau = fields.String(metadata={"description": "the operator's bureau code"})
    brand = fields.String(allow_none=True)
    nice_class = fields.Integer(allow_none=True)
    points = fields.String(metadata={"description": "points first recorded, e.g. -4.00"})
    current_points = fields.String(
        metadata={"description": "points after objections and corrections (0.00 if voided)"}
    )
    status = fields.String(metadata={"description": "in_force, amended or voided"})
    repaired = fields.Boolean(
        metadata={"description": "the operator repaired the matter (Art. 14, 15, 21)"}
    )
    expires_on = fields.Date(metadata={"description": "first day it no longer counts (36 months)"})
    repaired_on = fields.Date(
        allow_none=True,
        metadata={"description": "effective date of the repair (已修复), null if not repaired"},
    )


class DishonestyRow(Schema):
    """A dishonesty matter in force (Art. 29): not voided, inside its 36-month window. A
    repaired one is no longer published on the public pages; it is here marked repaired."""

    matter_ref = fields.String()
    effective_on = fields.Date()
    deciding_bureau = fields.String()
    deciding_bureau_name = fields.String()
    item = fields.String(allow_none=True)
    item_title = fields.String(allow_none=True)
    summary = fields.String(allow_none=True)
    object_kind = fields.String(metadata=_KIND)
    uscc = fields.String()
    name = fields.String()
    brand = fields.String(allow_none=True)
    nice_class = fields.Integer(allow_none=True)
    points = fields.String(metadata={"description": "points in force, e.g. -4.00"})
    published_until = fields.Date(
        metadata={
            "description": "the last day it is published: the day before it leaves its "
            "36-month window (R-WINDOW), as the public pages show it"
        }
    )
    repaired = fields.Boolean(
        metadata={"description": "repaired (已修复): no longer on the public pages"}
    )
    repaired_on = fields.Date(
        allow_none=True, metadata={"description": "effective date of the repair, or null"}
    )


class ExportError(ApiError):
    """A refused export: the body of every refusal of the API."""


class StatisticsQuery(Strict):
    """The filters of the statistics pages and their CSV/XLSX downloads."""

    bureau = fields.String(load_default=None, metadata={"label": N_("市场监管部门")})
    since = fields.Date(load_default=None, metadata={"label": N_("起始日期")})
    until = fields.Date(load_default=None, metadata={"label": N_("截止日期")})

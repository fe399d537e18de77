"""Import records (interchange §1): one schema per record type. Unknown fields are refused."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from .base import Strict
from .validators import validate_bureau_code, validate_uscc

NICE_CLASS = validate.Range(1, 34, error="Nice class must be a goods class from 1 to 34")


class RecordSchema(Strict):
    type = fields.String(required=True)


class BureauRecord(RecordSchema):
    code = fields.String(required=True, validate=validate_bureau_code)
    name = fields.String(required=True, validate=validate.Length(1, 100))
    parent = fields.String(load_default=None, allow_none=True, validate=validate_bureau_code)


class OperatorRecord(RecordSchema):
    uscc = fields.String(required=True, validate=validate_uscc)
    name = fields.String(required=True, validate=validate.Length(1, 200))
    bureau = fields.String(required=True, validate=validate_bureau_code)
    filing_complete = fields.Boolean(load_default=False)


class ProductRecord(RecordSchema):
    producer = fields.String(required=True, validate=validate_uscc)
    brand = fields.String(required=True, validate=validate.Length(1, 100))
    nice_class = fields.Integer(required=True, strict=True, validate=NICE_CLASS)
    # R-SCOPE is decided by the import against the scope catalogue (app/scoring/scope.py).
    category = fields.String(required=True, validate=validate.Length(1, 50))


class SpotCheckRecord(RecordSchema):
    ref = fields.String(required=True, validate=validate.Length(1, 100))
    producer = fields.String(required=True, validate=validate_uscc)
    brand = fields.String(required=True, validate=validate.Length(1, 100))
    nice_class = fields.Integer(required=True, strict=True, validate=NICE_CLASS)
    model = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 100))
    standard = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 100))
    sampled_on = fields.Date(required=True)
    result = fields.String(required=True, validate=validate.OneOf(["pass", "fail"]))
    effective_on = fields.Date(load_default=None, allow_none=True)
    bureau = fields.String(required=True, validate=validate_bureau_code)
    seller = fields.String(load_default=None, allow_none=True, validate=validate_uscc)
    intentional = fields.Boolean(load_default=False)

    @validates_schema
    def _fail_needs_effective_date(self, data, **kwargs):
        if data.get("result") == "fail" and data.get("effective_on") is None:
            raise ValidationError(
                "a failed spot check needs effective_on (the date its determination took effect)",
                "effective_on",
            )
        if data.get("result") == "pass" and data.get("intentional"):
            raise ValidationError("a passed spot check cannot be intentional", "intentional")


class MatterObject(Strict):
    kind = fields.String(required=True, validate=validate.OneOf(["product", "producer", "seller"]))
    uscc = fields.String(load_default=None, validate=validate_uscc)
    producer = fields.String(load_default=None, validate=validate_uscc)
    brand = fields.String(load_default=None, validate=validate.Length(1, 100))
    nice_class = fields.Integer(load_default=None, strict=True, validate=NICE_CLASS)

    @validates_schema
    def _identity(self, data, **kwargs):
        if data["kind"] == "product":
            missing = [k for k in ("producer", "brand", "nice_class") if data.get(k) is None]
            if missing:
                raise ValidationError(f"a product object needs {', '.join(missing)}")
            if data.get("uscc") is not None:
                raise ValidationError(
                    "a product object is named by producer, brand and nice_class, not uscc"
                )
        else:
            if data.get("uscc") is None:
                raise ValidationError(f"a {data['kind']} object needs its uscc", "uscc")
            extra = [k for k in ("producer", "brand", "nice_class") if data.get(k) is not None]
            if extra:
                raise ValidationError(
                    f"a {data['kind']} object takes uscc only, not {', '.join(extra)}"
                )


class MatterRecord(RecordSchema):
    ref = fields.String(required=True, validate=validate.Length(1, 100))
    items = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    intentional = fields.Boolean(load_default=False)
    effective_on = fields.Date(required=True)
    bureau = fields.String(required=True, validate=validate_bureau_code)
    major_impact = fields.Boolean(load_default=False)
    objects = fields.List(
        fields.Nested(MatterObject), required=True, validate=validate.Length(min=1)
    )
    model = fields.String(load_default=None, allow_none=True)
    standard = fields.String(load_default=None, allow_none=True)
    summary = fields.String(load_default=None, allow_none=True)
    # The category of the product the matter is about (R-SCOPE), optional; absent stays absent
    # so that the content hash of records written before it existed does not change.
    category = fields.String(allow_none=True, validate=validate.Length(1, 50))


RECORD_SCHEMAS: dict[str, type[RecordSchema]] = {
    "bureau": BureauRecord,
    "operator": OperatorRecord,
    "product": ProductRecord,
    "spot_check": SpotCheckRecord,
    "matter": MatterRecord,
}

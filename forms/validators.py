"""Field checks shared by the schemas; messages say what is wrong in words a person reads."""

from __future__ import annotations

from marshmallow import ValidationError
from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import ValidationError as StdnumError


def validate_uscc(value: str) -> None:
    """R-OBJ-OPERATOR: an 18-character Unified Social Credit Code with a valid check character."""
    try:
        stdnum_uscc.validate(value)
    except StdnumError as exc:
        raise ValidationError(
            f"invalid Unified Social Credit Code {value!r}: {exc.message}"
        ) from None
    if stdnum_uscc.compact(value) != value:
        raise ValidationError(f"write the credit code {value!r} as 18 characters, no spaces")


def validate_bureau_code(value: str) -> None:
    if len(value) != 6 or not value.isdigit():
        raise ValidationError(f"bureau code {value!r} must be a 6-digit division code")

"""The refusals and review notes of an import, as catalogue messages.

Each is an English template with %(name)s values: the import report (interchange §1) and the
API carry the English text; pages translate the template (Chinese first) with the same values.
"""

from __future__ import annotations

from forms.base import N_

# -- reading a line ---------------------------------------------------------------------------
NOT_UTF8 = N_("not UTF-8 text (byte %(byte)s); save the file as UTF-8")
NOT_JSON = N_("not valid JSON (%(error)s at column %(column)s)")
TOO_DEEP = N_("JSON nested too deeply; a record is one flat object")
NOT_AN_OBJECT = N_("a record must be a JSON object")
UNKNOWN_TYPE = N_("unknown record type %(type)s; expected one of %(types)s")

# -- what the record names must exist ---------------------------------------------------------
UNKNOWN_BUREAU = N_("unknown bureau %(code)s")
OPERATOR_NOT_REGISTERED = N_(
    "operator %(uscc)s is not registered; import its operator record first"
)
PRODUCT_NOT_REGISTERED = N_(
    "product %(brand)s/%(nice_class)s of %(producer)s is not registered; import its product "
    "record first"
)

# -- dates and the table (R-VALIDITY) ---------------------------------------------------------
IN_FUTURE = N_("%(date)s is in the future (today is %(today)s)")
EFFECTIVE_BEFORE_SAMPLED = N_("effective_on is before sampled_on")

# -- idempotency: a ref is one record ---------------------------------------------------------
REF_CONFLICT = N_("ref %(ref)s already exists with different content (conflict)")
REF_USED_BY_SPOT_CHECK = N_("ref %(ref)s is already used by a spot check (conflict)")
REF_USED_BY_MATTER = N_("ref %(ref)s is already used by a matter (conflict)")
OPERATOR_TWICE = N_("operator %(uscc)s appears twice in this file with different content")
PRODUCT_TWICE = N_("product %(label)s appears twice in this file with different content")
BUREAU_TWICE = N_("bureau %(code)s appears twice in this file with different content")

# -- the bureau tree --------------------------------------------------------------------------
ONLY_PROVINCE_WITHOUT_PARENT = N_("only the provincial bureau %(province)s has no parent")
UNKNOWN_PARENT = N_("unknown parent bureau %(code)s")
COUNTY_HAS_NO_CHILDREN = N_("a county bureau cannot have bureaus below it")
BUREAU_BELOW_ITSELF = N_("the bureau %(code)s cannot be placed below itself (under %(parent)s)")

# -- who records (rules §11, Art. 19) ---------------------------------------------------------
SPOT_CHECK_BY_PROVINCE = N_(
    "spot-check scoring is recorded by the provincial bureau %(province)s (Art. 19)"
)
SPLIT_SPOT_AND_OTHER = N_(
    "%(spot)s (related to spot checks) is recorded by the provincial bureau %(province)s and "
    "%(other)s by city bureaus (Art. 19): record them as separate matters"
)
ITEMS_BY_PROVINCE = N_(
    "%(spot)s is scoring related to spot checks, recorded by the provincial bureau "
    "%(province)s (Art. 19)"
)
OTHER_BY_CITY = N_(
    "matters other than spot checks are scored by city bureaus (county bureaus may enter them "
    "for their city), Art. 19"
)

# -- objects of a matter (R-ONCE, R-INTENT) ---------------------------------------------------
OBJECT_TWICE = N_("the same object is listed twice (one matter scores an object once, R-ONCE)")
INTENT_OF_EVERY_OBJECT = N_(
    "intentional: true on the matter means every object acted intentionally; leave it false "
    "and mark the objects that did (Art. 13)"
)

# -- R-SCOPE (Art. 2) -------------------------------------------------------------------------
OUT_OF_SCOPE = N_(
    "category %(category)s is %(family)s (%(family_zh)s), outside the scope of the "
    "Specification (Art. 2)"
)

# -- accepted, for a person to review ---------------------------------------------------------
UNKNOWN_MODEL = N_(
    "the model or standard of this failure is unknown, so it is never merged with another "
    "failure of the same product under R-180 (Art. 9)"
)
MAJOR_IMPACT_FOLLOWS = N_(
    "item %(items)s is a major social or other adverse impact: the matter is stored with "
    "major_impact true and is not repairable for any object it scored (Art. 14)"
)
UNKNOWN_CATEGORY = N_(
    "category %(category)s is not in the scope catalogue; check that it is an industrial "
    "product (Art. 2)"
)

"""R-SCOPE (Art. 2): is a product category within the Specification?

Pure: it takes the mapping the scope catalogue (data/scope/excluded_products.yaml) parses to
and answers, for a category string, in scope / out of scope (with the excluded family and the
name that matched) / unknown. Names are matched as contained text after normalisation, so
"乘客电梯" and "进口保健食品" are out of scope like "电梯" and "保健食品"; the catalogue's
in-scope exceptions ("食品机械", "电梯导轨" …) win over the exclusions.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

_BRACKETS = str.maketrans({c: "(" for c in "[【〔〖{［｛"} | {c: ")" for c in "]】〕〗}］｝"})
_SPACE = re.compile(r"\s+")
_CATALOGUE_KEYS = {"version", "source", "excluded", "in_scope"}
_FAMILY_KEYS = {"family", "name", "name_en", "source", "categories"}
_CATEGORY_KEYS = {"name", "names"}
_IN_SCOPE_KEYS = {"categories", "exceptions"}


class CatalogueError(ValueError):
    """A scope catalogue that cannot be used; the message says where and why."""


class Scope(Enum):
    IN = "in_scope"
    OUT = "out_of_scope"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Family:
    """An excluded family of Art. 2 (食品, 食品添加剂, 化妆品, 计量器具, 特种设备)."""

    key: str
    name: str  # Chinese, as Art. 2 names it
    name_en: str
    source: str


@dataclass(frozen=True, slots=True)
class Decision:
    category: str  # as normalised
    scope: Scope
    family: Family | None = None  # out of scope: the family excluded
    subcategory: str | None = None  # out of scope: its sub-category that matched
    matched: str | None = None  # the catalogue name found in the category
    exception: bool = False  # in scope by an in-scope exception that overrides an exclusion

    @property
    def out_of_scope(self) -> bool:
        return self.scope is Scope.OUT

    @property
    def unknown(self) -> bool:
        return self.scope is Scope.UNKNOWN


def normalise(text: str) -> str:
    """Spaces removed, full-width forms made half-width (NFKC), every bracket pair made
    (), Latin letters lower-cased: "（进口） 乘客电梯" and "(进口)乘客电梯" are the same."""
    text = unicodedata.normalize("NFKC", text).translate(_BRACKETS)
    return _SPACE.sub("", text).casefold()


@dataclass(frozen=True, slots=True)
class ScopeCatalogue:
    version: str
    # (normalised name, family, sub-category), longest names first
    excluded: tuple[tuple[str, Family, str], ...]
    in_scope: frozenset[str]
    exceptions: tuple[str, ...]
    families: Mapping[str, Family]

    def decide(self, category: str) -> Decision:
        """R-SCOPE: in-scope exceptions first (contained), then known in-scope categories
        (exact), then excluded names (contained, the longest match wins), else unknown."""
        norm = normalise(category)
        for exception in self.exceptions:
            if exception in norm:
                return Decision(norm, Scope.IN, matched=exception, exception=True)
        if norm in self.in_scope:
            return Decision(norm, Scope.IN, matched=norm)
        for name, family, sub in self.excluded:
            if name in norm:
                return Decision(norm, Scope.OUT, family, sub, name)
        return Decision(norm, Scope.UNKNOWN)


def _strings(value: object, where: str) -> list[str]:
    if not isinstance(value, list) or not value:
        raise CatalogueError(f"{where}: a non-empty list of names is required")
    out = []
    for n, v in enumerate(value):
        if not isinstance(v, str) or not normalise(v):
            raise CatalogueError(f"{where}.{n}: a name must be a non-empty string")
        out.append(normalise(v))
    return out


def _keys(raw: object, allowed: set[str], required: set[str], where: str) -> Mapping:
    if not isinstance(raw, Mapping):
        raise CatalogueError(f"{where}: a mapping is required")
    unknown = set(raw) - allowed
    if unknown:
        raise CatalogueError(f"{where}: unknown keys {', '.join(sorted(map(str, unknown)))}")
    missing = required - set(raw)
    if missing:
        raise CatalogueError(f"{where}: missing {', '.join(sorted(missing))}")
    return raw


def parse_catalogue(raw: object) -> ScopeCatalogue:
    """The catalogue from the mapping its YAML file parses to; CatalogueError if malformed."""
    raw = _keys(raw, _CATALOGUE_KEYS, {"version", "excluded", "in_scope"}, "catalogue")
    families: dict[str, Family] = {}
    excluded: dict[str, tuple[str, Family, str]] = {}
    if not isinstance(raw["excluded"], list) or not raw["excluded"]:
        raise CatalogueError("excluded: a non-empty list of families is required")
    for n, fam in enumerate(raw["excluded"]):
        where = f"excluded.{n}"
        fam = _keys(fam, _FAMILY_KEYS, _FAMILY_KEYS, where)
        family = Family(
            str(fam["family"]), str(fam["name"]), str(fam["name_en"]), str(fam["source"])
        )
        if family.key in families:
            raise CatalogueError(f"{where}: family {family.key} is listed twice")
        families[family.key] = family
        if not isinstance(fam["categories"], list) or not fam["categories"]:
            raise CatalogueError(f"{where}.categories: a non-empty list is required")
        for m, cat in enumerate(fam["categories"]):
            cat = _keys(cat, _CATEGORY_KEYS, _CATEGORY_KEYS, f"{where}.categories.{m}")
            names = _strings(cat["names"], f"{where}.categories.{m}.names")
            for name in [normalise(str(cat["name"])), *names]:
                other = excluded.get(name)
                if other is not None and other[1] != family:
                    raise CatalogueError(
                        f"{where}: {name} is already a name of family {other[1].key}"
                    )
                excluded.setdefault(name, (name, family, str(cat["name"])))
    scope = _keys(raw["in_scope"], _IN_SCOPE_KEYS, _IN_SCOPE_KEYS, "in_scope")
    in_scope = _strings(scope["categories"], "in_scope.categories")
    for name in in_scope:
        if name in excluded:
            raise CatalogueError(f"in_scope.categories: {name} is also an excluded name")
    exceptions = _strings(scope["exceptions"], "in_scope.exceptions")
    return ScopeCatalogue(
        version=str(raw["version"]),
        excluded=tuple(sorted(excluded.values(), key=lambda e: (-len(e[0]), e[0]))),
        in_scope=frozenset(in_scope),
        exceptions=tuple(sorted(set(exceptions), key=lambda e: (-len(e), e))),
        families=families,
    )

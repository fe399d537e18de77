"""The draw of A-class objects (双随机): weighted sampling without replacement from a seed, and
the digests that let anyone check a plan drawn again."""

from __future__ import annotations

import hashlib
import heapq
import math
import random
from collections.abc import Iterable
from decimal import Decimal


def weight_text(w: Decimal) -> str:
    return format(w.normalize(), "f")


def digest(lines: Iterable[str]) -> str:
    h = hashlib.sha256()
    for line in lines:
        h.update(line.encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


def draw(candidates: list[tuple[int, Decimal]], seed: int, ratio: Decimal) -> list[int]:
    """The selected object ids, sorted: weighted sampling without replacement."""
    k = math.ceil(len(candidates) * ratio)
    if k == 0:
        return []
    rng = random.Random(seed)
    keyed = ((rng.random() ** (1.0 / float(w)), oid) for oid, w in candidates)
    return sorted(oid for _, oid in heapq.nlargest(k, keyed))

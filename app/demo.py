"""A synthetic province: operators, products, spot checks and matters, as import records.

Used by `flask credit demo` and by the benchmarks, so both exercise the real import path. The
same seed gives the same records, so a demo database can be rebuilt identically.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta

from sqlalchemy import select
from stdnum.cn import uscc as stdnum_uscc

from app.extensions import db
from models import Bureau

# Characters allowed in the organisation-code part of a USCC (GB 32100: no I, O, Z, S, V).
_ORG_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CATEGORIES = [
    "电子电器",
    "日用消费品",
    "建筑装饰材料",
    "机械及安防产品",
    "电工及材料产品",
    "儿童用品",
    "纺织服装",
    "农业生产资料",
    "化工产品",
    "汽车及零部件",
]
_NICE_BY_CATEGORY = {
    "电子电器": [9, 11],
    "日用消费品": [3, 8, 21],
    "建筑装饰材料": [19, 6],
    "机械及安防产品": [7, 9],
    "电工及材料产品": [9, 17],
    "儿童用品": [28, 12],
    "纺织服装": [25, 24],
    "农业生产资料": [1, 31],
    "化工产品": [1, 2],
    "汽车及零部件": [12, 4],
}
_BRAND_SYLLABLES = "华美康达威鑫宏瑞盛安泰丰源恒通佳联创新星光明辉"
_NAME_WORDS = ["科技", "电器", "实业", "制造", "贸易", "五金", "塑胶", "照明", "日化", "家居"]
_OPERATOR_MATTER_ITEMS = {
    "producer": ["A12.1", "A12.3", "A12.4", "A12.5", "A12.6"],
    "seller": ["A12.1", "A12.3", "A12.7", "A12.8", "A12.9", "A12.10"],
}
SPOT_CHECK_REFUSAL = "A12.4"  # refusing a spot check: recorded by the province (Art. 19)
CITY_INSTEAD_OF_REFUSAL = "A12.5"
PROVINCE = "440000"
_PRODUCT_MATTER_ITEMS = ["A11.2", "A11.3", "A11.4", "A11.5", "A11.6", "A11.7", "A11.8"]


def make_uscc(division: str, serial: int) -> str:
    """A valid credit code for a market entity registered in `division`."""
    org = ""
    n = serial
    for _ in range(9):
        n, r = divmod(n, len(_ORG_ALPHABET))
        org = _ORG_ALPHABET[r] + org
    body = f"91{division}{org}"
    return body + stdnum_uscc.calc_check_digit(body)


def synthetic_records(
    *,
    operators: int,
    seed: int,
    today: date,
    bureaus: list[tuple[str, str, str]],
    matters_per_operator: float = 1.0,
) -> Iterator[dict]:
    """Records for a province of `operators` operators (about 70 % producers with 1-4
    products, the rest sellers), with spot checks over the last four years and matters over
    the last 40 months. `bureaus` are (code, level, city code) rows."""
    rng = random.Random(seed)
    local = [(code, city) for code, level, city in bureaus if level in ("city", "county")]
    cities = [code for code, level, _ in bureaus if level == "city"]
    producers: list[tuple[str, list[tuple[str, int, str]], str]] = []
    sellers: list[tuple[str, str]] = []
    ref_no = 0

    for i in range(operators):
        code, city = rng.choice(local)
        uscc = make_uscc(code, seed * 10_000_000 + i)
        is_producer = rng.random() < 0.7
        name = (
            f"广东{rng.choice(_BRAND_SYLLABLES)}{rng.choice(_BRAND_SYLLABLES)}"
            f"{rng.choice(_NAME_WORDS)}有限公司"
        )
        yield {
            "type": "operator",
            "uscc": uscc,
            "name": name,
            "bureau": code,
            "filing_complete": rng.random() < 0.8,
        }
        if is_producer:
            products = []
            for _ in range(rng.choice((1, 1, 2, 2, 3, 4))):
                category = rng.choice(_CATEGORIES)
                brand = "".join(rng.choice(_BRAND_SYLLABLES) for _ in range(2)) + "牌"
                nice = rng.choice(_NICE_BY_CATEGORY[category])
                if any(p[0] == brand and p[1] == nice for p in products):
                    continue
                products.append((brand, nice, category))
                yield {
                    "type": "product",
                    "producer": uscc,
                    "brand": brand,
                    "nice_class": nice,
                    "category": category,
                }
            producers.append((uscc, products, city))
        else:
            sellers.append((uscc, city))

    # Spot checks: most products sampled once or twice a year in some years; ~12 % fail.
    for uscc, products, _city in producers:
        for brand, nice, _category in products:
            for years_back in range(4):
                if rng.random() < 0.5:
                    continue
                sampled_on = today - timedelta(days=365 * years_back + rng.randint(20, 340))
                failed = rng.random() < 0.12
                ref_no += 1
                effective_on = sampled_on + timedelta(days=rng.randint(20, 60))
                if failed and effective_on > today:
                    failed = False
                yield {
                    "type": "spot_check",
                    "ref": f"GD-CC-{sampled_on.year}-{ref_no:07d}",
                    "producer": uscc,
                    "brand": brand,
                    "nice_class": nice,
                    "model": f"{brand[0]}-{rng.randint(1, 3) * 100}",
                    "standard": "GB/T " + str(rng.randint(1000, 30000)) + "-2020",
                    "sampled_on": sampled_on.isoformat(),
                    "result": "fail" if failed else "pass",
                    "effective_on": effective_on.isoformat() if failed else None,
                    "bureau": "440000",
                    "intentional": failed and rng.random() < 0.1,
                }

    # Matters decided by city bureaus against products, producers and sellers.
    refusers: list[str] = []
    n_matters = int(operators * matters_per_operator * 0.35)
    for _ in range(n_matters):
        ref_no += 1
        effective_on = today - timedelta(days=rng.randint(1, 1200))
        roll = rng.random()
        if roll < 0.4 and producers:
            uscc, products, city = rng.choice(producers)
            if not products:
                continue
            brand, nice, _ = rng.choice(products)
            items = [rng.choice(_PRODUCT_MATTER_ITEMS)]
            objects = [{"kind": "product", "producer": uscc, "brand": brand, "nice_class": nice}]
            if rng.random() < 0.5:
                items.append("A12.1")
                objects.append({"kind": "producer", "uscc": uscc})
        elif roll < 0.7 and producers:
            uscc, _products, city = rng.choice(producers)
            items = [rng.choice(_OPERATOR_MATTER_ITEMS["producer"])]
            objects = [{"kind": "producer", "uscc": uscc}]
        elif sellers:
            uscc, city = rng.choice(sellers)
            items = [rng.choice(_OPERATOR_MATTER_ITEMS["seller"])]
            objects = [{"kind": "seller", "uscc": uscc}]
        else:
            continue
        bureau = city if city in cities else rng.choice(cities)
        if items == [SPOT_CHECK_REFUSAL]:
            # Refusing a spot check is scored by the province (Art. 19), below; the city's
            # matter is a recall left undone instead (same points).
            items = [CITY_INSTEAD_OF_REFUSAL]
            refusers.append(uscc)
        yield {
            "type": "matter",
            "ref": f"粤{bureau}市监罚〔{effective_on.year}〕{ref_no}号",
            "items": items,
            "intentional": rng.random() < 0.15,
            "effective_on": effective_on.isoformat(),
            "bureau": bureau,
            "major_impact": False,
            "objects": objects,
            "model": None,
            "standard": None,
            "summary": "演示数据：质量信用事项",
        }

    # Refusals of a spot check, scored by the provincial bureau (Art. 19, rules §11): one in
    # three of the producers drawn for one above.
    for uscc in refusers[::3]:
        ref_no += 1
        effective_on = today - timedelta(days=rng.randint(1, 1200))
        yield {
            "type": "matter",
            "ref": f"粤市监拒检〔{effective_on.year}〕{ref_no}号",
            "items": [SPOT_CHECK_REFUSAL],
            "intentional": False,
            "effective_on": effective_on.isoformat(),
            "bureau": PROVINCE,
            "major_impact": False,
            "objects": [{"kind": "producer", "uscc": uscc}],
            "model": None,
            "standard": None,
            "summary": "演示数据：监督抽查中拒检",
        }


def province_bureaus() -> list[tuple[str, str, str]]:
    """(code, level, city code) for every bureau in the database."""
    rows = db.session.execute(select(Bureau.code, Bureau.level, Bureau.parent_code)).all()
    return [(code, level, code if level != "county" else parent) for code, level, parent in rows]


def build_demo(*, operators: int, seed: int, today: date, at: datetime) -> list[str]:
    """Bureaus, the default table, a synthetic province through the import path, and the two
    latest half-yearly classification runs. Safe to run twice."""
    import json

    from app.services.classification import run_classification
    from app.services.imports import import_records
    from app.services.reference import init_reference_data, publish_demo_successor

    init_reference_data(actor="demo", at=at)
    # The default table ends with the Spec on 2026-06-04 (Art. 36, R-VALIDITY): demo dates
    # after it need a successor, here one marked as a demonstration.
    publish_demo_successor(actor="demo", at=at)
    records = synthetic_records(
        operators=operators, seed=seed, today=today, bureaus=province_bureaus()
    )
    lines = (json.dumps(r, ensure_ascii=False).encode("utf-8") for r in records)
    report = import_records(lines, today=today, actor="demo", at=at)
    out = [
        f"demo records: read {report.read}, created {report.created}, "
        f"unchanged {report.unchanged}, refused {report.refused}"
    ]
    out += [f"  line {r.line}: {r.reason}" for r in report.refusals[:5]]
    for run_on in _last_runs(today):
        try:
            result = run_classification(run_on, actor="demo", at=at)
        except Exception as exc:
            out.append(f"classification {run_on}: {exc}")
            continue
        out.append(" ".join(result.lines()[:3]))
    from .demo_cases import build_demo_cases

    out += build_demo_cases(today=today, at=at)
    return out


def _last_runs(today: date) -> list[date]:
    """The two most recent half-year dates (1 January, 1 July) on or before today."""
    halves = [date(y, m, 1) for y in (today.year - 1, today.year) for m in (1, 7)]
    return [d for d in halves if d <= today][-2:]

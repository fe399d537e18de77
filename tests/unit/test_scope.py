"""R-SCOPE (Art. 2): the scope catalogue shipped in data/scope and the pure matcher.

Pure: the YAML is parsed here and fed to `app.scoring.scope`; no database, no Flask.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from app.scoring.scope import CatalogueError, Scope, normalise, parse_catalogue

ROOT = Path(__file__).resolve().parents[2]
RAW = yaml.safe_load((ROOT / "data" / "scope" / "excluded_products.yaml").read_text("utf-8"))
CATALOGUE = parse_catalogue(RAW)


def out(category: str) -> tuple[str, str, str]:
    d = CATALOGUE.decide(category)
    assert d.scope is Scope.OUT, (category, d)
    assert d.family is not None
    return d.family.key, d.subcategory, d.matched


@pytest.mark.parametrize(
    ("category", "family", "subcategory", "matched"),
    [
        ("电梯", "special_equipment", "电梯", "电梯"),
        ("乘客电梯", "special_equipment", "电梯", "乘客电梯"),
        ("自动扶梯", "special_equipment", "电梯", "自动扶梯"),
        ("气瓶", "special_equipment", "气瓶", "气瓶"),
        ("液化石油气钢瓶", "special_equipment", "气瓶", "液化石油气钢瓶"),
        ("燃气瓶", "special_equipment", "气瓶", "燃气瓶"),
        ("压力容器", "special_equipment", "压力容器", "压力容器"),
        ("锅炉", "special_equipment", "锅炉", "锅炉"),
        ("塔式起重机", "special_equipment", "起重机械", "塔式起重机"),
        ("客运索道", "special_equipment", "客运索道", "客运索道"),
        ("大型游乐设施", "special_equipment", "大型游乐设施", "大型游乐设施"),
        ("叉车", "special_equipment", "场（厂）内专用机动车辆", "叉车"),
        ("安全阀", "special_equipment", "安全附件", "安全阀"),
        ("保健食品", "food", "保健食品", "保健食品"),
        ("进口保健食品", "food", "保健食品", "保健食品"),
        ("保健品", "food", "保健食品", "保健品"),
        ("婴幼儿配方乳粉", "food", "婴幼儿配方食品", "婴幼儿配方乳粉"),
        ("奶粉", "food", "婴幼儿配方食品", "奶粉"),
        ("特殊医学用途配方食品", "food", "特殊医学用途配方食品", "特殊医学用途配方食品"),
        ("食品", "food", "食品", "食品"),
        ("食品添加剂", "food_additives", "食品添加剂", "食品添加剂"),
        ("食品用香精", "food_additives", "食品添加剂", "食品用香精"),
        ("化妆品", "cosmetics", "化妆品", "化妆品"),
        ("进口化妆品", "cosmetics", "化妆品", "化妆品"),
        ("计量器具", "measuring_instruments", "计量器具", "计量器具"),
        ("电子秤", "measuring_instruments", "衡器", "电子秤"),
        ("电能表", "measuring_instruments", "电能表、水表、燃气表、热能表", "电能表"),
    ],
)
def test_r_scope_excluded_families_their_subcategories_and_common_names(
    category, family, subcategory, matched
):
    assert out(category) == (family, subcategory, matched)


def test_r_scope_the_longest_name_names_the_family():
    # "食品添加剂" contains "食品": it is a food additive, not food.
    assert out("复配食品添加剂")[0] == "food_additives"
    # "保健食品" contains "食品": the sub-category is health food, not food in general.
    assert out("保健食品")[1] == "保健食品"


@pytest.mark.parametrize(
    "variant",
    [
        " 乘客电梯 ",
        "乘客　电梯",  # ideographic space
        "（进口）乘客电梯",
        "【进口】乘客电梯",
        "[进口]乘客电梯",
    ],
)
def test_r_scope_category_is_normalised_before_matching(variant):
    assert out(variant)[2] == "乘客电梯"


def test_r_scope_bracket_and_width_variants_of_in_plant_vehicles():
    for variant in ("场（厂）内专用机动车辆", "场(厂)内专用机动车辆", "场〔厂〕内专用机动车辆"):
        assert out(variant)[:2] == ("special_equipment", "场（厂）内专用机动车辆")
    assert normalise("ＡＢＣ（１）") == "abc(1)"


@pytest.mark.parametrize("category", ["电子电器", "电线电缆", "日用消费品", "儿童用品"])
def test_r_scope_known_industrial_categories_are_in_scope(category):
    d = CATALOGUE.decide(category)
    assert (d.scope, d.exception, d.family) == (Scope.IN, False, None)


def test_r_scope_every_category_of_the_demo_is_known_in_scope():
    from app.demo import _CATEGORIES

    assert {c: CATALOGUE.decide(c).scope for c in _CATEGORIES} == {c: Scope.IN for c in _CATEGORIES}


@pytest.mark.parametrize(
    ("category", "exception"),
    [
        ("食品机械", "食品机械"),
        ("食品加工机械", "食品加工机械"),
        ("食品包装材料", "食品包装"),
        ("食品接触材料", "食品接触"),
        ("食品用纸包装", "食品用纸包装"),
        ("化妆品包装", "化妆品包装"),
        ("电梯导轨", "电梯导轨"),
        ("饮料机", "饮料机"),
    ],
)
def test_r_scope_in_scope_exceptions_win_over_the_excluded_names_they_contain(category, exception):
    d = CATALOGUE.decide(category)
    assert (d.scope, d.exception, d.matched) == (Scope.IN, True, exception)


def test_r_scope_a_listed_safety_accessory_of_special_equipment_stays_excluded():
    # 电梯导轨 is an exception, but the safety accessories the 特种设备目录 lists are not.
    assert out("气瓶阀门")[:2] == ("special_equipment", "安全附件")


@pytest.mark.parametrize("category", ["太阳能光伏组件", "LED灯具", "压力锅", "千斤顶", "食"])
def test_r_scope_a_category_the_catalogue_does_not_know_is_unknown(category):
    d = CATALOGUE.decide(category)
    assert (d.scope, d.family, d.matched) == (Scope.UNKNOWN, None, None)
    assert d.unknown and not d.out_of_scope


def test_r_scope_every_family_names_art_2_as_its_source():
    assert set(CATALOGUE.families) == {
        "food",
        "food_additives",
        "cosmetics",
        "measuring_instruments",
        "special_equipment",
    }
    for family in CATALOGUE.families.values():
        assert "第二条" in family.source
    assert "特种设备目录" in CATALOGUE.families["special_equipment"].source


def test_r_scope_a_new_common_name_is_added_as_data():
    raw = copy.deepcopy(RAW)
    assert CATALOGUE.decide("直梯").unknown
    raw["excluded"][-1]["categories"][5]["names"].append("直梯")  # 电梯
    assert parse_catalogue(raw).decide("家用直梯").family.key == "special_equipment"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r.pop("excluded"), "missing excluded"),
        (lambda r: r["excluded"][0].pop("source"), "excluded.0: missing source"),
        (lambda r: r["excluded"][0]["categories"][0].update(names=[]), "non-empty list"),
        (lambda r: r["excluded"][1].update(family="food"), "family food is listed twice"),
        (
            lambda r: r["excluded"][2]["categories"][0]["names"].append("电梯"),
            "电梯 is already a name of family",
        ),
        (lambda r: r["in_scope"]["categories"].append("化妆品"), "also an excluded name"),
        (lambda r: r.update(colour="red"), "unknown keys colour"),
    ],
)
def test_r_scope_a_malformed_catalogue_is_refused_saying_where(change, message):
    raw = copy.deepcopy(RAW)
    change(raw)
    with pytest.raises(CatalogueError, match=message):
        parse_catalogue(raw)

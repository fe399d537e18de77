"""The scoring table's refusals word for word, with the catalogue template and values the pages
translate (rules §12, Art. 12(1), R-REPAIR-ELIGIBLE), and the items a matter cannot repair."""

from __future__ import annotations

from datetime import date

import pytest

from app.scoring import TableError, parse_table
from app.scoring.repairs import unrepairable_items

TABLE = {
    "version": "T-1",
    "applies_from": date(2021, 6, 5),
    "items": [
        {"code": "A11.7", "objects": ["product"], "points": 2, "intentional_points": 4},
        {
            "code": "A11.9",
            "objects": ["product"],
            "points": 12,
            "intentional_points": 12,
            "repairable": False,
        },
        {
            "code": "A12.1",
            "objects": ["producer", "seller"],
            "points": 3,
            "intentional_points": 6,
            "with": {"seller": ["A11.7"]},
        },
        {"code": "A12.3", "objects": ["producer", "seller"], "points": 4, "intentional_points": 8},
    ],
}


def table(**changes):
    return parse_table({**TABLE, **changes})


def test_r_max_unknown_item_is_refused_with_its_template_and_values():
    with pytest.raises(TableError) as caught:
        table().heaviest(["A99.1", "A12.3", "A98.2"], "seller", False)
    err = caught.value
    assert str(err) == "unknown item code A99.1, A98.2 in table T-1"
    assert err.template == "unknown item code %(items)s in table %(table)s"
    assert err.params == {"items": "A99.1, A98.2", "table": "T-1"}


@pytest.mark.parametrize("kind", ["product", "producer", "seller"])
def test_r_max_an_item_that_does_not_apply_names_the_kind_of_object(kind):
    codes = ["A11.7", "A11.9"] if kind != "product" else ["A12.3", "A12.1"]
    with pytest.raises(TableError) as caught:
        table().heaviest(codes, kind, False)
    err = caught.value
    shown = ", ".join(codes)
    assert str(err) == f"item {shown} does not apply to a {kind} (table T-1)"
    assert err.template == f"item %(items)s does not apply to a {kind} (table %(table)s)"
    assert err.params == {"items": shown, "table": "T-1"}


def test_art_12_1_an_item_alone_is_refused_naming_what_it_goes_with():
    with pytest.raises(TableError) as caught:
        table().heaviest(["A12.1"], "seller", False)
    err = caught.value
    assert str(err) == (
        "item A12.1 scores a seller only together with A11.7 (Art. 12(1); table T-1)"
    )
    assert err.template == (
        "item %(item)s scores a seller only together with %(partners)s (%(article)s; "
        "table %(table)s)"
    )
    assert err.params == {
        "item": "A12.1",
        "partners": "A11.7",
        "article": "Art. 12(1)",
        "table": "T-1",
    }
    # Several partners are named one by one (the shipped table's A12.1 for a seller).
    items = [dict(i) for i in TABLE["items"]]
    items[2]["with"] = {"seller": ["A11.7", "A11.9"]}
    with pytest.raises(TableError) as caught:
        table(items=items).heaviest(["A12.1"], "seller", False)
    assert caught.value.params["partners"] == "A11.7, A11.9"
    assert "only together with A11.7, A11.9 (Art. 12(1)" in str(caught.value)
    # With its partner it scores the seller; a producer has no such condition.
    assert table().heaviest(["A12.1", "A11.7"], "seller", False).code == "A12.1"
    assert table().heaviest(["A12.1"], "producer", False).code == "A12.1"


def test_art_12_1_with_is_kept_by_kind_of_object():
    item = table().items["A12.1"]
    assert item.with_items == {"seller": ("A11.7",)}
    assert table().items["A12.3"].with_items == {}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            {},
            "item A12.1: with must map a kind of object to the items it may go with, "
            "e.g. {seller: [A11.2, A11.3]}",
        ),
        (
            ["A11.7"],
            "item A12.1: with must map a kind of object to the items it may go with, "
            "e.g. {seller: [A11.2, A11.3]}",
        ),
        ({"product": ["A11.7"]}, "item A12.1: with names 'product', not one of its objects"),
        ({"seller": []}, "item A12.1: with.seller must be a non-empty list of item codes"),
        ({"seller": "A11.7"}, "item A12.1: with.seller must be a non-empty list of item codes"),
        ({"seller": [""]}, "item A12.1: with.seller must be a non-empty list of item codes"),
        ({"seller": [7]}, "item A12.1: with.seller must be a non-empty list of item codes"),
    ],
)
def test_art_12_1_a_malformed_with_is_refused_saying_where(value, message):
    items = [dict(i) for i in TABLE["items"]]
    items[2]["with"] = value
    with pytest.raises(TableError) as caught:
        table(items=items)
    assert str(caught.value) == message


def test_r_repair_eligible_unrepairable_items_are_those_the_table_marks():
    t = table()
    assert unrepairable_items(["A11.7", "A11.9", "A12.1"], t) == ["A11.9"]
    assert unrepairable_items(["A11.9", "A11.9"], t) == ["A11.9", "A11.9"]
    assert unrepairable_items(["A11.7", "A99.9"], t) == []  # unknown codes say nothing
    assert unrepairable_items(["A11.9"], None) == []  # a matter without its table


def test_r_max_a_kind_of_object_the_table_does_not_know_has_no_template_to_translate():
    with pytest.raises(TableError) as caught:
        table().heaviest(["A11.7"], "nobody", False)
    assert str(caught.value) == "item A11.7 does not apply to a nobody (table T-1)"
    assert (caught.value.template, caught.value.params) == (None, {})

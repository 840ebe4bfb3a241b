"""The data viewer's plain-Python half: R's view description, filters as R code, the block LRU."""

from __future__ import annotations

import pytest

from webr_desktop.core.data_view import Block, ColumnFilter, LruCache, ViewMeta, as_list, filters_r_code


def raw_meta(**over) -> dict:
    meta = {
        "id": 3, "title": "mtcars", "name": "mtcars", "nrow": 14, "total": 32, "ncol": 2,
        "names": ["mpg", "cyl"], "classes": ["numeric", "numeric"], "kinds": ["number", "number"],
        "sort_col": 1, "sort_desc": True, "filter": "cyl in [4, 4]", "expr": "",
        "filters": [{"col": 2, "type": "range", "value": {"min": 4, "max": 4}, "desc": "cyl in [4, 4]"}],
        "changed": False,
    }
    meta.update(over)
    return meta


def test_meta_parses_r_shapes_and_makes_columns_zero_based() -> None:
    meta = ViewMeta.parse(raw_meta())
    assert meta.sort_col == 0 and meta.sort_desc
    assert meta.filters == (ColumnFilter(1, "range", (4, 4), "cyl in [4, 4]"),)
    assert meta.summary() == "mtcars — 32 × 2 (filtered: 14 of 32)"
    # R's JSON makes a length-1 vector a scalar: one column still parses
    one = ViewMeta.parse(raw_meta(ncol=1, names="x", classes="integer", kinds="number", sort_col=0, filters=None, filter=""))
    assert one.names == ("x",) and one.sort_col == -1 and one.summary() == "mtcars — 32 × 1"
    big = ViewMeta.parse(raw_meta(total=1_000_000, nrow=1_000_000, filter=""))
    assert big.summary() == "mtcars — 1\u2009000\u2009000 × 2"


def test_meta_rejects_what_r_would_never_send() -> None:
    with pytest.raises(ValueError):
        ViewMeta.parse("nope")
    with pytest.raises(ValueError):
        ViewMeta.parse(raw_meta(ncol=3))
    with pytest.raises(ValueError):
        ViewMeta.parse({"id": 1})


def test_filters_become_r_code_with_quoted_text() -> None:
    assert ColumnFilter(0, "range", (20.0, None)).r_code() == 'list(col = 1L, type = "range", value = list(min = 20, max = NULL))'
    assert ColumnFilter(3, "range", ("2020-01-01", float("inf"))).r_code().endswith('list(min = "2020-01-01", max = NULL))')
    assert ColumnFilter(1, "contains", 'a"b\\').r_code().endswith('value = "a\\"b\\\\")')
    assert ColumnFilter(1, "levels", ["x", "y z"]).r_code().endswith('value = c("x", "y z"))')
    assert ColumnFilter(1, "logical", False).r_code().endswith("value = FALSE)")
    assert ColumnFilter(1, "na").r_code().endswith("value = NULL)")
    assert filters_r_code([]) == "list()"
    with pytest.raises(ValueError):
        ColumnFilter(0, "regex", "x")


def test_filters_round_trip_through_r_meta() -> None:
    assert ColumnFilter.from_r({"col": 1, "type": "levels", "value": "a", "desc": "f"}).value == ["a"]
    assert ColumnFilter.from_r({"col": 1, "type": "range", "value": {"min": None, "max": 3}}).value == (None, 3)
    assert ColumnFilter.from_r({"col": 1, "type": "na", "value": None}).col == 0


def test_block_parse_checks_the_rectangle() -> None:
    block = Block.parse({"rownames": ["a", "b"], "cols": [["1", None], ["x", "y"]]}, 200, 50, 2, 2)
    assert block.nrows == 2 and block.cols[0][1] is None
    # R's JSON makes a length-1 vector a scalar, and a lone NA a None
    single = Block.parse({"rownames": "7", "cols": ["1", None]}, 0, 0, 1, 2)
    assert single.rownames == ["7"] and single.cols == [["1"], [None]]
    empty = Block.parse({"rownames": [], "cols": [[], []]}, 0, 0, 0, 2)
    assert empty.nrows == 0
    with pytest.raises(ValueError):
        Block.parse({"rownames": ["a"], "cols": [["1", "2"]]}, 0, 0, 1, 1)


def test_lru_forgets_the_least_recently_used() -> None:
    cache: LruCache[int, str] = LruCache(2)
    cache.put(1, "a")
    cache.put(2, "b")
    assert cache.get(1) == "a"  # 1 is now the most recent
    cache.put(3, "c")
    assert 2 not in cache and 1 in cache and 3 in cache and len(cache) == 2
    assert cache.peek(1) == "a"
    assert as_list(None) == [] and as_list(5) == [5]

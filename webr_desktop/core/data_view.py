"""The data viewer's plain-Python half: what R says about a view, filters as R code, a block LRU.

R keeps the data (resources/R/view.R); Python only holds the cells that are on screen plus a
margin, in rectangular blocks. Everything here is free of Qt so it can be tested alone.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Generic, Hashable, TypeVar

from webr_desktop.core.rcode import r_string

KINDS = frozenset({"number", "text", "factor", "date", "logical", "other"})
FILTER_TYPES = frozenset({"range", "contains", "levels", "logical", "na", "notna"})


def as_list(value: Any) -> list:
    """R's JSON conversion turns a length-1 vector into a scalar and NULL into None: undo that."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


@dataclass(frozen=True)
class ColumnFilter:
    """One per-column filter. ``col`` is 0-based; ``value`` depends on ``type``:

    range: ``(min, max)`` numbers or date strings, either may be None (open end);
    contains: text (fixed, case-insensitive); levels: a list of level labels;
    logical: True/False; na / notna: None.
    """

    col: int
    type: str
    value: Any = None
    desc: str = ""  # R's description, e.g. 'mpg in [20, 30]' (filled from R's meta)

    def __post_init__(self) -> None:
        if self.type not in FILTER_TYPES:
            raise ValueError(f"unknown filter type {self.type!r}")

    def r_code(self) -> str:
        """``list(col = 3L, type = "range", value = ...)`` for .wd.view_filter()."""
        return f'list(col = {int(self.col) + 1}L, type = "{self.type}", value = {self._r_value()})'

    def _r_value(self) -> str:
        if self.type == "range":
            lo, hi = self.value if self.value is not None else (None, None)
            return f"list(min = {_r_scalar(lo)}, max = {_r_scalar(hi)})"
        if self.type == "contains":
            return r_string(str(self.value or ""))
        if self.type == "levels":
            return "c(" + ", ".join(r_string(str(v)) for v in as_list(self.value)) + ")" if self.value else "character()"
        if self.type == "logical":
            return "TRUE" if self.value else "FALSE"
        return "NULL"

    @classmethod
    def from_r(cls, raw: Any) -> ColumnFilter:
        """A filter as R's meta reports it (``col`` 1-based, 0 when its column is gone)."""
        if not isinstance(raw, dict):
            raise ValueError(f"filter is not an object: {raw!r}")
        kind = str(raw.get("type", ""))
        value = raw.get("value")
        if kind == "range":
            value = (value.get("min"), value.get("max")) if isinstance(value, dict) else (None, None)
        elif kind == "levels":
            value = [str(v) for v in as_list(value)]
        elif kind == "logical":
            value = bool(value)
        elif kind == "contains":
            value = "" if value is None else str(value)
        else:
            value = None
        return cls(int(raw.get("col", 0)) - 1, kind, value, str(raw.get("desc", "")))


def _r_scalar(value: Any) -> str:
    """A number or a date string as R code; None (or a non-finite number) is an open end."""
    if value is None or value == "":
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return format(float(value), ".17g") if math.isfinite(value) else "NULL"
    return r_string(str(value))


def filters_r_code(filters: list[ColumnFilter]) -> str:
    return "list(" + ", ".join(f.r_code() for f in filters) + ")"


@dataclass(frozen=True)
class ViewMeta:
    """What R says about one view (``.wd.view_meta``); columns are 0-based here."""

    id: int
    title: str
    name: str  # the tracked object's name ("" when View() got an expression)
    nrow: int  # rows after the filter
    total: int  # all rows
    ncol: int
    names: tuple[str, ...]
    classes: tuple[str, ...]
    kinds: tuple[str, ...]
    sort_col: int = -1  # -1: unsorted
    sort_desc: bool = False
    filter: str = ""  # a description of every active filter
    expr: str = ""  # the free R filter expression
    filters: tuple[ColumnFilter, ...] = field(default_factory=tuple)
    changed: bool = False  # the named object changed in R since the view read it

    @classmethod
    def parse(cls, raw: Any) -> ViewMeta:
        if not isinstance(raw, dict):
            raise ValueError(f"view meta is not an object: {raw!r}")
        try:
            ncol = int(raw["ncol"])
            names = tuple("" if n is None else str(n) for n in as_list(raw.get("names")))
            classes = tuple("" if n is None else str(n) for n in as_list(raw.get("classes")))
            kinds = tuple(k if k in KINDS else "other" for k in as_list(raw.get("kinds")))
            if not len(names) == len(classes) == len(kinds) == ncol:
                raise ValueError(f"view meta with {ncol} columns describes {len(names)}")
            return cls(
                id=int(raw["id"]), title=str(raw.get("title") or ""), name=str(raw.get("name") or ""),
                nrow=int(raw["nrow"]), total=int(raw["total"]), ncol=ncol,
                names=names, classes=classes, kinds=kinds,
                sort_col=int(raw.get("sort_col") or 0) - 1, sort_desc=raw.get("sort_desc") is True,
                filter=str(raw.get("filter") or ""), expr=str(raw.get("expr") or ""),
                filters=tuple(ColumnFilter.from_r(f) for f in as_list(raw.get("filters"))),
                changed=raw.get("changed") is True,
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"malformed view meta: {exc!r}") from None

    @property
    def filtered(self) -> bool:
        return bool(self.filter)

    def summary(self) -> str:
        """'mtcars — 32 × 11 (filtered: 14 of 32)'."""
        text = f"{self.title} — {self.total:,} × {self.ncol}".replace(",", "\u2009")
        if self.filtered:
            text += f" (filtered: {self.nrow:,} of {self.total:,})".replace(",", "\u2009")
        return text


@dataclass
class Block:
    """A rectangle of formatted cells: ``cols[j][i]`` is row ``row0 + i`` of column ``col0 + j``.

    None is R's NA. A block with no columns carries only row names (for the row header).
    """

    row0: int
    col0: int
    rownames: list[str | None]
    cols: list[list[str | None]]

    @property
    def nrows(self) -> int:
        return len(self.rownames)

    @classmethod
    def parse(cls, raw: Any, row0: int, col0: int, nrows: int, ncols: int) -> Block:
        if not isinstance(raw, dict):
            raise ValueError(f"rows reply is not an object: {raw!r}")
        rownames = [None if v is None else str(v) for v in _vector(raw.get("rownames"))]
        cols = [[None if v is None else str(v) for v in _vector(c)] for c in as_list(raw.get("cols"))]
        if len(rownames) != nrows or len(cols) != ncols or any(len(c) != nrows for c in cols):
            raise ValueError(f"rows reply is not {nrows} × {ncols}")
        return cls(row0, col0, rownames, cols)


def _vector(value: Any) -> list:
    """A character vector from R: a scalar (None: NA) is one of length 1; [] an empty one."""
    return value if isinstance(value, list) else [value]


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LruCache(Generic[K, V]):
    """A bounded map that forgets the least recently used entry: memory independent of rows."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        item = self._items.get(key)
        if item is not None:
            self._items.move_to_end(key)
        return item

    def peek(self, key: K) -> V | None:
        return self._items.get(key)

    def put(self, key: K, value: V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)

    def keys(self) -> list[K]:
        return list(self._items)

    def values(self) -> list[V]:
        return list(self._items.values())

    def clear(self) -> None:
        self._items.clear()

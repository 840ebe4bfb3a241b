"""rstudioapi's document ranges, checked and clamped to a document (pure Python).

R sends ranges as RStudio's own R code leaves them (``.rs.api.*`` in resources/R/gui/
rstudioapi.R): four 0-based numbers ``[start row, start column, end row, end column]``, where
``null`` (R's ``Inf``/``NA``) means "the end". They come from hostile code, so everything is
checked here; positions past a line's end or the document's end clamp to it, as in RStudio.
Columns count UTF-16 code units, like Qt's text positions (and RStudio's Ace editor).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

MAX_RANGES = 10_000


@dataclass(frozen=True)
class DocRange:
    """A clamped range: 0-based rows and columns, start before end."""

    start_row: int
    start_col: int
    end_row: int
    end_col: int

    def as_r(self) -> list[int]:
        """1-based, as rstudioapi's ``document_range`` shows it."""
        return [self.start_row + 1, self.start_col + 1, self.end_row + 1, self.end_col + 1]


def _coord(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("a range holds numbers")
    if value != value:  # NaN
        return None
    if value >= 2**31 - 1:
        return None
    return max(0, int(value))


def parse_ranges(value: object) -> list[tuple[int | None, ...]]:
    """A list of 4-number ranges (``None`` = the end); ValueError for anything else."""
    if not isinstance(value, list) or not value or len(value) > MAX_RANGES:
        raise ValueError("'ranges' should be a list of 4-element integer vectors")
    out = []
    for item in value:
        if not isinstance(item, list) or len(item) != 4:
            raise ValueError("'ranges' should be a list of 4-element integer vectors")
        out.append(tuple(_coord(v) for v in item))
    return out


def _position(row: int | None, col: int | None, lengths: Sequence[int]) -> tuple[int, int]:
    last = len(lengths) - 1
    if row is None or row > last:
        return last, lengths[last]
    return row, lengths[row] if col is None else min(col, lengths[row])


def clamp(raw: tuple[int | None, ...], lengths: Sequence[int]) -> DocRange:
    """``raw`` fitted to a document whose lines have ``lengths`` (at least one line)."""
    start = _position(raw[0], raw[1], lengths)
    end = _position(raw[2], raw[3], lengths)
    if end < start:
        start, end = end, start
    return DocRange(start[0], start[1], end[0], end[1])

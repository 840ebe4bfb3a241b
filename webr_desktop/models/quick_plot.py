"""What R sends for a quick plot: a small JSON header plus raw little-endian float64 arrays.

R's raster device takes seconds to draw a million points and the result can't be zoomed, so
for big numeric vectors R ships the numbers themselves and a native window plots them. The
header says how to read the blob; the blob is ``writeBin(c(x, y), raw(), endian="little")``,
so decoding is a zero-copy ``numpy.frombuffer`` view. Everything is validated here, once,
because the blob comes from user R code across the bridge and the window trusts its input.

NA and NaN are both NaN payloads in a float64, so they survive as NaN; the window decides
how to draw them (gaps in lines, dropped for scatter and histogram).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

KINDS = ("line", "scatter", "hist")
_ITEM_BYTES = 8  # little-endian float64
_LABELS = ("title", "xlab", "ylab")


class QuickPlotError(ValueError):
    """A quick-plot message that can't be drawn, with a message that says which part is wrong."""


@dataclass(frozen=True, eq=False)  # eq on arrays is ambiguous; identity is what callers need
class QuickPlotData:
    """One decoded plot. ``y`` (and ``x`` if R sent one) are read-only float64 views of the blob."""

    kind: str
    y: np.ndarray
    x: np.ndarray | None
    title: str
    xlab: str
    ylab: str

    @property
    def n(self) -> int:
        return int(self.y.shape[0])

    @classmethod
    def decode(cls, meta: dict[str, Any], blob: bytes | bytearray | memoryview) -> QuickPlotData:
        """Check ``meta`` against ``blob`` and wrap the blob without copying it.

        Raises QuickPlotError for anything that doesn't match the wire format exactly: a short
        or long blob means R and Python disagree about ``n``, and guessing would plot garbage.
        """
        if not isinstance(meta, dict):
            raise QuickPlotError(f"quick plot header must be a JSON object, got {type(meta).__name__}")
        missing = [key for key in ("kind", "n", "has_x", *_LABELS) if key not in meta]
        if missing:
            raise QuickPlotError(f"quick plot header is missing {', '.join(missing)}")
        kind = meta["kind"]
        if kind not in KINDS:
            raise QuickPlotError(f"unknown quick plot kind {kind!r}; expected one of {', '.join(KINDS)}")
        n = meta["n"]
        # bool is an int subclass, and jsonlite writes doubles such as 1e+06: both are R-side bugs.
        if isinstance(n, bool) or not isinstance(n, int):
            raise QuickPlotError(f"quick plot n must be an integer, got {n!r} ({type(n).__name__})")
        if n < 0:
            raise QuickPlotError(f"quick plot n must not be negative, got {n}")
        has_x = meta["has_x"]
        if not isinstance(has_x, bool):
            raise QuickPlotError(f"quick plot has_x must be true or false, got {has_x!r}")
        if has_x and kind == "hist":
            raise QuickPlotError("a quick plot histogram takes only y values; has_x must be false")
        for key in _LABELS:
            if not isinstance(meta[key], str):
                raise QuickPlotError(f"quick plot {key} must be a string, got {type(meta[key]).__name__}")
        if not isinstance(blob, (bytes, bytearray, memoryview)):
            raise QuickPlotError(f"quick plot data must be bytes, got {type(blob).__name__}")
        columns = 2 if has_x else 1
        expected = _ITEM_BYTES * n * columns
        actual = memoryview(blob).nbytes
        if actual != expected:
            raise QuickPlotError(
                f"quick plot data has {actual:,} bytes but n={n:,} {'x and y' if has_x else 'y'} "
                f"float64 values need {expected:,}"
            )
        # numpy is imported at the first quick plot, not at start-up: it costs the GUI process
        # ~20 MB of resident memory that most sessions never use (bench/memory.py).
        import numpy as np

        values = np.frombuffer(blob, dtype=np.dtype("<f8"))
        values.flags.writeable = False  # a bytearray blob would otherwise be writable through us
        x = values[:n] if has_x else None
        y = values[n:] if has_x else values
        return cls(kind=kind, y=y, x=x, title=meta["title"], xlab=meta["xlab"], ylab=meta["ylab"])

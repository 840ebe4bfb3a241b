"""What a plot export asks for: format, size and resolution, in the units users think in.

R's file devices take inches plus ``res`` for bitmaps (``png(width=, height=, units="in",
res=)``) and inches for vector formats, so a spec is kept in inches + DPI and converted from
pixels or centimetres at the edge. Pure Python: the dialog, the R function and the batch
runner share it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

FORMATS: dict[str, str] = {  # format -> file extension
    "png": "png",
    "jpeg": "jpg",
    "tiff": "tiff",
    "svg": "svg",
    "pdf": "pdf",
}
BITMAP_FORMATS = frozenset({"png", "jpeg", "tiff"})
UNITS = ("px", "in", "cm")
CM_PER_INCH = 2.54
MIN_DPI, MAX_DPI = 10, 2400
MAX_PIXELS = 100_000_000  # 10,000 x 10,000: beyond this a bitmap won't fit webR's memory
MIN_INCHES, MAX_INCHES = 0.5, 200.0


class ExportSpecError(ValueError):
    """An export request that can't be honoured, with a message for the user."""


@dataclass(frozen=True)
class ExportSpec:
    """One export: ``fmt`` is a key of FORMATS; size in inches; ``dpi`` for bitmaps."""

    fmt: str
    width_in: float
    height_in: float
    dpi: int = 150

    @classmethod
    def from_units(cls, fmt: str, width: float, height: float, units: str, dpi: int) -> ExportSpec:
        """A spec from a size in px, in or cm (px are converted with ``dpi``)."""
        if units not in UNITS:
            raise ExportSpecError(f"unknown unit {units!r}; use one of {', '.join(UNITS)}")
        if dpi <= 0:
            raise ExportSpecError("DPI must be positive")
        factor = {"px": 1.0 / dpi, "in": 1.0, "cm": 1.0 / CM_PER_INCH}[units]
        return cls(fmt, width * factor, height * factor, dpi).validated()

    @property
    def is_bitmap(self) -> bool:
        return self.fmt in BITMAP_FORMATS

    @property
    def extension(self) -> str:
        return FORMATS[self.fmt]

    @property
    def pixel_size(self) -> tuple[int, int]:
        """Bitmap size in pixels: inches x DPI, rounded as R's devices round."""
        return round(self.width_in * self.dpi), round(self.height_in * self.dpi)

    def size_in(self, units: str) -> tuple[float, float]:
        """The size expressed in ``units`` (for showing a spec in the dialog)."""
        factor = {"px": float(self.dpi), "in": 1.0, "cm": CM_PER_INCH}[units]
        return self.width_in * factor, self.height_in * factor

    def with_format(self, fmt: str) -> ExportSpec:
        return replace(self, fmt=fmt).validated()

    def validated(self) -> ExportSpec:
        """This spec, or ExportSpecError naming what is out of range."""
        if self.fmt not in FORMATS:
            raise ExportSpecError(f"unknown format {self.fmt!r}; use one of {', '.join(FORMATS)}")
        if not MIN_DPI <= self.dpi <= MAX_DPI:
            raise ExportSpecError(f"DPI must be between {MIN_DPI} and {MAX_DPI}")
        for name, value in (("width", self.width_in), ("height", self.height_in)):
            if not MIN_INCHES <= value <= MAX_INCHES:
                raise ExportSpecError(f"{name} must be between {MIN_INCHES} and {MAX_INCHES} inches")
        w, h = self.pixel_size
        if self.is_bitmap and w * h > MAX_PIXELS:
            raise ExportSpecError(f"{w} x {h} pixels is too large (at most {MAX_PIXELS:,} pixels)")
        return self


def format_for_path(path: str, default: str = "png") -> str:
    """The export format a file name asks for (by extension), else ``default``."""
    suffix = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    aliases = {"jpg": "jpeg", "jpeg": "jpeg", "tif": "tiff", "tiff": "tiff", "png": "png", "svg": "svg", "pdf": "pdf"}
    return aliases.get(suffix, default)


def export_call(r_id: int, path: str, spec: ExportSpec) -> str:
    """R code that replays plot ``r_id`` (0: the current one) to ``path`` and returns the path.

    ``path`` is a webR file-system path chosen by the app (never user text).
    """
    if not path.startswith("/") or "'" in path or "\\" in path:
        raise ValueError(f"unsafe webR path: {path!r}")
    return (
        f".wd.plot_export({int(r_id)}L, '{path}', '{spec.fmt}', {float(spec.width_in)!r}, "
        f"{float(spec.height_in)!r}, {int(spec.dpi)}L); '{path}'"
    )

"""The format-and-size half of the plot export dialog, kept apart so the dialog only wires.

The size is held in inches, as R's devices take it (see ``core/plot_export.py``), and the
spin boxes only *show* it in the chosen unit. Switching units therefore never changes the
size, and px -> in -> px comes back to the same pixels instead of drifting through rounding.

DPI rule: in px mode the pixel size stays fixed and a new DPI changes the inches (someone who
types 2000 x 1500 px wants those pixels); in in/cm mode the physical size stays fixed and a new
DPI changes the pixels (someone who types 17 x 12 cm for a journal wants that print size).
Vector formats have no pixels, so they disable DPI and px and show inches instead.

The preview label lives here too: the dialog only wires the pieces and writes files.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QByteArray, QObject, QSignalBlocker, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QImage, QPixmap, QStandardItemModel
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSpinBox,
    QWidget,
)

from webr_desktop.core.plot_export import (
    BITMAP_FORMATS,
    CM_PER_INCH,
    FORMATS,
    MAX_DPI,
    MIN_DPI,
    UNITS,
    ExportSpec,
    ExportSpecError,
)

FORMAT_LABELS = {"png": "PNG", "jpeg": "JPEG", "tiff": "TIFF", "svg": "SVG", "pdf": "PDF"}
UNIT_DECIMALS = {"px": 0, "in": 3, "cm": 2}
# Wide on purpose: out-of-range sizes get ExportSpec's red message rather than silent clamping.
UNIT_RANGES = {"px": (1.0, 1_000_000.0), "in": (0.01, 10_000.0), "cm": (0.01, 25_000.0)}
ERROR_STYLE = "color: #c62828;"
PREVIEW_SIZE = QSize(420, 320)
PREVIEW_DELAY_MS = 250  # debounce: typing "2000" asks for one preview, not four


def number(value: float) -> str:
    """A size for people: at most two decimals, no trailing zeros (10, 7.5, 19.05)."""
    return f"{round(value, 2):g}"


def describe(spec: ExportSpec, units: str) -> str:
    """What the file will be, e.g. "2000 × 1500 px at 200 DPI (10 × 7.5 in)"."""
    physical_units = "cm" if units == "cm" else "in"
    w, h = spec.size_in(physical_units)
    physical = f"{number(w)} × {number(h)} {physical_units}"
    if not spec.is_bitmap:
        return physical
    pw, ph = spec.pixel_size
    return f"{pw} × {ph} px at {spec.dpi} DPI ({physical})"


class TrimmedSpinBox(QDoubleSpinBox):
    """Shows "10" rather than "10.000", so inches don't look falsely precise."""

    def textFromValue(self, value: float) -> str:  # noqa: N802
        locale = self.locale()
        text = locale.toString(value, "f", self.decimals()).replace(locale.groupSeparator(), "")
        point = locale.decimalPoint()
        return text.rstrip("0").rstrip(point) if point in text else text


class ExportForm(QWidget):
    """Format, width × height in px/in/cm, DPI and keep-aspect; emits when the spec changes."""

    sig_spec_changed = Signal()
    sig_format_changed = Signal(str)  # a key of FORMATS

    def __init__(self, initial: ExportSpec, units: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._size_in = (initial.width_in, initial.height_in)  # the truth the spins display
        self._dpi = initial.dpi
        self._ratio = initial.height_in / initial.width_in
        self._units = units if units in UNITS else "in"

        self.format_combo = QComboBox()
        for fmt in FORMATS:
            self.format_combo.addItem(FORMAT_LABELS.get(fmt, fmt.upper()), fmt)
        self.width_spin = TrimmedSpinBox()
        self.height_spin = TrimmedSpinBox()
        for spin, name in ((self.width_spin, "Width"), (self.height_spin, "Height")):
            spin.setAccessibleName(name)
            spin.setMinimumWidth(90)
            spin.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.units_combo = QComboBox()
        for unit in UNITS:
            self.units_combo.addItem(unit, unit)
        self.dpi_spin = QSpinBox()
        self.dpi_spin.setRange(MIN_DPI, MAX_DPI)
        self.dpi_spin.setSuffix(" DPI")
        self.dpi_spin.setValue(initial.dpi)
        self.keep_aspect_check = QCheckBox("Keep aspect ratio")
        self.size_label = QLabel()
        self.size_label.setWordWrap(True)
        self.size_label.setMinimumWidth(300)  # room for "2000 × 1500 px at 200 DPI (…)" and errors
        self.size_label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.size_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        size_row = QHBoxLayout()
        size_row.addWidget(self.width_spin)
        size_row.addWidget(QLabel("×"))
        size_row.addWidget(self.height_spin)
        size_row.addWidget(self.units_combo)
        layout = QFormLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        layout.addRow("Format:", self.format_combo)
        layout.addRow("Size:", size_row)
        layout.addRow("Resolution:", self.dpi_spin)
        layout.addRow("", self.keep_aspect_check)
        layout.addRow("Result:", self.size_label)

        self.format_combo.setCurrentIndex(max(0, self.format_combo.findData(initial.fmt)))
        self.units_combo.setCurrentIndex(self.units_combo.findData(self._units))
        self._apply_format(self.fmt())
        self._show_size()
        self._refresh_label()

        self.format_combo.currentIndexChanged.connect(self._on_format_changed)
        self.units_combo.currentIndexChanged.connect(self._on_units_changed)
        self.width_spin.valueChanged.connect(self._on_width_changed)
        self.height_spin.valueChanged.connect(self._on_height_changed)
        self.dpi_spin.valueChanged.connect(self._on_dpi_changed)
        self.keep_aspect_check.toggled.connect(self._on_keep_aspect_toggled)

    # -- public -------------------------------------------------------------------------------
    def spec(self) -> ExportSpec:
        """The export as shown; ExportSpecError (with a message for the user) if out of range."""
        return ExportSpec(self.fmt(), self._size_in[0], self._size_in[1], self._dpi).validated()

    def fmt(self) -> str:
        return str(self.format_combo.currentData())

    def set_format(self, fmt: str) -> None:
        index = self.format_combo.findData(fmt)
        if index >= 0:
            self.format_combo.setCurrentIndex(index)

    def units(self) -> str:
        return self._units

    # -- handlers -------------------------------------------------------------------------------
    def _on_format_changed(self, _index: int) -> None:
        fmt = self.fmt()
        self._apply_format(fmt)
        self.sig_format_changed.emit(fmt)
        self._changed()

    def _on_units_changed(self, _index: int) -> None:
        self._units = str(self.units_combo.currentData())
        self._show_size()
        self._refresh_label()  # same spec, but cm mode describes itself in cm

    def _on_width_changed(self, value: float) -> None:
        width_in = value / self._per_inch()
        if self.keep_aspect_check.isChecked():
            self._set_size(width_in, width_in * self._ratio, show_height=True)
        else:
            self._set_size(width_in, self._size_in[1])

    def _on_height_changed(self, value: float) -> None:
        height_in = value / self._per_inch()
        if self.keep_aspect_check.isChecked():
            self._set_size(height_in / self._ratio, height_in, show_width=True)
        else:
            self._set_size(self._size_in[0], height_in)

    def _on_dpi_changed(self, dpi: int) -> None:
        if self._units == "px":  # keep the pixels: the same pixels at a new DPI are new inches
            scale = self._dpi / dpi
            self._size_in = (self._size_in[0] * scale, self._size_in[1] * scale)
        self._dpi = dpi
        self._changed()

    def _on_keep_aspect_toggled(self, checked: bool) -> None:
        """Lock the ratio as it is now; editing one side then scales the other."""
        if checked:
            self._ratio = self._size_in[1] / self._size_in[0]

    # -- helpers ------------------------------------------------------------------------------
    def _apply_format(self, fmt: str) -> None:
        """Vector files have no pixels: no DPI, no px (switching px to in keeps the size)."""
        bitmap = fmt in BITMAP_FORMATS
        self.dpi_spin.setEnabled(bitmap)
        model = self.units_combo.model()
        if isinstance(model, QStandardItemModel):
            item = model.item(self.units_combo.findData("px"))
            if item is not None:
                item.setEnabled(bitmap)
        if not bitmap and self._units == "px":
            self.units_combo.setCurrentIndex(self.units_combo.findData("in"))

    def _per_inch(self) -> float:
        return {"px": float(self._dpi), "in": 1.0, "cm": CM_PER_INCH}[self._units]

    def _set_size(self, width_in: float, height_in: float, *, show_width: bool = False,
                  show_height: bool = False) -> None:
        self._size_in = (width_in, height_in)
        if show_width:
            self._show_value(self.width_spin, width_in)
        if show_height:
            self._show_value(self.height_spin, height_in)
        self._changed()

    def _show_size(self) -> None:
        """Display the inches in the current unit without feeding back into the handlers."""
        low, high = UNIT_RANGES[self._units]
        for spin, value in ((self.width_spin, self._size_in[0]), (self.height_spin, self._size_in[1])):
            with QSignalBlocker(spin):
                spin.setDecimals(UNIT_DECIMALS[self._units])
                spin.setRange(low, high)
                spin.setSingleStep(10.0 if self._units == "px" else 0.5)
            self._show_value(spin, value)

    def _show_value(self, spin: QDoubleSpinBox, inches: float) -> None:
        with QSignalBlocker(spin):
            spin.setValue(inches * self._per_inch())

    def _changed(self) -> None:
        self._refresh_label()
        self.sig_spec_changed.emit()

    def _refresh_label(self) -> None:
        try:
            text, style = describe(self.spec(), self._units), ""
        except ExportSpecError as error:
            text, style = str(error), ERROR_STYLE
        self.size_label.setText(text)
        self.size_label.setStyleSheet(style)


class Renderer(Protocol):
    """Renders the current plot to a whole file (the app's PlotService).

    ``render`` returns a request QObject with ``sig_finished(bytes)`` and ``sig_failed(str)``;
    exactly one of them fires, later in the event loop.
    """

    def render(self, spec: ExportSpec) -> QObject: ...


def preview_spec(spec: ExportSpec, box: QSize) -> ExportSpec:
    """A PNG of the same inches at a DPI that fits ``box`` (never sharper than the export).

    R sizes text in points, so the same inches at any DPI keep the export's proportions and
    line breaks; only sharpness differs.
    """
    fit = min(box.width() / spec.width_in, box.height() / spec.height_in)
    dpi = min(spec.dpi, fit) if spec.is_bitmap else fit
    return ExportSpec("png", spec.width_in, spec.height_in, max(MIN_DPI, int(dpi)))


def as_bytes(data: object) -> bytes:
    """A request's payload as bytes (a renderer may hand over QByteArray or bytearray)."""
    return data.data() if isinstance(data, QByteArray) else bytes(data)  # type: ignore[arg-type]


def disconnect_request(request: QObject, finished: Callable[..., None], failed: Callable[..., None]) -> None:
    """Stop listening to a request we no longer want (it may already be deleted)."""
    with contextlib.suppress(RuntimeError, TypeError):
        request.sig_finished.disconnect(finished)  # type: ignore[attr-defined]
        request.sig_failed.disconnect(failed)  # type: ignore[attr-defined]


class ExportPreview(QLabel):
    """The plot at the export's inches, rendered small: debounced, one request at a time.

    If the spec changes while a preview renders, exactly one more is asked for when it comes
    back, with the latest spec; R is never asked to draw previews nobody will see.
    """

    sig_shown = Signal()

    def __init__(self, renderer: Renderer, parent: QWidget | None = None) -> None:
        super().__init__("Rendering…", parent)
        self._renderer = renderer
        self._spec: ExportSpec | None = None
        self._request: QObject | None = None
        self._rendered: ExportSpec | None = None  # asked for or shown; the same one isn't redrawn
        self._stale = False  # the spec changed while a preview was rendering
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        frame = 2 * self.frameWidth()
        self.setFixedSize(PREVIEW_SIZE + QSize(frame, frame))
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(PREVIEW_DELAY_MS)
        self._timer.timeout.connect(self.render_now)

    def schedule(self, spec: ExportSpec | None) -> None:
        """Preview ``spec`` once the user pauses; None (an invalid spec) keeps the last one."""
        self._spec = spec
        if spec is None:
            self._timer.stop()
        else:
            self._timer.start()

    def render_now(self) -> None:
        """Ask for the preview now (or right after the one in flight comes back)."""
        self._timer.stop()
        if self._spec is None:
            return
        if self._request is not None:
            self._stale = True
            return
        target = preview_spec(self._spec, self._box())
        if target == self._rendered:  # e.g. PNG -> JPEG, or a size typed back as it was
            return
        if self.pixmap().isNull():
            self.setText("Rendering…")
        try:
            request = self._renderer.render(target)
        except (RuntimeError, ValueError) as error:  # e.g. no R session, a spec R refuses
            self._show_error(str(error))
            return
        self._rendered = target
        request.sig_finished.connect(self._on_request_finished)
        request.sig_failed.connect(self._on_request_failed)
        self._request = request

    def stop(self) -> None:
        """Abandon pending work (the dialog is closing)."""
        self._timer.stop()
        self._spec = None
        self._end_request()

    def _on_request_finished(self, data: object) -> None:
        self._end_request()
        image = QImage.fromData(as_bytes(data))
        if image.isNull():
            self._rendered = None
            self._show_error("the preview is not a readable image")
        else:
            pixmap = QPixmap.fromImage(image)
            box = self._box()
            if pixmap.width() > box.width() or pixmap.height() > box.height():
                pixmap = pixmap.scaled(box, Qt.AspectRatioMode.KeepAspectRatio,
                                       Qt.TransformationMode.SmoothTransformation)
            pixmap.setDevicePixelRatio(self.devicePixelRatioF())
            self.setStyleSheet("")
            self.setPixmap(pixmap)
            self.sig_shown.emit()
        self._render_if_stale()

    def _on_request_failed(self, message: str) -> None:
        self._end_request()
        self._rendered = None  # let the same spec be tried again
        self._show_error(message)
        self._render_if_stale()

    def _render_if_stale(self) -> None:
        if self._stale:
            self._stale = False
            self.render_now()

    def _show_error(self, message: str) -> None:
        self.clear()
        self.setStyleSheet(ERROR_STYLE)
        self.setText(f"No preview: {message}")

    def _box(self) -> QSize:
        """The preview area in device pixels, so HiDPI screens get a sharp preview."""
        return PREVIEW_SIZE * self.devicePixelRatioF()

    def _end_request(self) -> None:
        if self._request is not None:
            disconnect_request(self._request, self._on_request_finished, self._on_request_failed)
            self._request = None

"""PlotsPane: the plot history with navigation, and the image R rendered for this pane's size.

The pane only shows a PlotHistory and reports what the user asks for (its drawing size,
export, copy, zoom, remove, clear); the app package wires those to the PlotService, which replays the
plot in R at the new size. Images are drawn at their own pixel density (webR's canvas draws
at 2x), never stretched up; while a re-render is on its way a larger image is scaled down.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QKeySequence, QPainter, QPaintEvent, QPixmap, QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QToolBar, QVBoxLayout, QWidget

from webr_desktop.models.plot_history import PlotEntry, PlotHistory

CANVAS_SCALE = 2.0  # webR's canvas device draws its images at twice the device size


def entry_pixmap(entry: PlotEntry) -> QPixmap:
    """The entry's image as a pixmap whose logical size is the R device size."""
    pixmap = QPixmap()
    pixmap.loadFromData(entry.png, "PNG")
    pixmap.setDevicePixelRatio(CANVAS_SCALE)
    return pixmap


class PlotCanvas(QWidget):
    """Paints one pixmap centred: at its own size, or scaled down to fit."""

    sig_resized = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pixmap: QPixmap | None = None
        self._placeholder = ""
        self.setMinimumSize(80, 60)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAutoFillBackground(True)
        pal = self.palette()
        pal.setColor(self.backgroundRole(), QColor("white"))
        self.setPalette(pal)

    def set_pixmap(self, pixmap: QPixmap | None, placeholder: str = "") -> None:
        self._pixmap = pixmap
        self._placeholder = placeholder
        self.update()

    def pixmap(self) -> QPixmap | None:
        return self._pixmap

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(420, 320)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.sig_resized.emit(self.width(), self.height())

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        if self._pixmap is None or self._pixmap.isNull():
            painter.setPen(QColor("#888"))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self._placeholder)
            return
        size = self._pixmap.deviceIndependentSize().toSize()
        if size.width() > self.width() or size.height() > self.height():
            size = size.scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        target = QRect(0, 0, size.width(), size.height())
        target.moveCenter(self.rect().center())
        painter.drawPixmap(target, self._pixmap)


class PlotsPane(QWidget):
    """History navigation toolbar + the current plot."""

    sig_view_resized = Signal(int, int)  # drawing area in logical pixels (debounced)
    sig_export_requested = Signal()
    sig_copy_requested = Signal()
    sig_zoom_requested = Signal()
    sig_remove_requested = Signal(int)  # history index
    sig_clear_requested = Signal()

    def __init__(self, history: PlotHistory, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._history = history
        self._shown_uid = 0
        self.canvas = PlotCanvas(self)
        self.counter_label = QLabel("", self)
        self.notice_label = QLabel("", self)
        self.notice_label.setStyleSheet("color: #8a6d00;")
        self.notice_label.setWordWrap(True)
        self.notice_label.hide()
        self._build_actions()
        toolbar = QToolBar(self)
        toolbar.setIconSize(QSize(16, 16))
        for action in (self.previous_action, self.next_action):
            toolbar.addAction(action)
        toolbar.addWidget(self.counter_label)
        toolbar.addSeparator()
        for action in (self.zoom_action, self.export_action, self.copy_action):
            toolbar.addAction(action)
        toolbar.addSeparator()
        for action in (self.remove_action, self.clear_action):
            toolbar.addAction(action)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(toolbar)
        layout.addWidget(self.notice_label)
        layout.addWidget(self.canvas, 1)
        self._resize_timer = QTimer(self, singleShot=True, interval=60)
        self._resize_timer.timeout.connect(self._report_size)
        self.canvas.sig_resized.connect(lambda w, h: self._resize_timer.start())
        history.sig_changed.connect(self._refresh)
        history.sig_image_changed.connect(self._on_image_changed)
        self._refresh()

    def _build_actions(self) -> None:
        def action(text: str, tip: str, shortcut: str | None = None) -> QAction:
            act = QAction(text, self)
            act.setToolTip(tip)
            if shortcut:
                act.setShortcut(QKeySequence(shortcut))
                act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.addAction(act)
            return act

        self.previous_action = action("◀", "Previous plot", "Ctrl+Alt+F11")
        self.next_action = action("▶", "Next plot", "Ctrl+Alt+F12")
        self.zoom_action = action("Zoom", "Show the plot in a larger window")
        self.export_action = action("Export…", "Save the plot as PNG, JPEG, TIFF, SVG or PDF at any size and DPI")
        self.copy_action = action("Copy", "Copy the plot to the clipboard")
        self.remove_action = action("Remove", "Remove this plot from the history")
        self.clear_action = action("Clear all", "Remove every plot from the history")
        self.previous_action.triggered.connect(self._history.previous)
        self.next_action.triggered.connect(self._history.next)
        self.zoom_action.triggered.connect(self.sig_zoom_requested)
        self.export_action.triggered.connect(self.sig_export_requested)
        self.copy_action.triggered.connect(self.sig_copy_requested)
        self.remove_action.triggered.connect(lambda: self.sig_remove_requested.emit(self._history.index))
        self.clear_action.triggered.connect(self.sig_clear_requested)

    def menu_actions(self) -> list[QAction]:
        """The pane's commands, for the main window's Plots menu."""
        return [self.previous_action, self.next_action, self.zoom_action, self.export_action,
                self.copy_action, self.remove_action, self.clear_action]

    def view_size(self) -> QSize:
        return self.canvas.size()

    def set_notice(self, text: str) -> None:
        """A short message about the shown plot (e.g. it has no recording to re-render)."""
        self.notice_label.setText(text)
        self.notice_label.setVisible(bool(text))

    def _report_size(self) -> None:
        # A pane never brought forward (a tab behind Files or Help) has no real size yet (Qt
        # calls a covered dock tab visible): R keeps its default size until the first raise,
        # whose layout sends a resize of its own.
        if self.canvas.visibleRegion().isEmpty():
            return
        self.sig_view_resized.emit(self.canvas.width(), self.canvas.height())

    def _refresh(self) -> None:
        history = self._history
        count, index = len(history), history.index
        self.counter_label.setText(f" {index + 1} / {count} " if count else " 0 / 0 ")
        self.previous_action.setEnabled(index > 0)
        self.next_action.setEnabled(0 <= index < count - 1)
        for act in (self.zoom_action, self.export_action, self.copy_action, self.remove_action, self.clear_action):
            act.setEnabled(count > 0)
        entry = history.current
        if entry is None:
            self._shown_uid = 0
            self.set_notice("")
            self.canvas.set_pixmap(None, "Plots you make in R appear here.")
            return
        if entry.uid != self._shown_uid:
            self.set_notice("")
        self._shown_uid = entry.uid
        self.canvas.setToolTip(f"Plot #{entry.r_id}" if entry.r_id is not None else "Plot (not recorded by R)")
        self.canvas.set_pixmap(entry_pixmap(entry))

    def _on_image_changed(self, uid: int) -> None:
        if uid == self._shown_uid:
            entry = self._history.current
            if entry is not None:
                self.canvas.set_pixmap(entry_pixmap(entry))

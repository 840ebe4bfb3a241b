"""What the Plots pane's commands open: the export dialog, zoom and quick-plot windows, the
clipboard. Kept apart from the pane so the pane only shows the history.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QMessageBox, QWidget

from webr_desktop.core.plot_export import ExportSpec, ExportSpecError
from webr_desktop.models.plot_history import PlotEntry
from webr_desktop.models.plot_service import PlotService
from webr_desktop.models.quick_plot import QuickPlotData
from webr_desktop.ui.plots.clipboard import copy_plot
from webr_desktop.ui.plots.plots_pane import PlotsPane
from webr_desktop.ui.plots.zoom_window import LOGICAL_DPI, PlotZoomWindow

class _EntryRenderer:
    """Renders one entry: the dialog keeps exporting the plot it opened on, even if R draws more."""

    def __init__(self, service: PlotService, entry: PlotEntry | None) -> None:
        self.service = service
        self._entry = entry

    def render(self, spec: ExportSpec) -> QObject:
        return self.service.render(spec, self._entry)


class PlotActions(QObject):
    """Opens the windows the Plots commands ask for and keeps them alive while shown."""

    def __init__(self, service: PlotService, pane: PlotsPane, settings: QSettings, directory: Path,
                 parent_window: QWidget) -> None:
        super().__init__(parent_window)
        self.service = service
        self.pane = pane
        self._settings = settings
        self._directory = directory
        self._window = parent_window
        self.windows: list[QWidget] = []  # zoom and quick-plot windows that are open

    def _keep(self, widget: QWidget) -> None:
        widget.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.windows.append(widget)
        widget.destroyed.connect(lambda _=None, w=widget: self.windows.remove(w) if w in self.windows else None)
        widget.show()

    def _pane_spec(self, fmt: str) -> ExportSpec:
        size = self.pane.view_size()
        try:
            return ExportSpec(fmt, size.width() / LOGICAL_DPI, size.height() / LOGICAL_DPI, 150).validated()
        except ExportSpecError:
            return ExportSpec(fmt, 7.0, 5.0, 150)

    def export(self):
        """Plots ▸ Export…: the dialog replays the plot on R's own file devices."""
        from webr_desktop.ui.plots.export_dialog import ExportDialog

        if self.service.history.current is None:
            return None
        renderer = _EntryRenderer(self.service, self.service.history.current)
        dialog = ExportDialog(renderer, self._pane_spec("png"), self._directory, self._settings, self._window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def copy(self) -> None:
        """A bitmap of the shown plot now; its SVG joins it once R has rendered it."""
        entry = self.service.history.current
        if entry is None:
            return
        image = QImage.fromData(entry.png, "PNG")
        copy_plot(image)
        if entry.recorded:
            request = self.service.render(self._pane_spec("svg"), entry)
            request.sig_finished.connect(lambda svg: copy_plot(image, svg))

    def zoom(self) -> PlotZoomWindow | None:
        entry = self.service.history.current
        if entry is None:
            return None
        window = PlotZoomWindow(self.service, entry)
        self._keep(window)
        return window

    def quick_plot(self, data: QuickPlotData) -> QWidget:
        from webr_desktop.ui.plots.quick_plot import QuickPlotWindow

        window = QuickPlotWindow(data)
        self._keep(window)
        return window

    def confirm_clear(self) -> None:
        if len(self.service.history) == 0:
            return
        answer = QMessageBox.question(
            self._window, "Clear plots", f"Remove all {len(self.service.history)} plots from the history?",
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.service.clear()

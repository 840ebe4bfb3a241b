"""DataViewerTabs: one closable tab per View(); closing a tab lets R drop the object."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QTabWidget, QWidget

from webr_desktop.models.data_view_model import DataViewModel
from webr_desktop.ui.data.data_viewer import DataViewer

MAX_TAB_TITLE = 28


class DataViewerTabs(QTabWidget):
    """The data viewers; the owner shows it on sig_raise_requested and may hide it on sig_emptied."""

    sig_raise_requested = Signal()  # a new view was added: bring this pane forward
    sig_emptied = Signal()  # the last tab closed

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTabsClosable(True)
        self.setMovable(True)
        self.setDocumentMode(True)
        self.tabCloseRequested.connect(self.close_tab)

    def add_viewer(self, model: DataViewModel) -> DataViewer:
        """Show a new view in its own tab, selected."""
        viewer = DataViewer(model, self)
        title = model.title if len(model.title) <= MAX_TAB_TITLE else model.title[: MAX_TAB_TITLE - 1] + "…"
        index = self.addTab(viewer, title)
        self.setTabToolTip(index, model.meta.summary())
        viewer.sig_title_changed.connect(lambda text, v=viewer: self._on_viewer_title_changed(v, text))
        self.setCurrentIndex(index)
        self.sig_raise_requested.emit()
        return viewer

    def viewers(self) -> list[DataViewer]:
        return [w for w in (self.widget(i) for i in range(self.count())) if isinstance(w, DataViewer)]

    def close_tab(self, index: int) -> None:
        viewer = self.widget(index)
        if viewer is None:
            return
        self.removeTab(index)
        if isinstance(viewer, DataViewer):
            viewer.model.close()
        viewer.deleteLater()
        if self.count() == 0:
            self.sig_emptied.emit()

    def close_all(self) -> None:
        while self.count():
            self.close_tab(self.count() - 1)

    def _on_viewer_title_changed(self, viewer: DataViewer, text: str) -> None:
        index = self.indexOf(viewer)
        if index >= 0:
            self.setTabToolTip(index, text)

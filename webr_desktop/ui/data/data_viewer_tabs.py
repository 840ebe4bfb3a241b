"""DataViewerTabs: one closable tab per View(); closing a tab lets R drop the object."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QTabWidget

from webr_desktop.models.data_view_model import DataViewModel
from webr_desktop.ui.data.data_viewer import DataViewer

MAX_TAB_TITLE = 28


class DataViewerTabs(QObject):
    """The data viewers, as tabs of ``tabs``: a tab widget of their own, or the Source area's,
    shared with scripts (then only the DataViewer pages are this object's business)."""

    sig_raise_requested = Signal()  # a new view was added: bring its tabs forward

    def __init__(self, tabs: QTabWidget | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        if tabs is None:
            tabs = QTabWidget()
            tabs.setTabsClosable(True)
            tabs.setMovable(True)
            tabs.setDocumentMode(True)
        self.tabs = tabs
        tabs.tabCloseRequested.connect(self.close_tab)

    def add_viewer(self, model: DataViewModel) -> DataViewer:
        """Show a new view in its own tab, in front."""
        viewer = DataViewer(model, self.tabs)
        title = model.title if len(model.title) <= MAX_TAB_TITLE else model.title[: MAX_TAB_TITLE - 1] + "…"
        index = self.tabs.addTab(viewer, title)
        self.tabs.setTabToolTip(index, model.meta.summary())
        viewer.sig_title_changed.connect(lambda text, v=viewer: self._on_viewer_title_changed(v, text))
        self.tabs.setCurrentIndex(index)
        self.sig_raise_requested.emit()
        return viewer

    def viewers(self) -> list[DataViewer]:
        return [w for w in (self.tabs.widget(i) for i in range(self.tabs.count())) if isinstance(w, DataViewer)]

    def current_viewer(self) -> DataViewer | None:
        widget = self.tabs.currentWidget()
        return widget if isinstance(widget, DataViewer) else None

    def close_tab(self, index: int) -> None:
        """Close a viewer's tab (other kinds of tab are left to their owners)."""
        viewer = self.tabs.widget(index)
        if not isinstance(viewer, DataViewer):
            return
        self.tabs.removeTab(index)
        viewer.model.close()
        viewer.deleteLater()

    def close_all(self) -> None:
        for viewer in self.viewers():
            self.close_tab(self.tabs.indexOf(viewer))

    def _on_viewer_title_changed(self, viewer: DataViewer, text: str) -> None:
        index = self.tabs.indexOf(viewer)
        if index >= 0:
            self.tabs.setTabToolTip(index, text)

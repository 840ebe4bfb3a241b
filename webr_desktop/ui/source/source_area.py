"""SourceArea: one tab bar above the console for scripts and data viewers, as in RStudio.

Scripts and ``View()`` tabs used to be two panes stacked above the console, and a viewer
opened while a script was shown got a height of 0. Here both kinds are pages of one
QTabWidget. Each kind keeps its logic in its own class, sharing this tab widget and acting
only on its own pages: EditorTabs (dirty markers, close prompts, recovery, run and source)
and DataViewerTabs (closing a viewer lets R drop the object). The area adds what is common:
an icon per kind, and signals for the window to show it while it has tabs and bring it
forward when a page asks to be seen.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from webr_desktop.core import paths
from webr_desktop.ui.data.data_viewer import DataViewer
from webr_desktop.ui.data.data_viewer_tabs import DataViewerTabs
from webr_desktop.ui.editor.code_editor import CodeEditor
from webr_desktop.ui.editor.completer import CompletionSource
from webr_desktop.ui.editor.editor_tabs import EditorTabs


class _SourceTabs(QTabWidget):
    """A QTabWidget that says when a tab came or went (QTabWidget has no signal for it)."""

    sig_count_changed = Signal(int)

    def tabInserted(self, index: int) -> None:  # noqa: N802
        super().tabInserted(index)
        self.sig_count_changed.emit(self.count())

    def tabRemoved(self, index: int) -> None:  # noqa: N802
        super().tabRemoved(index)
        self.sig_count_changed.emit(self.count())


class SourceArea(QWidget):
    """Script and data tabs in one tab bar, with the editor's find bar below them."""

    sig_count_changed = Signal(int)  # tabs now open (0: the owner may hide the area)
    sig_raise_requested = Signal()  # a page was opened or asked for: show the area

    def __init__(self, completions: CompletionSource | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tabs = _SourceTabs(self)
        self.tabs.setTabsClosable(True)
        self.tabs.setMovable(True)
        self.tabs.setDocumentMode(True)
        self._icons = {kind: QIcon(str(paths.resources_dir() / "icons" / f"{kind}.svg")) for kind in ("script", "data")}
        self.editor = EditorTabs(completions, self, tabs=self.tabs)  # below the tabs: its find bar
        self.data = DataViewerTabs(self.tabs, self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.editor)
        self.tabs.sig_count_changed.connect(self._on_tabs_count_changed)
        self.editor.sig_raise_requested.connect(self.sig_raise_requested)
        self.data.sig_raise_requested.connect(self.sig_raise_requested)

    def count(self) -> int:
        return self.tabs.count()

    def kind_of(self, index: int) -> str:
        """"script", "data" or "" (no such tab): what the tab at ``index`` shows."""
        page = self.tabs.widget(index)
        if isinstance(page, CodeEditor):
            return "script"
        return "data" if isinstance(page, DataViewer) else ""

    def _on_tabs_count_changed(self, count: int) -> None:
        for index in range(count):  # a tab just came: icons by kind (cheap, tabs are few)
            kind = self.kind_of(index)
            if kind and self.tabs.tabIcon(index).isNull():
                self.tabs.setTabIcon(index, self._icons[kind])
        self.sig_count_changed.emit(count)

"""PackagesPane: installed packages by library, with attach checkboxes, like RStudio's.

The pane shows a PackagesModel and reports what the user asks for; the app routes those to
the PackagesService, the dialogs and the session. A notice bar above the list carries what
needs the user: R's message when a detach didn't happen, the offer to restart R after a
loaded package changed, and the one-click offer to install a package ``library()`` missed.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QObject, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QAction, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QToolBar,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from webr_desktop.models.packages import PackagesModel, short_source

ARCHIVE_FILTER = "R packages (*.tgz *.tar.gz);;All files (*)"


class _FilterProxy(QSortFilterProxyModel):
    """Filters packages by name and title; a library stays while any package in it matches."""

    text = ""

    def set_text(self, text: str) -> None:
        self.beginFilterChange()
        self.text = text.casefold()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, row: int, parent: QModelIndex) -> bool:  # noqa: N802
        if not parent.isValid() or not self.text:
            return True
        shown = self.sourceModel().index(row, PackagesModel.NAME, parent).data(PackagesModel.FILTER_ROLE) or ""
        return self.text in str(shown).casefold()


class NoticeBar(QWidget):
    """One message with up to one action button and a dismiss button."""

    sig_accepted = Signal(str)  # the notice's key (what the button does)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("packagesNotice")
        self.setStyleSheet("#packagesNotice { background: #fff6d5; border-bottom: 1px solid #e0c870; }")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.button = QPushButton(self)
        self.close_button = QPushButton("Dismiss", self)
        self.close_button.setFlat(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.button)
        layout.addWidget(self.close_button)
        self._key = ""
        self.button.clicked.connect(self._on_button)
        self.close_button.clicked.connect(self.hide)
        self.hide()

    @property
    def key(self) -> str:
        return self._key if self.isVisibleTo(self.parentWidget()) else ""

    def show_notice(self, text: str, button: str = "", key: str = "") -> None:
        self._key = key
        self.label.setText(text)
        self.button.setText(button)
        self.button.setVisible(bool(button))
        self.show()

    def _on_button(self) -> None:
        key = self._key
        self.hide()
        self.sig_accepted.emit(key)


class PackagesPane(QWidget):
    """Toolbar (Install…, Update…, Install from File…, Refresh, filter) over the libraries."""

    sig_install_requested = Signal()
    sig_update_requested = Signal()
    sig_install_file_requested = Signal(str)  # the archive the user picked
    sig_refresh_requested = Signal()
    sig_remove_requested = Signal(list)  # package names, after the user confirmed
    sig_restart_requested = Signal()  # the user accepted the offer to restart R
    sig_install_missing_requested = Signal(str)  # the user accepted installing a missing package

    def __init__(self, model: PackagesModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self.proxy = _FilterProxy(self)
        self.proxy.setSourceModel(model)
        self.proxy.setRecursiveFilteringEnabled(False)
        self.tree = self._build_tree()
        self.filter_edit = QLineEdit(self)
        self.filter_edit.setPlaceholderText("Filter by name or title")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setMaximumWidth(180)
        self.filter_edit.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.filter_edit.textChanged.connect(self._on_filter_changed)
        self.notice = NoticeBar(self)
        self.notice.sig_accepted.connect(self._on_notice_accepted)
        self.status_label = QLabel(self)  # offline / stale indexes, progress of installs
        self.status_label.setWordWrap(True)
        self.status_label.setStyleSheet("color: #8a5a00; padding: 2px 6px;")
        self.status_label.hide()
        self._build_actions()
        toolbar = QToolBar(self)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        for action in (self.install_action, self.update_action, self.install_file_action, self.refresh_action):
            toolbar.addAction(action)
        spacer = QWidget(toolbar)
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        toolbar.addWidget(spacer)
        toolbar.addWidget(self.filter_edit)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(toolbar)
        layout.addWidget(self.notice)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.status_label)
        model.modelReset.connect(self._after_reset)
        self.tree.selectionModel().selectionChanged.connect(self._update_actions)
        self._after_reset()

    def _build_tree(self) -> QTreeView:
        tree = QTreeView(self)
        tree.setModel(self.proxy)
        tree.setUniformRowHeights(True)
        tree.setRootIsDecorated(False)
        tree.setItemsExpandable(False)
        tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        tree.setAlternatingRowColors(True)
        tree.setTextElideMode(Qt.TextElideMode.ElideRight)
        tree.setIndentation(0)
        tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        tree.customContextMenuRequested.connect(self._on_context_menu)
        header = tree.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(PackagesModel.LOADED, QHeaderView.ResizeMode.Fixed)
        metrics = tree.fontMetrics()
        tree.setColumnWidth(PackagesModel.LOADED, 28)
        tree.setColumnWidth(PackagesModel.NAME, metrics.horizontalAdvance("futile.options") + 16)
        tree.setColumnWidth(PackagesModel.VERSION, metrics.horizontalAdvance("1.10.14") + 16)
        tree.setColumnWidth(PackagesModel.SOURCE, metrics.horizontalAdvance("repo.r-wasm.org") + 16)
        tree.installEventFilter(self)
        return tree

    def _build_actions(self) -> None:
        def action(text: str, tip: str) -> QAction:
            act = QAction(text, self)
            act.setToolTip(tip)
            self.addAction(act)
            return act

        self.install_action = action("Install…", "Search the package sources and install packages")
        self.update_action = action("Update…", "Installed packages that have a newer version")
        self.install_file_action = action("Install from File…", "Install a package archive (.tgz or .tar.gz)")
        self.refresh_action = action("Refresh", "Re-read the libraries and what R has loaded")
        self.remove_action = action("Remove…", "Remove the selected packages from the user library (Delete)")
        self.repositories_action = action("Repositories…", "Choose and order the package sources")
        self.install_action.triggered.connect(self.sig_install_requested)
        self.update_action.triggered.connect(self.sig_update_requested)
        self.install_file_action.triggered.connect(self._choose_file)
        self.refresh_action.triggered.connect(self.sig_refresh_requested)
        self.remove_action.triggered.connect(self.confirm_remove)

    def menu_actions(self) -> list[QAction]:
        """The commands of the Packages menu (Repositories… is added by the app)."""
        return [self.install_action, self.update_action, self.install_file_action, self.refresh_action,
                self.remove_action]

    # ------------------------------------------------------------------ queries
    def selected_removable(self) -> list[str]:
        rows = self.tree.selectionModel().selectedRows(PackagesModel.NAME)
        return [str(i.data(PackagesModel.NAME_ROLE)) for i in sorted(rows, key=lambda i: (i.parent().row(), i.row()))
                if i.parent().isValid() and i.data(PackagesModel.REMOVABLE_ROLE)]

    # ------------------------------------------------------------------ what the app shows here
    def show_r_message(self, text: str) -> None:
        """What R said attaching or detaching a package (e.g. why it kept a namespace)."""
        self.notice.show_notice(text)

    def offer_restart(self, names: list[str]) -> None:
        listed = ", ".join(names)
        self.notice.show_notice(f"R has {listed} loaded: restart R to use the changed package"
                                f"{'s' if len(names) > 1 else ''}.", "Restart R", "restart")

    def offer_missing(self, name: str, version: str, source: str) -> None:
        """A one-click offer; nothing installs unless the user clicks Install."""
        self.notice.show_notice(f"Package ‘{name}’ is not installed; {short_source(source)} has version {version}.",
                                f"Install {name}", f"install:{name}")

    def set_sources_status(self, summary: str) -> None:
        """Which sources are offline or stale ("" hides the line)."""
        self._sources_summary = summary
        self._show_status()

    def show_progress(self, text: str) -> None:
        """An install's progress, e.g. one R asked for at the console ("" when done)."""
        self._progress_text = text
        self._show_status()

    def _show_status(self) -> None:
        parts = [t for t in (getattr(self, "_progress_text", ""), getattr(self, "_sources_summary", "")) if t]
        self.status_label.setText("\n".join(parts))
        self.status_label.setVisible(bool(parts))

    # ------------------------------------------------------------------ user actions
    def confirm_remove(self) -> None:
        names = self.selected_removable()
        if not names:
            return
        loaded = [n for n in names if self._model.is_loaded(n)]
        extra = f"\n\nR has {', '.join(loaded)} loaded; it keeps working until R restarts." if loaded else ""
        answer = QMessageBox.question(
            self, "Remove packages",
            f"Remove {', '.join(names)} from the user library?{extra}",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No,
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.sig_remove_requested.emit(names)

    def _choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Install from File", "", ARCHIVE_FILTER)
        if path:
            self.sig_install_file_requested.emit(path)

    def _on_notice_accepted(self, key: str) -> None:
        if key == "restart":
            self.sig_restart_requested.emit()
        elif key.startswith("install:"):
            self.sig_install_missing_requested.emit(key.split(":", 1)[1])

    def _on_context_menu(self, pos) -> None:  # noqa: ANN001 - QPoint
        if not self.selected_removable():
            return
        menu = QMenu(self)
        menu.addAction(self.remove_action)
        menu.exec(self.tree.viewport().mapToGlobal(pos))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if (watched is self.tree and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent)
                and event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace)):
            self.confirm_remove()
            return True
        return super().eventFilter(watched, event)

    def _on_filter_changed(self, text: str) -> None:
        self.proxy.set_text(text.strip())
        self._after_reset()

    def _after_reset(self) -> None:
        self.tree.expandAll()
        for row in range(self.proxy.rowCount()):
            self.tree.setFirstColumnSpanned(row, QModelIndex(), True)
        self._update_actions()

    def _update_actions(self) -> None:
        self.remove_action.setEnabled(bool(self.selected_removable()))

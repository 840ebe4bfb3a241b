"""FilesPane: the project folder as a live tree, with RStudio's file commands.

The tree is a FileTreeModel (QFileSystemModel underneath, which watches the disk), so files
that R or another program writes appear by themselves. The pane changes the disk only for
the user's own commands (new, rename, delete); everything that concerns another part of the
app is a signal the app package routes: open a file in the editor, set R's working directory, open a
folder.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QDateTime, QEvent, QLocale, QModelIndex, QObject, Qt, QUrl, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QStyle,
    QToolBar,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from webr_desktop.ui.files.file_tree_model import FileTreeModel
from webr_desktop.ui.files import file_ops
from webr_desktop.ui.files.file_dialogs import confirm_permanent_delete
from webr_desktop.ui.files.path_bar import PathBar, shown_path
from webr_desktop.ui.outside import open_outside

DEFAULT_NEW_FILE = "untitled.R"
DEFAULT_NEW_FOLDER = "New Folder"


class FilesPane(QWidget):
    """Toolbar, path bar (up, current folder, back to project) and the tree; or "Open Folder…"."""

    sig_open_file = Signal(object)  # Path of a file the user opened (double-click, Enter, new file)
    sig_set_working_dir = Signal(object)  # Path of a folder to make R's working directory
    sig_open_folder_requested = Signal()  # the empty state's "Open Folder…"
    sig_path_renamed = Signal(object, object)  # old Path, new Path (an editor tab may follow it)
    sig_paths_deleted = Signal(list)  # Paths trashed or deleted (editor tabs may mark them)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = FileTreeModel(self)
        self._project: Path | None = None
        self.tree = self._build_tree()
        self._build_actions()
        self.path_bar = PathBar(self.up_action, self.project_action, self)
        self.path_label, self.project_button = self.path_bar.label, self.path_bar.project_button
        browser = QWidget(self)
        browser_layout = QVBoxLayout(browser)
        browser_layout.setContentsMargins(0, 0, 0, 0)
        browser_layout.setSpacing(0)
        browser_layout.addWidget(self._build_toolbar())
        browser_layout.addWidget(self.path_bar)
        browser_layout.addWidget(self.tree, 1)
        self._stack = QStackedWidget(self)
        self._stack.addWidget(self._build_empty_page())
        self._stack.addWidget(browser)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._stack)
        self._update_state()

    # ------------------------------------------------------------------ building
    def _build_tree(self) -> QTreeView:
        tree = QTreeView(self)
        tree.setModel(self.model)
        tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        tree.setUniformRowHeights(True)  # no measuring of every row in big folders
        tree.setAnimated(False)
        tree.setSortingEnabled(False)  # the model's own order: folders first, by name
        tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        tree.customContextMenuRequested.connect(self._on_tree_context_menu)
        tree.activated.connect(self._on_tree_activated)
        tree.installEventFilter(self)
        header = tree.header()
        header.setSectionsClickable(False)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(FileTreeModel.NAME, QHeaderView.ResizeMode.Stretch)
        tree.setColumnHidden(FileTreeModel.TYPE, True)
        metrics = tree.fontMetrics()
        locale = QLocale.system()  # what FileTreeModel formats with
        date_sample = locale.toString(QDateTime.currentDateTime(), QLocale.FormatType.ShortFormat)
        size_sample = locale.formattedDataSize(1023 * 1024 + 1000)  # the widest: "1023.98 KiB"
        tree.setColumnWidth(FileTreeModel.SIZE, metrics.horizontalAdvance(size_sample) + 16)
        tree.setColumnWidth(FileTreeModel.MODIFIED, metrics.horizontalAdvance(date_sample) + 16)
        tree.selectionModel().selectionChanged.connect(self._update_state)
        return tree

    def _build_actions(self) -> None:
        style = self.style()

        def action(text: str, tip: str, icon: QStyle.StandardPixmap | None = None,
                   keys: QKeySequence | QKeySequence.StandardKey | None = None) -> QAction:
            act = QAction(text, self)
            act.setToolTip(tip)
            if icon is not None:
                act.setIcon(style.standardIcon(icon))
            if keys is not None:
                act.setShortcut(keys)
                act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
                self.addAction(act)
            return act

        sp = QStyle.StandardPixmap
        self.new_file_action = action("New File…", "New empty file in the selected folder", sp.SP_FileIcon)
        self.new_folder_action = action("New Folder…", "New folder in the selected folder", sp.SP_FileDialogNewFolder)
        self.rename_action = action("Rename…", "Rename the selected file or folder (F2)", None, QKeySequence(Qt.Key.Key_F2))
        self.delete_action = action("Delete", "Move the selection to the trash (Delete)", sp.SP_TrashIcon,
                                    QKeySequence(QKeySequence.StandardKey.Delete))
        self.refresh_action = action("Refresh", "Read the folder again from the disk", sp.SP_BrowserReload)
        self.set_wd_action = action("Set as Working Directory", "Make the selected folder R's working directory")
        self.reveal_action = action("Show in File Manager", "Open the selected folder in the system's file manager")
        self.copy_path_action = action("Copy Path", "Copy the selected item's full path")
        self.open_action = action("Open", "Open the file in the editor")
        self.hidden_action = action("Show Hidden Files", "Show files whose names start with a dot")
        self.hidden_action.setCheckable(True)
        self.up_action = action("Up", "Show the parent folder", sp.SP_FileDialogToParent)
        self.project_action = action("Project", "Back to the project folder", sp.SP_DirHomeIcon)
        self.new_file_action.triggered.connect(self.new_file)
        self.new_folder_action.triggered.connect(self.new_folder)
        self.rename_action.triggered.connect(self.rename_selected)
        self.delete_action.triggered.connect(self.delete_selected)
        self.refresh_action.triggered.connect(self.refresh)
        self.set_wd_action.triggered.connect(self._on_set_wd_triggered)
        self.reveal_action.triggered.connect(self.reveal_selected)
        self.copy_path_action.triggered.connect(self._on_copy_path_triggered)
        self.open_action.triggered.connect(self._on_open_triggered)
        self.hidden_action.toggled.connect(self.model.set_show_hidden)
        self.up_action.triggered.connect(self._on_up_triggered)
        self.project_action.triggered.connect(lambda: self._show_folder(self._project))

    def _build_toolbar(self) -> QToolBar:
        toolbar = QToolBar(self)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        toolbar.setIconSize(toolbar.iconSize() * 0.75)
        for act in (self.new_file_action, self.new_folder_action, self.rename_action, self.delete_action,
                    self.refresh_action):
            toolbar.addAction(act)
        toolbar.widgetForAction(self.rename_action).setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        more = QToolButton(toolbar)
        more.setText("More")
        more.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(more)
        for act in (self.set_wd_action, self.reveal_action, self.copy_path_action):
            menu.addAction(act)
        menu.addSeparator()
        menu.addAction(self.hidden_action)
        more.setMenu(menu)
        self.more_menu = menu
        spacer = QWidget(toolbar)
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        toolbar.addWidget(spacer)
        toolbar.addWidget(more)
        return toolbar

    def _build_empty_page(self) -> QWidget:
        page = QWidget(self)
        self.empty_label = QLabel("No folder is open.\nOpen a project folder to see its files here.", page)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_label.setStyleSheet("color: #888;")
        self.open_folder_button = QPushButton("Open Folder…", page)
        self.open_folder_button.clicked.connect(self.sig_open_folder_requested)
        layout = QVBoxLayout(page)
        layout.addStretch(1)
        layout.addWidget(self.empty_label)
        layout.addWidget(self.open_folder_button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)
        return page

    # ------------------------------------------------------------------ public API
    def set_root(self, path: Path | None) -> None:
        """Show the project folder ``path`` (None: the "Open Folder…" state)."""
        self._project = Path(path).resolve() if path is not None else None
        self._show_folder(self._project)

    def root(self) -> Path | None:
        """The folder the tree shows now (the project or a folder above it)."""
        return self.model.root

    def project(self) -> Path | None:
        return self._project

    def selected_paths(self) -> list[Path]:
        rows = self.tree.selectionModel().selectedRows(FileTreeModel.NAME)
        return [self.model.file_path(index) for index in rows]

    def current_path(self) -> Path | None:
        index = self.tree.currentIndex()
        if index.isValid() and self.tree.selectionModel().isSelected(index):
            return self.model.file_path(index)
        selected = self.selected_paths()
        return selected[0] if selected else None

    def target_folder(self) -> Path | None:
        """Where commands act: the selected folder, the selected file's folder, or the root."""
        current = self.current_path()
        if current is None:
            return self.root()
        return current if current.is_dir() else current.parent

    def select_path(self, path: Path) -> bool:
        """Select and show ``path`` if the tree has it (False if not loaded yet)."""
        index = self.model.index_for(path)
        if not index.isValid():
            return False
        self.tree.setCurrentIndex(index)
        self.tree.scrollTo(index)
        return True

    def menu_actions(self) -> list[QAction]:
        """The pane's commands, for a main-window menu."""
        return [self.new_file_action, self.new_folder_action, self.rename_action, self.delete_action,
                self.refresh_action, self.set_wd_action, self.reveal_action, self.hidden_action]

    # ------------------------------------------------------------------ commands
    def new_file(self) -> Path | None:
        folder = self.target_folder()
        name = self._ask_name("New File", f"Name of the new file in {shown_path(folder)}:", DEFAULT_NEW_FILE)
        if folder is None or name is None:
            return None
        created = self._attempt(lambda: file_ops.create_file(folder, name))
        if created is not None:
            self._reveal_new(created)
            self.sig_open_file.emit(created)
        return created

    def new_folder(self) -> Path | None:
        folder = self.target_folder()
        name = self._ask_name("New Folder", f"Name of the new folder in {shown_path(folder)}:", DEFAULT_NEW_FOLDER)
        if folder is None or name is None:
            return None
        created = self._attempt(lambda: file_ops.create_folder(folder, name))
        if created is not None:
            self._reveal_new(created)
        return created

    def rename_selected(self) -> Path | None:
        path = self.current_path()
        if path is None:
            return None
        name = self._ask_name("Rename", f"New name for “{path.name}”:", path.name)
        if name is None or name == path.name:
            return None
        renamed = self._attempt(lambda: file_ops.rename(path, name))
        if renamed is not None:
            self._reveal_new(renamed)
            self.sig_path_renamed.emit(path, renamed)
        return renamed

    def delete_selected(self) -> list[Path]:
        """Trash the selection; where there is no trash, ask before deleting for good."""
        paths = file_ops.top_level([p for p in self.selected_paths() if p != self.root()])
        if not paths:
            return []
        gone = [p for p in paths if file_ops.move_to_trash(p)]
        left = [p for p in paths if p not in gone]
        if left and confirm_permanent_delete(self, left):
            for path in left:
                if self._attempt(lambda p=path: file_ops.delete_permanently(p) or p) is not None:
                    gone.append(path)
        if gone:
            self.sig_paths_deleted.emit(gone)
        return gone

    def refresh(self) -> None:
        """Re-read the disk, keeping expanded folders expanded."""
        expanded = self._expanded_paths()
        self.model.reload()
        self.tree.setRootIndex(self.model.root_index())
        for path in expanded:
            index = self.model.index_for(path)
            if index.isValid():
                self.tree.expand(index)

    def refresh_details(self) -> None:
        """Show sizes and dates as they are now (after R ran: it may have rewritten files)."""
        self.tree.viewport().update()

    def reveal_selected(self) -> None:
        folder = self.target_folder()
        if folder is not None:
            open_outside(QUrl.fromLocalFile(str(folder)))  # the file manager

    # ------------------------------------------------------------------ dialogs (patched in tests)
    def _ask_name(self, title: str, label: str, default: str) -> str | None:
        text, ok = QInputDialog.getText(self, title, label, QLineEdit.EchoMode.Normal, default)
        return text if ok else None

    def _attempt(self, operation):  # noqa: ANN001, ANN202 - a thunk returning a Path
        try:
            return operation()
        except OSError as exc:
            QMessageBox.warning(self, "Files", str(exc))
            return None

    # ------------------------------------------------------------------ handlers
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        # Enter on a folder opens/closes it (QTreeView would only emit activated).
        if (watched is self.tree and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent)
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)):
            index = self.tree.currentIndex()
            if index.isValid() and self.model.is_dir(index):
                self.tree.setExpanded(index, not self.tree.isExpanded(index))
                return True
        return super().eventFilter(watched, event)

    def _on_tree_activated(self, index: QModelIndex) -> None:
        if index.isValid() and not self.model.is_dir(index):
            self.sig_open_file.emit(self.model.file_path(index))

    def _on_open_triggered(self) -> None:
        for path in self.selected_paths():
            if not path.is_dir():
                self.sig_open_file.emit(path)

    def _on_set_wd_triggered(self) -> None:
        folder = self.target_folder()
        if folder is not None:
            self.sig_set_working_dir.emit(folder)

    def _on_copy_path_triggered(self) -> None:
        path = self.current_path() or self.root()
        if path is not None:
            QGuiApplication.clipboard().setText(str(path))

    def _on_up_triggered(self) -> None:
        root = self.root()
        if root is not None and root.parent != root:
            self._show_folder(root.parent)

    def _on_tree_context_menu(self, pos) -> None:  # noqa: ANN001 - QPoint
        index = self.tree.indexAt(pos)
        if not index.isValid():
            self.tree.clearSelection()
        elif not self.tree.selectionModel().isSelected(index):
            self.tree.setCurrentIndex(index)
        menu = self.context_menu()
        menu.exec(self.tree.viewport().mapToGlobal(pos))
        menu.deleteLater()

    def context_menu(self) -> QMenu:
        """The right-click menu for the current selection (a new QMenu each time)."""
        menu = QMenu(self)
        if any(not p.is_dir() for p in self.selected_paths()):
            menu.addAction(self.open_action)
            menu.addSeparator()
        for act in (self.new_file_action, self.new_folder_action, self.rename_action, self.delete_action):
            menu.addAction(act)
        menu.addSeparator()
        for act in (self.set_wd_action, self.reveal_action, self.copy_path_action):
            menu.addAction(act)
        menu.addSeparator()
        menu.addAction(self.refresh_action)
        menu.addAction(self.hidden_action)
        return menu

    # ------------------------------------------------------------------ internals
    def _show_folder(self, folder: Path | None) -> None:
        self.tree.setRootIndex(self.model.set_root(folder))
        self.tree.clearSelection()
        self.path_bar.set_folder(folder)
        self._stack.setCurrentIndex(0 if folder is None else 1)
        self._update_state()

    def _update_state(self) -> None:
        root, selected = self.root(), self.selected_paths()
        has_root = root is not None
        for act in (self.new_file_action, self.new_folder_action, self.refresh_action, self.set_wd_action,
                    self.reveal_action, self.copy_path_action, self.hidden_action):
            act.setEnabled(has_root)
        self.rename_action.setEnabled(len(selected) == 1)
        self.delete_action.setEnabled(bool(selected))
        self.up_action.setEnabled(has_root and root.parent != root)
        self.project_button.setVisible(has_root and self._project is not None and root != self._project)

    def _reveal_new(self, path: Path) -> None:
        parent = self.model.index_for(path.parent)
        if parent.isValid():
            self.tree.expand(parent)
        if not self.select_path(path):  # QFileSystemModel learns of it a moment later
            self.model.sig_directory_loaded.connect(self._select_pending, Qt.ConnectionType.SingleShotConnection)
            self._pending_select = path

    def _select_pending(self, _folder: str) -> None:
        pending = getattr(self, "_pending_select", None)
        if pending is not None:
            self.select_path(pending)

    def _expanded_paths(self) -> list[Path]:
        found: list[Path] = []
        pending = [self.tree.rootIndex()]
        while pending:
            parent = pending.pop()
            for row in range(self.model.rowCount(parent)):
                index = self.model.index(row, 0, parent)
                if self.tree.isExpanded(index):
                    found.append(self.model.file_path(index))
                    pending.append(index)
        return found

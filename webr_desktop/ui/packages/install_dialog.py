"""InstallDialog: search every package source, see the whole plan, then install it.

Nothing is downloaded before the user has seen the plan (package, version, source, size, in
install order) and pressed Install. While it installs, each package has its own progress bar:
bytes downloaded, then unpacking and installing. The same dialog installs a picked archive
(Install from File…) and the packages the Update dialog chose, without the search part.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QSplitter,
    QTreeView,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from webr_desktop.models.environment import human_size
from webr_desktop.models.package_search import SearchResultsModel
from webr_desktop.models.packages_service import PackagesService

SEARCH_DELAY_MS = 150
PLAN_DELAY_MS = 250


class InstallDialog(QDialog):
    """See the module docstring; ``names`` or ``file`` skip the search and plan those."""

    def __init__(self, service: PackagesService, parent: QWidget | None = None, *,
                 names: Sequence[str] = (), file: str = "", title: str = "Install Packages") -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(720, 520)
        self._service = service
        self._plan_request = -1
        self._plan: list = []
        self._bars: dict[str, QProgressBar] = {}
        self._installing = False
        self.finished_names: list[str] = []

        self.search_edit = QLineEdit(self)
        self.search_edit.setPlaceholderText("Search packages by name or title")
        self.search_edit.setClearButtonEnabled(True)
        self.results_model = SearchResultsModel(self)
        self.results = QTreeView(self)
        self.results.setModel(self.results_model)
        self.results.setRootIsDecorated(False)
        self.results.setUniformRowHeights(True)
        self.results.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.results.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.results.header().setStretchLastSection(True)
        metrics = self.results.fontMetrics()  # fixed widths: measuring 500 rows per keystroke is slow
        for column, sample in enumerate(("futile.options__", "1.10.14", "repo.r-wasm.org/xx")):
            self.results.setColumnWidth(column, metrics.horizontalAdvance(sample) + 16)
        self.plan_label = QLabel("Select packages to see what will be installed.", self)
        self.plan_tree = QTreeWidget(self)
        self.plan_tree.setHeaderLabels(["Package", "Version", "Source", "Size", "Progress"])
        self.plan_tree.setRootIsDecorated(False)
        self.plan_tree.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.plan_tree.header().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.plan_tree.header().setStretchLastSection(True)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.sources_label = QLabel(self)
        self.sources_label.setWordWrap(True)
        self.sources_label.setStyleSheet("color: #8a5a00;")
        self.sources_label.hide()
        self.buttons = QDialogButtonBox(self)
        self.install_button = self.buttons.addButton("Install", QDialogButtonBox.ButtonRole.AcceptRole)
        self.install_button.setEnabled(False)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.install_button.clicked.connect(self.install)
        self.close_button.clicked.connect(self.reject)

        search_part = QWidget(self)
        top = QVBoxLayout(search_part)
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.search_edit)
        top.addWidget(self.results, 1)
        plan_part = QWidget(self)
        bottom = QVBoxLayout(plan_part)
        bottom.setContentsMargins(0, 0, 0, 0)
        bottom.addWidget(self.plan_label)
        bottom.addWidget(self.plan_tree, 1)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(search_part)
        splitter.addWidget(plan_part)
        layout = QVBoxLayout(self)
        layout.addWidget(self.sources_label)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

        self._search_timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(lambda: service.search(self.search_edit.text()))
        self._plan_timer = QTimer(self, singleShot=True, interval=PLAN_DELAY_MS)
        self._plan_timer.timeout.connect(self._ask_plan)
        self.search_edit.textChanged.connect(lambda _t: self._search_timer.start())
        self.results.selectionModel().selectionChanged.connect(lambda *_a: self._plan_timer.start())
        service.sig_search_finished.connect(self._on_search_finished)
        service.sig_plan_ready.connect(self._on_plan_ready)
        service.sig_plan_failed.connect(self._on_plan_failed)
        service.sig_install_progress.connect(self._on_progress)
        service.sig_install_finished.connect(self._on_install_finished)
        service.sig_install_failed.connect(self._on_install_failed)
        service.sig_sources_checked.connect(self._on_sources_checked)

        if file or names:
            search_part.hide()
            self.plan_label.setText("Working out what to install…")
            self._plan_request = service.plan_file(file) if file else service.plan(list(names))
        else:
            self.search_edit.setFocus()
            self._say("Reading the package sources…")  # the first search loads every index
            service.search("")

    # ------------------------------------------------------------------ search and plan
    def selected_names(self) -> list[str]:
        rows = sorted(i.row() for i in self.results.selectionModel().selectedRows())
        return [self.results_model.candidate(r).name for r in rows]

    def select(self, name: str) -> bool:
        """Select the hit named ``name`` (added to the selection); False if it isn't listed."""
        for row in range(self.results_model.rowCount()):
            if self.results_model.candidate(row).name == name:
                flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
                self.results.selectionModel().select(self.results_model.index(row, 0), flags)
                return True
        return False

    def _on_search_finished(self, query: str, found: list) -> None:
        if query != self.search_edit.text():
            return  # an older search
        if self.message.text() == "Reading the package sources…":
            self._say("" if found or query else "No package sources are configured, or none could be read.")
        self.results_model.set_candidates(found)

    def _ask_plan(self) -> None:
        names = self.selected_names()
        if self._installing:
            return
        if not names:
            self._show_plan([])
            self.plan_label.setText("Select packages to see what will be installed.")
            return
        self.plan_label.setText("Working out what to install…")
        self.install_button.setEnabled(False)
        self._plan_request = self._service.plan(names)

    def _on_plan_ready(self, request: int, plan: list) -> None:
        if request != self._plan_request or self._installing:
            return
        self._show_plan(plan)
        total = sum(i.size or 0 for i in plan)
        unknown = any(i.size is None for i in plan)
        size = human_size(total) + (" or more" if unknown else "") if plan else ""
        self.plan_label.setText(
            f"{len(plan)} package{'s' if len(plan) != 1 else ''} will be installed ({size}), in this order:"
            if plan else "Nothing to install.")
        self.message.clear()
        self.install_button.setEnabled(bool(plan))

    def _on_plan_failed(self, request: int, error: str) -> None:
        if request != self._plan_request:
            return
        self._show_plan([])
        self.plan_label.setText("This can't be installed:")
        self._say(error, error=True)

    def _show_plan(self, plan: list) -> None:
        self._plan = list(plan)
        self.plan_tree.clear()
        self._bars = {}
        for item in plan:
            version = item.version + (" (source)" if item.kind == "source" else "")
            row = QTreeWidgetItem([item.name, version, item.source, human_size(item.size) if item.size else "?", ""])
            if item.kind == "source":
                row.setToolTip(1, "a pure-R source package: R builds it inside webR (at the console)")
            if item.required_by:
                row.setToolTip(0, f"needed by {', '.join(item.required_by)}")
            self.plan_tree.addTopLevelItem(row)
            bar = QProgressBar(self.plan_tree)
            bar.setRange(0, 100)
            bar.setValue(0)
            bar.setFormat("waiting")
            bar.setTextVisible(True)
            self.plan_tree.setItemWidget(row, 4, bar)
            self._bars[item.name] = bar
        for column in range(4):
            self.plan_tree.resizeColumnToContents(column)

    def _on_sources_checked(self, _statuses: object, summary: str) -> None:
        self.sources_label.setText(summary)
        self.sources_label.setVisible(bool(summary))

    # ------------------------------------------------------------------ install
    def install(self) -> None:
        if not self._plan or self._installing:
            return
        self._installing = True
        self.install_button.setEnabled(False)
        self.results.setEnabled(False)
        self.search_edit.setEnabled(False)
        self._say("Installing…")
        self._service.install(self._plan)

    def _on_progress(self, event) -> None:  # noqa: ANN001 - core.packages.service.Progress
        bar = self._bars.get(event.package)
        if bar is None or not self._installing:
            return
        if event.phase == "download":
            total = event.total or 0
            bar.setRange(0, max(total, 1))
            bar.setValue(min(event.done, total) if total else 0)
            bar.setFormat(f"downloading {human_size(event.done)}" + (f" of {human_size(total)}" if total else ""))
        elif event.phase in ("unpack", "install"):
            bar.setRange(0, 100)
            bar.setValue(100 if event.phase == "install" else 90)
            bar.setFormat("unpacking" if event.phase == "unpack" else "installing")
        elif event.phase == "done":
            bar.setRange(0, 100)
            bar.setValue(100)
            bar.setFormat("installed")
        elif event.phase == "queued":
            bar.setFormat("waiting for another install")
        elif event.phase == "error":
            bar.setFormat("failed")

    def _on_install_finished(self, names: list) -> None:
        if not self._installing or not set(self._bars) & set(names):
            return
        self._installing = False
        self.finished_names = list(names)
        for name in names:
            if name in self._bars:
                self._bars[name].setRange(0, 100)
                self._bars[name].setValue(100)
                self._bars[name].setFormat("installed")
        self._say(f"Installed {', '.join(names)}.")
        self.results.setEnabled(True)
        self.search_edit.setEnabled(True)

    def _on_install_failed(self, error: str) -> None:
        if not self._installing:
            return
        self._installing = False
        for bar in self._bars.values():
            if bar.format() != "installed":
                bar.setFormat("not installed")
        self._say(error, error=True)
        self.install_button.setEnabled(True)
        self.results.setEnabled(True)
        self.search_edit.setEnabled(True)

    def _say(self, text: str, *, error: bool = False) -> None:
        self.message.setStyleSheet("color: #b00020;" if error else "")
        self.message.setText(text)

"""MainWindow: menus, status bar and the pane layout.

The console sits in a vertical splitter in the centre (the Source area of scripts and data
above); other panes (plots, help, environment, files) dock around it as tabbed dock widgets.
The window knows panes only as widgets; webr_desktop.app builds and wires them.

A central pane that comes and goes (the Source area) gets back the share of the height it
had last, kept in the settings across runs, and never less than MIN_SHARE: a splitter
alone would give a newly shown pane only its size hint, or 0 next to another pane.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QMenu, QSplitter, QWidget

SETTINGS_GEOMETRY = "main_window/geometry"
SETTINGS_STATE = "main_window/state"
SETTINGS_SHARE = "main_window/central_share/{}"  # a pane's share of the splitter's height
DEFAULT_SHARE = 0.55
MIN_SHARE = 0.30  # a newly shown central pane gets at least this much of the height
MAX_SHARE = 0.85  # and leaves the console at least the rest


class MainWindow(QMainWindow):
    sig_interrupt_requested = Signal()
    sig_restart_requested = Signal()
    sig_closing = Signal()

    def __init__(self, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self._groups: dict[str, list[QDockWidget]] = {}  # side-pane group -> its docks
        self._close_guard: Callable[[], bool] = lambda: True
        self._pending_shares: list[tuple[QWidget, float]] = []  # central panes shown before the window
        self.setWindowTitle("webR Desktop")
        self.resize(1100, 720)
        self.setDockNestingEnabled(True)
        self.centre = QSplitter(Qt.Orientation.Vertical, self)
        self.centre.splitterMoved.connect(lambda _pos, _index: self._remember_shares())
        self.setCentralWidget(self.centre)
        self._build_menus()
        self.versions_label = QLabel("Starting R…", self)
        self.busy_label = QLabel("", self)
        # A fixed width keeps busy/ready flips from re-laying out the status bar.
        self.busy_label.setFixedWidth(self.busy_label.fontMetrics().horizontalAdvance("R is busy") + 16)
        self.statusBar().addWidget(self.versions_label)
        self.statusBar().addPermanentWidget(self.busy_label)

    def _build_menus(self) -> None:
        self.file_menu = self.menuBar().addMenu("&File")
        self._quit_action = QAction("&Quit", self)
        self._quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        self._quit_action.triggered.connect(self.close)
        self.file_menu.addAction(self._quit_action)

        self.session_menu = session_menu = self.menuBar().addMenu("&Session")
        self.interrupt_action = QAction("&Interrupt R", self)
        # Not Ctrl+Shift+C: that is the editor's comment toggle, as in RStudio. The console
        # also interrupts on Esc and Ctrl+C.
        self.interrupt_action.setShortcut(QKeySequence("Ctrl+Alt+C"))
        self.interrupt_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.interrupt_action.triggered.connect(self.sig_interrupt_requested)
        self.restart_action = QAction("&Restart R", self)
        self.restart_action.setShortcut(QKeySequence("Ctrl+Shift+F10"))
        self.restart_action.triggered.connect(self.sig_restart_requested)
        session_menu.addAction(self.interrupt_action)
        session_menu.addAction(self.restart_action)

    def add_central_pane(self, widget: QWidget, stretch: int = 1, index: int = -1, name: str = "") -> None:
        """Stack a pane in the central splitter (documents above, console below). ``name``
        keys the height it is given back in the settings (a pane that comes and goes)."""
        if name:
            widget.setObjectName(f"central:{name}")
        self.centre.insertWidget(index, widget)
        self.centre.setStretchFactor(self.centre.indexOf(widget), stretch)

    def show_central_pane(self, widget: QWidget, visible: bool) -> None:
        """Show or hide a central pane; one that appears gets its remembered share of the
        height, at least MIN_SHARE."""
        if visible == widget.isVisibleTo(self):
            return
        if visible:
            widget.show()
            self._give_share(widget, self.central_share(widget))
            return
        self._remember_shares()
        sizes, index = self.centre.sizes(), self.centre.indexOf(widget)
        widget.hide()
        rest = sum(sizes) - sizes[index]
        if rest > 0:  # the others keep their proportions (a splitter deals it out by stretch)
            self.centre.setSizes([0 if i == index else s + sizes[index] * s // rest for i, s in enumerate(sizes)])

    def raise_central_pane(self, widget: QWidget) -> None:
        """A pane asked to be seen (View(), a file opened): shown, and given its share back
        if the user had dragged it shut."""
        if not widget.isVisibleTo(self):
            self.show_central_pane(widget, True)
        elif self.centre.sizes()[self.centre.indexOf(widget)] == 0 and sum(self.centre.sizes()) > 0:
            self._give_share(widget, self.central_share(widget))

    def central_share(self, widget: QWidget) -> float:
        """The share of the height ``widget`` gets when shown: as the user left it (this run
        or an earlier one), within [MIN_SHARE, MAX_SHARE]."""
        if not widget.objectName().startswith("central:"):  # a pane added without a name
            return DEFAULT_SHARE
        key = SETTINGS_SHARE.format(widget.objectName().removeprefix("central:"))
        try:
            share = float(self._settings.value(key, DEFAULT_SHARE))
        except (TypeError, ValueError):  # a hand-edited settings file
            share = DEFAULT_SHARE
        return min(MAX_SHARE, max(MIN_SHARE, share))

    def _remember_shares(self) -> None:
        sizes = self.centre.sizes()
        total = sum(sizes)
        if total <= 0:
            return
        for i, size in enumerate(sizes):
            name = self.centre.widget(i).objectName()
            if name.startswith("central:") and self.centre.widget(i).isVisibleTo(self) and size > 0:
                self._settings.setValue(SETTINGS_SHARE.format(name.removeprefix("central:")), round(size / total, 4))

    def _give_share(self, widget: QWidget, share: float) -> None:
        sizes = self.centre.sizes()
        total = sum(sizes)
        index = self.centre.indexOf(widget)
        others = [i for i in range(len(sizes)) if i != index and sizes[i] > 0]
        if total <= 0 or not others:  # not laid out yet: once the window is shown
            self._pending_shares.append((widget, share))
            return
        want = int(total * share)
        rest = sum(sizes[i] for i in others)
        new = [0] * len(sizes)
        new[index] = want
        for i in others:
            new[i] = max(1, (total - want) * sizes[i] // max(1, rest))
        self.centre.setSizes(new)

    def add_side_pane(self, title: str, widget: QWidget, group: str = "lower") -> QDockWidget:
        """Dock a pane on the right: tabbed with the panes of its group, the first pane of a
        new group stacked below the groups so far (like RStudio's upper and lower right)."""
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock:{title}")
        dock.setWidget(widget)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        if group in self._groups:
            self.tabifyDockWidget(self._groups[group][-1], dock)
        elif self._groups:
            last_group = list(self._groups.values())[-1]
            self.splitDockWidget(last_group[0], dock, Qt.Orientation.Vertical)
        self._groups.setdefault(group, []).append(dock)
        return dock

    def raise_side_pane(self, title: str) -> None:
        """Bring a side pane to the front of its tab group."""
        dock = self.findChild(QDockWidget, f"dock:{title}")
        if dock is not None:
            dock.show()
            dock.raise_()

    def add_file_actions(self, actions: list[QAction | QMenu | None]) -> None:
        """Put a pane's file commands in the File menu above Quit (None = a separator)."""
        for item in actions:
            if item is None:
                self.file_menu.insertSeparator(self._quit_action)
            elif isinstance(item, QMenu):
                self.file_menu.insertMenu(self._quit_action, item)
            else:
                self.file_menu.insertAction(self._quit_action, item)
                item.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.file_menu.insertSeparator(self._quit_action)

    def add_session_actions(self, actions: list[QAction | QMenu]) -> None:
        """Append a service's commands (e.g. Network) to the Session menu, after a separator."""
        self.session_menu.addSeparator()
        for item in actions:
            if isinstance(item, QMenu):
                self.session_menu.addMenu(item)
            else:
                self.session_menu.addAction(item)

    def add_status_widget(self, widget: QWidget) -> None:
        """A permanent indicator on the right of the status bar (e.g. Network: on)."""
        self.statusBar().addPermanentWidget(widget)

    def show_progress(self, text: str) -> None:
        """Transient progress (a download): shown until replaced; empty text clears it."""
        if text:
            self.statusBar().showMessage(text)
        else:
            self.statusBar().clearMessage()

    def set_close_guard(self, guard: Callable[[], bool]) -> None:
        """``guard()`` runs before the window closes; False keeps it open (unsaved files)."""
        self._close_guard = guard

    def add_menu(self, title: str, actions: list[QAction]) -> QMenu:
        """A menu of a pane's commands (their shortcuts then work from anywhere in the window)."""
        menu = self.menuBar().addMenu(title)
        for action in actions:
            menu.addAction(action)
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        return menu

    def set_versions(self, text: str) -> None:
        self.versions_label.setText(text)

    def show_problem(self, text: str) -> None:
        """A pane's problem that is not R output (e.g. a refresh that failed): status bar."""
        self.statusBar().showMessage(text, 10_000)

    def set_busy(self, busy: bool) -> None:
        self.busy_label.setText("R is busy" if busy else "Ready")

    def restore_layout(self) -> None:
        geometry = self._settings.value(SETTINGS_GEOMETRY)
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = self._settings.value(SETTINGS_STATE)
        if state is not None:
            self.restoreState(state)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        pending, self._pending_shares = self._pending_shares, []
        for widget, share in pending:
            QTimer.singleShot(0, lambda w=widget, f=share: w.isVisibleTo(self) and self._give_share(w, f))

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if not self._close_guard():
            event.ignore()
            return
        self._settings.setValue(SETTINGS_GEOMETRY, self.saveGeometry())
        self._settings.setValue(SETTINGS_STATE, self.saveState())
        self._remember_shares()
        self._settings.sync()
        self.sig_closing.emit()
        super().closeEvent(event)

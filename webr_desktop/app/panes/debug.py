"""The debugger: the Debug pane (call stack), the Debug menu and toolbar, Session ▸ Break on
Error. The pane and toolbar show only while R browses; the links to the editor and the
Environment pane are made in app/window.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence

if TYPE_CHECKING:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QDockWidget, QMenu, QToolBar

    from webr_desktop.models.debugger import Debugger
    from webr_desktop.runtime.session import RSession
    from webr_desktop.ui.debug.debug_pane import DebugPane
    from webr_desktop.ui.main_window import MainWindow

SETTINGS_BREAK_ON_ERROR = "debug/break_on_error"


@dataclass
class DebugControls:
    debugger: Debugger
    pane: DebugPane
    dock: QDockWidget
    toolbar: QToolBar
    actions: dict[str, QAction]  # next, step_into, finish, continue, stop, break_on_error
    menu: QMenu


def add_debug(window: MainWindow, session: RSession, settings: QSettings) -> DebugControls:
    """RStudio's keys: Next F10, Step Into Shift+F4, Finish Shift+F6, Continue Shift+F5, Stop Shift+F8."""
    from webr_desktop.models.debugger import Debugger
    from webr_desktop.ui.debug.debug_pane import DebugPane

    debugger = Debugger(session, window)
    pane = DebugPane(debugger)
    dock = window.add_side_pane("Debug", pane, group="debug")
    specs = [
        ("next", "&Next", "F10", debugger.next),
        ("step_into", "Step &Into", "Shift+F4", debugger.step_into),
        ("finish", "&Finish Function", "Shift+F6", debugger.finish),
        ("continue", "&Continue", "Shift+F5", debugger.continue_),
        ("stop", "&Stop", "Shift+F8", debugger.stop),
    ]
    actions: dict[str, QAction] = {}
    for key, text, keys, slot in specs:
        action = QAction(text, window)
        action.setShortcut(QKeySequence(keys))
        action.setToolTip(f"{text.replace('&', '')} ({keys})")
        action.setEnabled(False)
        action.triggered.connect(slot)
        actions[key] = action
    menu = window.add_menu("&Debug", list(actions.values()))  # window-wide keys: console and editor alike
    toolbar = window.addToolBar("Debug")
    toolbar.setObjectName("toolbar:debug")
    toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    for action in actions.values():
        toolbar.addAction(action)
    toolbar.hide()

    breaks = QAction("&Break on Error", window)
    breaks.setCheckable(True)
    breaks.setToolTip("An uncaught error opens the debugger in the function that raised it")
    breaks.setChecked(str(settings.value(SETTINGS_BREAK_ON_ERROR, "false")).lower() == "true")
    window.add_session_actions([breaks])
    actions["break_on_error"] = breaks

    controls = DebugControls(debugger, pane, dock, toolbar, actions, menu)
    _Mode(controls, settings, window)
    debugger.set_break_on_error(breaks.isChecked())
    return controls


class _Mode(QObject):
    """Shows the toolbar and pane while R browses; keeps Break on Error in the settings."""

    def __init__(self, controls: DebugControls, settings: QSettings, parent: QObject) -> None:
        super().__init__(parent)
        self._c = controls
        self._settings = settings
        controls.debugger.sig_entered.connect(lambda: self._show(True))
        controls.debugger.sig_left.connect(lambda: self._show(False))
        controls.actions["break_on_error"].toggled.connect(self._on_break_toggled)

    def _show(self, on: bool) -> None:
        for key in ("next", "step_into", "finish", "continue", "stop"):
            self._c.actions[key].setEnabled(on)
        self._c.toolbar.setVisible(on)
        self._c.dock.setVisible(on)
        if on:
            self._c.dock.raise_()

    def _on_break_toggled(self, on: bool) -> None:
        self._settings.setValue(SETTINGS_BREAK_ON_ERROR, "true" if on else "false")
        self._c.debugger.set_break_on_error(on)

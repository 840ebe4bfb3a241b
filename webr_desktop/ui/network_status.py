"""Session ▸ Network: the on/off toggle, the destination policy, and a status-bar indicator."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QInputDialog, QLabel, QMenu, QWidget

POLICY_TITLES = {
    "all": "Allow All Destinations",
    "public": "Block Private Addresses",
    "list": "Allow Listed Hosts Only…",
}
STATE_TEXT = {"off": "Network: off", "starting": "Network: starting…", "on": "Network: on", "failed": "Network: failed"}


class NetworkControls(QObject):
    """The widgets for networking; the app connects them to the NetworkService."""

    sig_enabled_changed = Signal(bool)  # the user flipped the toggle
    sig_policy_changed = Signal(str, tuple)  # (policy, allowed hosts)

    def __init__(self, policy: str, allow: tuple[str, ...], parent: QWidget) -> None:
        super().__init__(parent)
        self._parent = parent
        self._allow = tuple(allow)
        self.toggle_action = QAction("&Network", parent, checkable=True)
        self.toggle_action.setToolTip("Let R's sockets, curl and download.file() reach the network")
        self.toggle_action.toggled.connect(self.sig_enabled_changed)
        self.policy_menu = QMenu("Network &Policy", parent)
        group = QActionGroup(self)
        self._policy_actions: dict[str, QAction] = {}
        for key, title in POLICY_TITLES.items():
            action = self.policy_menu.addAction(title)
            action.setCheckable(True)
            action.setChecked(key == policy)
            group.addAction(action)
            action.triggered.connect(lambda _checked=False, k=key: self._choose(k))
            self._policy_actions[key] = action
        self.label = QLabel(STATE_TEXT["off"], parent)

    def set_state(self, state: str, detail: str) -> None:
        """Show the service's state; the toggle follows it (a failed proxy is off)."""
        self.label.setText(STATE_TEXT.get(state, state))
        self.label.setToolTip(detail or STATE_TEXT.get(state, state))
        self.toggle_action.blockSignals(True)
        self.toggle_action.setChecked(state in ("starting", "on"))
        self.toggle_action.blockSignals(False)

    def _choose(self, policy: str) -> None:
        allow = self._allow
        if policy == "list":
            text, ok = QInputDialog.getMultiLineText(
                self._parent, "Allowed hosts", "Hosts or networks R may connect to, one per line\n"
                "(e.g. cran.r-project.org, 10.0.0.0/8):", "\n".join(allow))
            if not ok:
                return
            allow = tuple(line.strip() for line in text.splitlines() if line.strip())
        self._allow = allow
        self.sig_policy_changed.emit(policy, allow)

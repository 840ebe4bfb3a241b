"""Session ▸ Network (on/off) and Network Policy, the status-bar indicator, and the settings
they are kept in."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtCore import QSettings

    from webr_desktop.net.progress import DownloadProgress
    from webr_desktop.net.proxy import NetworkService
    from webr_desktop.ui.main_window import MainWindow
    from webr_desktop.ui.network_status import NetworkControls

SETTINGS_NETWORK = "network/enabled"
SETTINGS_POLICY = "network/policy"
SETTINGS_ALLOW = "network/allow"


def network_settings(settings: QSettings) -> tuple[bool, str, tuple[str, ...]]:
    """(enabled, policy, allowed hosts) as the user last left them; on and allow-all at first."""
    from webr_desktop.net.tokens import POLICIES

    enabled = str(settings.value(SETTINGS_NETWORK, "true")).lower() == "true"
    policy = str(settings.value(SETTINGS_POLICY, "all"))
    allow = tuple(a for a in str(settings.value(SETTINGS_ALLOW, "")).split("\n") if a)
    return enabled, policy if policy in POLICIES else "all", allow


def add_network(
    window: MainWindow, network: NetworkService, settings: QSettings, downloads: DownloadProgress | None,
) -> NetworkControls:
    """The controls follow the service's state; the user's choices are saved and applied."""
    from webr_desktop.ui.network_status import NetworkControls

    controls = NetworkControls(*network.policy, window)
    window.add_session_actions([controls.toggle_action, controls.policy_menu])
    window.add_status_widget(controls.label)
    controls.set_state(network.state, network.detail)
    network.sig_state_changed.connect(controls.set_state)
    if downloads is not None:
        downloads.sig_text_changed.connect(window.show_progress)

    def _on_enabled(on: bool) -> None:
        settings.setValue(SETTINGS_NETWORK, "true" if on else "false")
        network.start() if on else network.stop()

    def _on_policy(new_policy: str, hosts: tuple) -> None:
        settings.setValue(SETTINGS_POLICY, new_policy)
        settings.setValue(SETTINGS_ALLOW, "\n".join(hosts))
        network.set_policy(new_policy, tuple(hosts))

    controls.sig_enabled_changed.connect(_on_enabled)
    controls.sig_policy_changed.connect(_on_policy)
    return controls

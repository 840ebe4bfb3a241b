"""The app's window icon (the installer's SVG) and its .desktop name, set at GUI start."""

from __future__ import annotations

from webr_desktop.app import gui as app_module
from webr_desktop.core import paths


def test_window_icon_and_desktop_name(qapp) -> None:
    app_module.set_app_identity(qapp)
    icon = qapp.windowIcon()
    assert not icon.isNull() and not icon.pixmap(48, 48).isNull()  # the SVG renders
    assert qapp.desktopFileName() == "io.github.webrdesktop.WebRDesktop"
    assert paths.app_icon().read_text(encoding="utf-8").lstrip().startswith("<?xml")
    desktop = paths.source_checkout_root() / "installer" / "linux" / f"{app_module.DESKTOP_ID}.desktop"
    assert f"Icon={app_module.DESKTOP_ID}" in desktop.read_text(encoding="utf-8")

"""open_outside: another program starts with the user's library path, not the bundle's."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, QUrl, Slot
from PySide6.QtGui import QDesktopServices

from webr_desktop.ui.outside import open_outside


class EnvAtOpen(QObject):
    """A URL handler recording LD_LIBRARY_PATH as the opening program would inherit it."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str | None] = []

    @Slot(QUrl)
    def catch(self, url: QUrl) -> None:
        self.seen.append(os.environ.get("LD_LIBRARY_PATH"))


@pytest.fixture
def handler(qapp):
    catcher = EnvAtOpen()
    QDesktopServices.setUrlHandler("https", catcher, "catch")
    yield catcher
    QDesktopServices.unsetUrlHandler("https")


def test_in_a_bundle_the_browser_gets_the_users_library_path(
        handler: EnvAtOpen, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    monkeypatch.setenv("LD_LIBRARY_PATH", f"{tmp_path}:/home/u/lib")
    monkeypatch.setenv("LD_LIBRARY_PATH_ORIG", "/home/u/lib")
    assert open_outside(QUrl("https://example.org/"))
    assert handler.seen == ["/home/u/lib"]
    assert os.environ["LD_LIBRARY_PATH"] == f"{tmp_path}:/home/u/lib"  # our own children keep the bundle's


def test_from_source_nothing_changes(handler: EnvAtOpen, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LD_LIBRARY_PATH", "/opt/x")
    assert open_outside(QUrl("https://example.org/"))
    assert handler.seen == ["/opt/x"]

"""MainWindow's central splitter: a pane that comes and goes gets back the height it had,
across runs, and never less than MIN_SHARE, whichever pane it is (plain widgets stand in for
the console, the Source area and a pane a later issue adds)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QLabel

from webr_desktop.ui.main_window import MAX_SHARE, MIN_SHARE, MainWindow


def _window(qtbot, settings: QSettings) -> tuple[MainWindow, QLabel, QLabel, QLabel]:
    window = MainWindow(settings)
    qtbot.addWidget(window)
    console, source, later = QLabel("console"), QLabel("source"), QLabel("later")
    window.add_central_pane(console)
    window.add_central_pane(source, stretch=3, index=0, name="source")
    window.add_central_pane(later, index=0, name="later")
    source.hide()
    later.hide()
    window.resize(700, 600)
    window.show()
    qtbot.waitExposed(window)
    return window, console, source, later


def _share(window: MainWindow, widget) -> float:
    sizes = window.centre.sizes()
    return sizes[window.centre.indexOf(widget)] / sum(sizes)


def test_a_shown_pane_gets_at_least_min_share_and_its_height_survives_a_restart(qtbot, tmp_path: Path) -> None:
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    window, console, source, later = _window(qtbot, settings)
    window.show_central_pane(source, True)
    assert _share(window, source) >= MIN_SHARE
    window.centre.setSizes([0, 500, 60])  # as the user drags: the Source area large
    window.centre.splitterMoved.emit(500, 2)
    window.show_central_pane(later, True)  # a pane added by a later issue follows the rule
    assert _share(window, later) >= MIN_SHARE - 0.01
    window.show_central_pane(later, False)
    assert _share(window, source) > 0.6  # the others share the height it gave back
    remembered = _share(window, source)
    window.close()

    again, console, source, later = _window(qtbot, settings)
    again.raise_central_pane(source)
    assert abs(_share(again, source) - min(MAX_SHARE, remembered)) < 0.02
    again.centre.setSizes([0, 60, 500])  # dragged small: remembered, but not below MIN_SHARE
    again.centre.splitterMoved.emit(60, 2)
    again.show_central_pane(source, False)
    again.show_central_pane(source, True)
    assert abs(_share(again, source) - MIN_SHARE) < 0.02
    again.centre.setSizes([0, 0, 560])  # dragged shut
    again.raise_central_pane(source)  # View() or a file opened: it comes back
    assert _share(again, source) >= MIN_SHARE - 0.01

"""The Plots pane as webr_desktop.app wires it: re-render on resize, Plots menu, quick plots, restart."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QImage

from webr_desktop.runtime.session import SessionState

from tests.webengine.driver import ide_window


def _window(fresh, qtbot, tmp_path: Path):
    window, console = ide_window(fresh, tmp_path)
    qtbot.addWidget(window)
    window.resize(760, 560)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: fresh.session.state is SessionState.IDLE, timeout=30_000)
    return window, console


def _canvas_size(pane) -> tuple[int, int]:
    return pane.canvas.width(), pane.canvas.height()


def test_pane_resize_re_renders_at_the_new_size(fresh, qtbot, tmp_path: Path) -> None:
    window, console = _window(fresh, qtbot, tmp_path)
    pane, history = window.plots.pane, window.plots.service.history
    console.submit("plot(cars)")
    qtbot.waitUntil(lambda: len(history) == 1, timeout=10_000)
    w, h = _canvas_size(pane)
    qtbot.waitUntil(lambda: (history.current.width, history.current.height) == (2 * w, 2 * h), timeout=10_000)
    window.resize(700, 440)  # the dock's canvas gets a new size
    qtbot.waitUntil(lambda: _canvas_size(pane) != (w, h), timeout=5_000)
    new_w, new_h = _canvas_size(pane)
    qtbot.waitUntil(
        lambda: (history.current.width, history.current.height) == (2 * new_w, 2 * new_h), timeout=10_000,
    )
    shown = pane.canvas.pixmap()
    assert shown.deviceIndependentSize().toSize().width() == new_w  # shown 1:1, not stretched
    assert len(history) == 1  # a re-render replaces the image, it is not a new plot
    menus = {a.text().replace("&", ""): a.menu() for a in window.menuBar().actions()}
    assert "Export…" in [a.text() for a in menus["Plots"].actions()]


def test_export_dialog_saves_the_plot_r_rendered(fresh, qtbot, tmp_path: Path) -> None:
    window, console = _window(fresh, qtbot, tmp_path)
    console.submit("hist(rnorm(200))")
    qtbot.waitUntil(lambda: len(window.plots.service.history) == 1, timeout=10_000)
    dialog = window.plots.export()
    dialog.format_combo.setCurrentIndex(dialog.format_combo.findData("png"))
    dialog.units_combo.setCurrentText("px")
    dialog.keep_aspect_check.setChecked(False)
    dialog.dpi_spin.setValue(200)
    dialog.width_spin.setValue(2000)
    dialog.height_spin.setValue(1500)
    target = tmp_path / "figure.png"
    dialog.path_edit.setText(str(target))
    with qtbot.waitSignal(dialog.sig_saved, timeout=20_000):
        dialog.save_button.click()
    img = QImage(str(target))
    assert (img.width(), img.height()) == (2000, 1500)


def test_quick_plot_opens_a_window_with_a_million_points(fresh, qtbot, tmp_path: Path) -> None:
    window, console = _window(fresh, qtbot, tmp_path)
    console.submit("quick_plot(runif(1e6))")
    qtbot.waitUntil(lambda: len(window.plots.windows) == 1, timeout=20_000)
    quick = window.plots.windows[0]
    assert quick.point_count() == 1_000_000
    quick.close()


def test_images_survive_a_restart_but_say_they_cannot_re_render(fresh, qtbot, tmp_path: Path) -> None:
    window, console = _window(fresh, qtbot, tmp_path)
    history = window.plots.service.history
    console.submit("plot(1:3)")
    qtbot.waitUntil(lambda: len(history) == 1, timeout=10_000)
    with qtbot.waitSignal(fresh.session.sig_started, timeout=30_000):
        fresh.session.restart()
    assert len(history) == 1 and history.current.recorded is False
    qtbot.waitUntil(lambda: fresh.session.state is SessionState.IDLE, timeout=30_000)
    console.submit("plot(4:6)")  # entry ids start over in the new R: still a new entry
    qtbot.waitUntil(lambda: len(history) == 2, timeout=10_000)
    assert history.current.recorded is True


def test_zoom_window_re_renders_at_its_own_size(fresh, qtbot, tmp_path: Path) -> None:
    window, console = _window(fresh, qtbot, tmp_path)
    console.submit("plot(pressure)")
    qtbot.waitUntil(lambda: len(window.plots.service.history) == 1, timeout=10_000)
    zoom = window.plots.zoom()
    qtbot.waitExposed(zoom)
    dpr = zoom.devicePixelRatioF()
    rendered: list[tuple[int, int]] = []
    zoom.sig_rendered.connect(lambda w, h: rendered.append((w, h)))
    zoom.resize(640, 480)
    want = (round(zoom.canvas.width() * dpr), round(zoom.canvas.height() * dpr))
    qtbot.waitUntil(lambda: want in rendered, timeout=20_000)  # R drew it at the window's size
    shown = zoom.canvas.pixmap()
    assert (shown.width(), shown.height()) == want
    zoom.close()

"""PlotsPane and PlotHistory as a user drives them (no R: the history is fed directly)."""

from __future__ import annotations

from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtGui import QColor, QImage

from webr_desktop.core.messages import Message
from webr_desktop.models.plot_history import PlotEntry, PlotHistory
from webr_desktop.models.plot_service import PlotService
from webr_desktop.runtime.session import RSession
from webr_desktop.ui.plots.plots_pane import PlotsPane


def png(width: int, height: int, color: str = "red") -> bytes:
    img = QImage(width, height, QImage.Format.Format_RGB32)
    img.fill(QColor(color))
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    img.save(buf, "PNG")
    buf.close()
    return bytes(data)


def entry(r_id: int | None = 1, w: int = 200, h: int = 100, color: str = "red") -> PlotEntry:
    return PlotEntry(png=png(w, h, color), width=w, height=h, r_id=r_id, recorded=r_id is not None)


def test_counter_navigation_and_placeholder(qtbot) -> None:
    history = PlotHistory()
    pane = PlotsPane(history)
    qtbot.addWidget(pane)
    assert pane.counter_label.text().strip() == "0 / 0"
    assert not pane.export_action.isEnabled() and pane.canvas.pixmap() is None
    for i in range(3):
        history.add(entry(i + 1))
    assert pane.counter_label.text().strip() == "3 / 3"
    assert pane.previous_action.isEnabled() and not pane.next_action.isEnabled()
    pane.previous_action.trigger()
    pane.previous_action.trigger()
    assert history.index == 0 and pane.counter_label.text().strip() == "1 / 3"
    assert not pane.previous_action.isEnabled() and pane.next_action.isEnabled()
    with qtbot.waitSignal(pane.sig_remove_requested) as blocker:
        pane.remove_action.trigger()
    assert blocker.args == [0]


def test_image_is_shown_at_its_device_size(qtbot) -> None:
    history = PlotHistory()
    pane = PlotsPane(history)
    qtbot.addWidget(pane)
    history.add(entry(1, 200, 100))
    pixmap = pane.canvas.pixmap()
    assert pixmap is not None and pixmap.devicePixelRatio() == 2.0
    assert pixmap.deviceIndependentSize().toSize().width() == 100  # canvas images are 2x
    first = history.current
    history.update_image(first.uid, png(300, 150, "blue"), 300, 150)
    assert pane.canvas.pixmap().width() == 300


def test_pane_reports_its_drawing_size_debounced(qtbot) -> None:
    pane = PlotsPane(PlotHistory())
    qtbot.addWidget(pane)
    pane.show()
    with qtbot.waitSignal(pane.sig_view_resized, timeout=2000) as blocker:
        pane.resize(500, 400)
    assert blocker.args == [pane.canvas.width(), pane.canvas.height()]


def test_history_remove_and_clear_keep_a_valid_current() -> None:
    history = PlotHistory()
    for i in range(3):
        history.add(entry(i + 1))
    history.go(1)
    history.remove(1)
    assert len(history) == 2 and history.index == 1
    history.remove(1)
    assert history.index == 0
    history.clear()
    assert history.current is None and history.index == -1


def test_service_drops_malformed_plot_messages(qtbot) -> None:
    session = RSession("http://127.0.0.1:1/never-started")  # real object, never started
    history = PlotHistory()
    service = PlotService(session, history)  # noqa: F841 - keeps its connections alive
    for bad in ({}, {"key": "x", "width": 1, "height": 1, "png": ""}, {"key": 1, "width": 2, "height": 2, "png": "!!"}):
        session.sig_message_received.emit(Message("plot", bad))
    assert len(history) == 0
    good = {"key": 1, "entry": 4, "replace": False, "width": 200, "height": 100,
            "png": __import__("base64").b64encode(png(200, 100)).decode()}
    session.sig_message_received.emit(Message("plot", good))
    session.sig_message_received.emit(Message("plot", {**good, "png": good["png"]}))  # same key: an update
    assert len(history) == 1 and history.current.r_id == 4
    session.sig_message_received.emit(Message("plot", {**good, "key": 2, "entry": 9, "replace": True}))
    assert len(history) == 1  # a re-render of an entry that is gone adds nothing


def test_quitting_releases_only_the_apps_own_plot_from_the_clipboard(qtbot) -> None:
    from PySide6.QtGui import QGuiApplication

    from webr_desktop.ui.plots.clipboard import SVG_MIME, copy_plot, release_clipboard

    clipboard = QGuiApplication.clipboard()
    copy_plot(QImage(20, 10, QImage.Format.Format_RGB32), b"<svg/>")
    assert clipboard.mimeData().hasImage() and bytes(clipboard.mimeData().data(SVG_MIME)) == b"<svg/>"
    release_clipboard()
    assert clipboard.mimeData() is None or not clipboard.mimeData().hasImage()
    clipboard.setText("someone else's")
    release_clipboard()
    assert clipboard.text() == "someone else's"

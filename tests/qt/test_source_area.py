"""SourceArea: script and data tabs in one tab bar, each kind handled by its own class.

Data tabs show the fake model of test_data_viewer.py (real signals); the wired area against
webR is tested in tests/webengine/test_source_area.py.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from webr_desktop.ui.data.data_viewer import DataViewer
from webr_desktop.ui.editor.code_editor import CodeEditor
from webr_desktop.ui.source.source_area import SourceArea
from tests.qt.test_data_viewer import FakeDataViewModel


def _area(qtbot) -> SourceArea:
    area = SourceArea()
    qtbot.addWidget(area)
    area.resize(700, 400)
    area.show()
    return area


def test_both_kinds_share_one_tab_bar_with_an_icon_each(qtbot, tmp_path: Path) -> None:
    area = _area(qtbot)
    counts: list[int] = []
    area.sig_count_changed.connect(counts.append)
    with qtbot.waitSignal(area.sig_raise_requested):
        script = area.editor.new_file("x <- 1\n")
    with qtbot.waitSignal(area.sig_raise_requested):
        viewer = area.data.add_viewer(FakeDataViewModel())  # type: ignore[arg-type]
    assert counts == [1, 2]
    assert area.tabs.currentWidget() is viewer  # View() brings its tab to the front
    assert [area.kind_of(i) for i in range(area.count())] == ["script", "data"]
    assert area.editor.editors() == [script] and area.data.viewers() == [viewer]
    icons = [area.tabs.tabIcon(i).pixmap(16, 16).toImage() for i in range(2)]
    assert not icons[0].isNull() and not icons[1].isNull() and icons[0] != icons[1]
    assert area.editor.current_editor() is None and area.data.current_viewer() is viewer
    with qtbot.waitSignal(area.sig_raise_requested):
        area.editor.new_file()  # a document opened: in front again
    assert isinstance(area.tabs.currentWidget(), CodeEditor)


def test_closing_routes_to_the_kind_of_tab(qtbot, monkeypatch) -> None:
    area = _area(qtbot)
    script = area.editor.new_file("kept <- 1\n")
    script.document().setModified(True)
    model = FakeDataViewModel()
    area.data.add_viewer(model)  # type: ignore[arg-type]
    asked: list[str] = []

    def _cancel(*args, **kwargs):
        asked.append(args[2])
        return QMessageBox.StandardButton.Cancel

    monkeypatch.setattr(QMessageBox, "question", _cancel)
    counts: list[int] = []
    area.sig_count_changed.connect(counts.append)
    area.tabs.tabCloseRequested.emit(1)  # the data tab: no prompt, R may drop the object
    assert model.is_closed and asked == [] and area.count() == 1
    area.tabs.tabCloseRequested.emit(0)  # the dirty script: asks, and Cancel keeps it
    assert asked and area.editor.editors() == [script]
    assert area.editor.maybe_close_all() is False  # only scripts are asked about at exit
    assert [b.text for b in area.editor.unsaved_buffers()] == ["kept <- 1\n"]  # autosave: scripts only
    script.document().setModified(False)
    area.tabs.tabCloseRequested.emit(0)
    assert area.count() == 0 and counts == [1, 0]


def test_ctrl_w_closes_the_tab_in_front_whatever_its_kind(qtbot) -> None:
    area = _area(qtbot)
    area.editor.new_file("a <- 1\n")
    model = FakeDataViewModel()
    area.data.add_viewer(model)  # type: ignore[arg-type]
    close = next(a for a in area.editor.menu_actions() if a.text() == "&Close")
    close.trigger()
    assert model.is_closed and area.count() == 1 and area.kind_of(0) == "script"
    close.trigger()
    assert area.count() == 0


def test_find_is_for_scripts_and_a_script_keeps_text_and_cursor_across_tabs(qtbot) -> None:
    area = _area(qtbot)
    script = area.editor.new_file("first\nsecond <- 2\nthird\n")
    cursor = script.textCursor()
    cursor.setPosition(9)
    script.setTextCursor(cursor)
    area.editor.open_find()
    assert area.editor.find_bar.isVisible()
    viewer = area.data.add_viewer(FakeDataViewModel())  # type: ignore[arg-type]
    assert not area.editor.find_bar.isVisible()  # find is not offered over a data tab
    area.editor.open_find()  # Ctrl+F with the data tab in front
    assert not area.editor.find_bar.isVisible()
    viewer.table.setFocus()
    qtbot.mouseClick(area.tabs.tabBar(), Qt.MouseButton.LeftButton, pos=area.tabs.tabBar().tabRect(0).center())
    assert area.tabs.currentWidget() is script
    assert script.toPlainText() == "first\nsecond <- 2\nthird\n" and script.textCursor().position() == 9
    assert isinstance(area.data.viewers()[0], DataViewer)

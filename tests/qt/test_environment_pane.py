"""EnvironmentPane and EnvironmentModel as a user drives them (no R: the real model is fed rows)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QMessageBox

from webr_desktop.models.environment import (
    EnvironmentDiffError,
    EnvironmentModel,
    EnvRow,
    human_size,
    parse_update,
)
from webr_desktop.ui.environment import environment_pane
from webr_desktop.ui.environment.environment_pane import EnvironmentPane

ROWS = [
    EnvRow("x", "integer", "10", 96, "int [1:10] 1 2 3 4 5 6 7 8 9 10", True),
    EnvRow("df", "data.frame", "32 × 11", 7208, "32 obs. of 11 variables", True),
    EnvRow("f", "function", "", 1300, "function (x, y) ", False),
    EnvRow("Big", "numeric", "1000000", 8_000_048, "num [1:1000000] 0.1 0.2 ...", True),
    EnvRow("p", "promise", "", None, "<promise>", False),
]


@pytest.fixture
def pane(qtbot) -> EnvironmentPane:
    model = EnvironmentModel()
    model.set_rows(ROWS)
    widget = EnvironmentPane(model)
    qtbot.addWidget(widget)
    widget.resize(450, 500)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def view_row(pane: EnvironmentPane, name: str) -> int:
    for r in range(pane.proxy.rowCount()):
        if pane.proxy.index(r, 0).data() == name:
            return r
    raise AssertionError(f"{name} not shown")


def double_click(qtbot, pane: EnvironmentPane, name: str) -> None:
    index = pane.proxy.index(view_row(pane, name), EnvironmentModel.VALUE)
    pos = pane.table.visualRect(index).center()
    qtbot.mouseClick(pane.table.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    qtbot.mouseDClick(pane.table.viewport(), Qt.MouseButton.LeftButton, pos=pos)


def shown(pane: EnvironmentPane) -> list[str]:
    return [pane.proxy.index(r, 0).data() for r in range(pane.proxy.rowCount())]


def test_rows_are_sorted_by_name_ignoring_case_and_show_sizes(pane: EnvironmentPane) -> None:
    assert shown(pane) == ["Big", "df", "f", "p", "x"]
    model = pane.proxy.sourceModel()
    big = model.index(model.find("Big"), EnvironmentModel.SIZE)
    assert big.data() == "7.6 MB" and big.data(EnvironmentModel.SORT_ROLE) == 8_000_048
    assert model.index(model.find("p"), EnvironmentModel.SIZE).data() == ""
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(5)] == [
        "Name", "Type", "Dimensions", "Size", "Value"]


def test_header_click_sorts_by_raw_size_not_its_text(qtbot, pane: EnvironmentPane) -> None:
    header = pane.table.horizontalHeader()
    pos = header.rect().topLeft()
    pos.setX(header.sectionViewportPosition(EnvironmentModel.SIZE) + 10)
    pos.setY(header.height() // 2)
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    # "96 B" < "1.3 KB" < "7.0 KB" < "7.6 MB" by bytes; the promise has no size
    assert header.sortIndicatorSection() == EnvironmentModel.SIZE
    order = shown(pane)
    if header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder:
        order.reverse()
    assert order == ["p", "x", "f", "df", "Big"]


def test_double_click_asks_to_view_only_viewable_objects(qtbot, pane: EnvironmentPane) -> None:
    with qtbot.waitSignal(pane.sig_view_requested, timeout=2000) as blocker:
        double_click(qtbot, pane, "df")
    assert blocker.args == ["df"]
    with qtbot.assertNotEmitted(pane.sig_view_requested):
        double_click(qtbot, pane, "f")
        double_click(qtbot, pane, "p")


def test_delete_key_and_remove_button_ask_to_remove_the_selection(qtbot, pane: EnvironmentPane) -> None:
    assert not pane.remove_action.isEnabled()
    with qtbot.assertNotEmitted(pane.sig_remove_requested):
        qtbot.keyClick(pane.table, Qt.Key.Key_Delete)  # nothing selected
    selection = pane.table.selectionModel()
    for name in ("x", "df"):
        selection.select(pane.proxy.index(view_row(pane, name), 0),
                         selection.SelectionFlag.Select | selection.SelectionFlag.Rows)
    assert pane.remove_action.isEnabled()
    with qtbot.waitSignal(pane.sig_remove_requested, timeout=2000) as blocker:
        qtbot.keyClick(pane.table, Qt.Key.Key_Delete)
    assert blocker.args == [["df", "x"]]
    with qtbot.waitSignal(pane.sig_remove_requested, timeout=2000) as blocker:
        pane.remove_action.trigger()
    assert blocker.args == [["df", "x"]]


def test_clear_all_asks_for_confirmation(qtbot, pane: EnvironmentPane, monkeypatch) -> None:
    asked: list[str] = []
    answer = {"button": QMessageBox.StandardButton.No}

    def question(parent, title, text, *args):
        asked.append(text)
        return answer["button"]

    monkeypatch.setattr(environment_pane.QMessageBox, "question", question)
    with qtbot.assertNotEmitted(pane.sig_clear_requested):
        pane.clear_action.trigger()
    assert len(asked) == 1 and "all 5 objects" in asked[0]
    answer["button"] = QMessageBox.StandardButton.Yes
    with qtbot.waitSignal(pane.sig_clear_requested, timeout=2000):
        pane.clear_action.trigger()
    assert len(asked) == 2


def test_filter_box_and_empty_states(qtbot, pane: EnvironmentPane) -> None:
    qtbot.keyClicks(pane.filter_edit, "F")
    assert shown(pane) == ["df", "f"]  # by name, ignoring case
    pane.filter_edit.setText("zzz")
    assert pane.proxy.rowCount() == 0 and pane.empty_label.isVisible()
    assert pane.empty_label.text() == "No objects match the filter"
    pane.filter_edit.clear()
    assert pane.table.isVisible() and len(shown(pane)) == 5
    model = pane.proxy.sourceModel()
    model.apply([], [r.name for r in ROWS])
    assert pane.empty_label.isVisible() and pane.empty_label.text() == "Environment is empty"
    assert not pane.clear_action.isEnabled()
    model.apply([EnvRow("new", "numeric", "1", 56, "1", True)])
    assert pane.table.isVisible() and shown(pane) == ["new"]


def test_refresh_button_asks_for_a_refresh(qtbot, pane: EnvironmentPane) -> None:
    with qtbot.waitSignal(pane.sig_refresh_requested, timeout=2000):
        pane.refresh_action.trigger()


def test_diffs_move_rows_without_a_reset(qtbot, qtmodeltester) -> None:
    model = EnvironmentModel()
    model.set_rows([EnvRow(n, "numeric", "1", 56, "1", True) for n in ("b", "d", "f", "h")])
    qtmodeltester.check(model)
    resets: list[int] = []
    model.modelReset.connect(lambda: resets.append(1))
    inserted: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _p, first, last: inserted.append((first, last)))
    changed: list[int] = []
    model.dataChanged.connect(lambda tl, br: changed.append(tl.row()))
    removed: list[tuple[int, int]] = []
    model.rowsRemoved.connect(lambda _p, first, last: removed.append((first, last)))
    new = [EnvRow(n, "numeric", "1", 56, "2", True) for n in ("a", "c", "c2", "z", "D2")]
    model.apply(new + [EnvRow("d", "character", "1", 112, '"d"', True)], removed=["f", "h", "missing"])
    assert model.names() == ["a", "b", "c", "c2", "d", "D2", "z"]
    assert resets == [] and removed == [(2, 3)]
    # Runs that land between the same old rows go in together, the last run first:
    # [b, d] + "D2", "z" at 2 -> + "c", "c2" at 1 -> + "a" at 0.
    assert inserted == [(2, 3), (1, 2), (0, 0)]
    assert model.get("d").type == "character" and changed == [1]
    index = model.index(model.find("d"), EnvironmentModel.NAME)
    assert index.data(EnvironmentModel.NAME_ROLE) == "d" and index.data(EnvironmentModel.VIEWABLE_ROLE) is True
    assert model.index(0, 0).parent() == QModelIndex()


def test_human_size() -> None:
    assert [human_size(s) for s in (None, 0, 1023, 1024, 1_258_291, 8e9)] == [
        "", "0 B", "1023 B", "1.0 KB", "1.2 MB", "7.5 GB"]


def test_parse_update_takes_rs_shapes() -> None:
    """Length-1 vectors arrive as scalars and NA as None (resources/page/to_json.js)."""
    one = {"reset": False, "ms": 3, "removed": "old",
           "changed": {"name": "p", "class": "promise", "dims": "", "size": None, "preview": "<promise>", "viewable": False}}
    reset, rows, removed, ms = parse_update(one)
    assert (reset, removed, ms) == (False, ["old"], 3.0)
    assert rows == [EnvRow("p", "promise", "", None, "<promise>", False)]
    none = {"reset": True, "removed": [], "changed": {"name": [], "class": [], "dims": [], "size": [],
                                                      "preview": [], "viewable": []}}
    assert parse_update(none)[:3] == (True, [], [])
    two = {"reset": False, "removed": None, "changed": {"name": ["a", "b"], "class": ["x", "y"], "dims": ["1", "2"],
                                                         "size": [56, None], "preview": ["1", "2"], "viewable": [True, False]}}
    assert [r.size for r in parse_update(two)[1]] == [56.0, None]
    with pytest.raises(EnvironmentDiffError):
        parse_update({**two, "changed": {**two["changed"], "class": ["x"]}})
    with pytest.raises(EnvironmentDiffError):
        parse_update("<environment>")

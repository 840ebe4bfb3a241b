"""DataViewer and DataViewerTabs as a user drives them, over a fake model with the real signals.

The fake holds a few rows in memory and records what the widget asks of it; the real model
against webR is tested in tests/webengine/test_data_view.py.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPoint, Qt, Signal
from PySide6.QtWidgets import QDialog

from webr_desktop.core.data_view import ColumnFilter, ViewMeta
from webr_desktop.models.data_view_model import DataViewModel
from webr_desktop.ui.data.data_viewer import DataViewer
from webr_desktop.ui.data.data_viewer_tabs import DataViewerTabs
from tests.qt.contract import assert_same_signals

META = ViewMeta(
    id=1, title="cars", name="cars", nrow=3, total=3, ncol=3, names=("mpg", "name", "grp"),
    classes=("numeric", "character", "factor"), kinds=("number", "text", "factor"),
)
ROWS = [["21.0", "Mazda", "a"], ["22.8", "Datsun", "b"], ["1234567.5", None, "a"]]


class FakeDataViewModel(QAbstractTableModel):
    """In-memory cells; commands are recorded, and the test plays R's answer with set_meta()."""

    sig_meta_changed = Signal()
    sig_block_loaded = Signal(int, int)
    sig_outdated = Signal()
    sig_problem = Signal(str)
    sig_column_info_loaded = Signal(int, object)

    def __init__(self, meta: ViewMeta = META) -> None:
        super().__init__()
        self.meta = meta
        self.calls: list[tuple] = []
        self.status = ""
        self.is_gone = False
        self.is_closed = False

    # what the widget reads
    title = property(lambda self: self.meta.title)
    filters = property(lambda self: list(self.meta.filters))
    filter_expr = property(lambda self: self.meta.expr)
    is_outdated = property(lambda self: bool(self.status))

    def kind(self, col: int) -> str:
        return self.meta.kinds[col]

    def is_numeric(self, col: int) -> bool:
        return self.kind(col) == "number"

    def column_name(self, col: int) -> str:
        return self.meta.names[col]

    def column_class(self, col: int) -> str:
        return self.meta.classes[col]

    def column_filter(self, col: int) -> ColumnFilter | None:
        return next((f for f in self.meta.filters if f.col == col), None)

    def widest_text(self, col: int) -> str:
        return max((r[col] or "NA" for r in ROWS[: self.meta.nrow]), key=len)

    def is_cached(self, row: int, col: int) -> bool:
        return True

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else self.meta.nrow

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else self.meta.ncol

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and index.isValid():
            return ROWS[index.row()][index.column()] or "NA"
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return f"{self.meta.names[section]}\n{self.meta.classes[section]}"
        return str(section + 1)

    # what the widget asks for
    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.calls.append(("sort", column, order))

    def set_filter(self, filters: list[ColumnFilter] | None = None, expr: str | None = None) -> None:
        self.calls.append(("set_filter", filters, expr))

    def set_column_filter(self, col: int, new: ColumnFilter | None) -> None:
        self.calls.append(("set_column_filter", col, new))

    def clear_filters(self) -> None:
        self.calls.append(("clear_filters",))

    def refresh(self) -> None:
        self.calls.append(("refresh",))

    def quick_plot(self, col: int) -> None:
        self.calls.append(("quick_plot", col))

    def request_column_info(self, col: int) -> None:
        self.calls.append(("request_column_info", col))

    def close(self) -> None:
        self.is_closed = True
        self.calls.append(("close",))

    def set_meta(self, meta: ViewMeta) -> None:
        """What the real model does when R answers a sort, filter or refresh."""
        self.beginResetModel()
        self.meta = meta
        self.endResetModel()
        self.sig_meta_changed.emit()


def test_fake_model_has_the_real_signals() -> None:
    assert_same_signals(FakeDataViewModel, DataViewModel)


def make_viewer(qtbot, model: FakeDataViewModel | None = None) -> tuple[DataViewer, FakeDataViewModel]:
    model = model or FakeDataViewModel()
    viewer = DataViewer(model)  # type: ignore[arg-type]
    qtbot.addWidget(viewer)
    viewer.resize(700, 300)
    return viewer, model


def test_summary_filter_bar_and_chips(qtbot) -> None:
    viewer, model = make_viewer(qtbot)
    assert viewer.summary_label.text() == "cars — 3 × 3"
    # enabling sorting on the table only re-states R's current order (unsorted: the real
    # model's no-op), it does not sort by the first column as QTableView would by default
    assert all(call[:2] == ("sort", -1) for call in model.calls)
    model.calls.clear()
    viewer.filter_edit.setText("mpg > 22")
    viewer.apply_button.click()
    assert model.calls[-1] == ("set_filter", None, "mpg > 22")
    qtbot.keyClick(viewer.filter_edit, Qt.Key.Key_Return)
    assert model.calls[-1] == ("set_filter", None, "mpg > 22")
    filt = ColumnFilter(0, "range", (20, 30), "mpg in [20, 30]")
    model.set_meta(replace(META, nrow=2, filter="mpg in [20, 30]; mpg > 22", expr="mpg > 22", filters=(filt,),
                           sort_col=0, sort_desc=True))
    assert viewer.summary_label.text() == "cars — 3 × 3 (filtered: 2 of 3) · sorted by mpg (descending)"
    assert viewer.chip_texts() == ["mpg in [20, 30]  ✕"]
    header = viewer.table.horizontalHeader()
    assert header.sortIndicatorSection() == 0 and header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
    viewer.chips.itemAt(0).widget().click()
    assert model.calls[-1] == ("set_column_filter", 0, None)
    viewer.clear_button.click()
    assert model.calls[-1] == ("clear_filters",) and viewer.filter_edit.text() == ""


def test_header_click_sorts_through_the_model(qtbot) -> None:
    viewer, model = make_viewer(qtbot)
    viewer.show()
    header = viewer.table.horizontalHeader()
    x = header.sectionViewportPosition(1) + 5
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
    assert model.calls[-1] == ("sort", 1, Qt.SortOrder.AscendingOrder)


def test_header_menu_sorts_filters_and_plots(qtbot) -> None:
    viewer, model = make_viewer(qtbot)
    texts = lambda menu: [a.text() for a in menu.actions() if a.text()]  # noqa: E731
    menu = viewer.header_menu(0)
    assert texts(menu) == ["Sort ascending", "Sort descending", "Filter…", "Quick plot"]
    next(a for a in menu.actions() if a.text() == "Sort descending").trigger()
    assert model.calls[-1] == ("sort", 0, Qt.SortOrder.DescendingOrder)
    next(a for a in menu.actions() if a.text() == "Quick plot").trigger()
    assert model.calls[-1] == ("quick_plot", 0)
    text_menu = viewer.header_menu(1)
    assert not next(a for a in text_menu.actions() if a.text() == "Quick plot").isEnabled()
    model.set_meta(replace(META, sort_col=1, filters=(ColumnFilter(1, "na", None, "name is NA"),)))
    assert "Clear filter" in texts(viewer.header_menu(1)) and "Clear sort" in texts(viewer.header_menu(1))


def test_filter_dialog_builds_a_range(qtbot) -> None:
    viewer, model = make_viewer(qtbot)
    dialog = viewer.open_filter_dialog(0)
    assert model.calls[-1] == ("request_column_info", 0)
    model.sig_column_info_loaded.emit(0, {"kind": "number", "n_na": 2, "min": "10.4", "max": "33.9"})
    assert dialog.min_edit.placeholderText() == "10.4" and "2 missing" in dialog.info_label.text()
    assert dialog.min_edit.isVisibleTo(dialog) and not dialog.text_edit.isVisibleTo(dialog)
    dialog.min_edit.setText("abc")
    dialog.ok_button.click()
    assert dialog.result() != QDialog.DialogCode.Accepted and "not a number" in dialog.error_label.text()
    dialog.min_edit.setText("20")
    dialog.max_edit.setText("")
    dialog.ok_button.click()
    assert model.calls[-1] == ("set_column_filter", 0, ColumnFilter(0, "range", (20.0, None)))


def test_filter_dialog_for_factor_levels_and_removal(qtbot) -> None:
    filt = ColumnFilter(2, "levels", ["b"], "grp in {\"b\"}")
    viewer, model = make_viewer(qtbot, FakeDataViewModel(replace(META, filters=(filt,))))
    dialog = viewer.open_filter_dialog(2)
    assert dialog.mode_combo.currentData() == "levels" and dialog.remove_button.isEnabled()
    model.sig_column_info_loaded.emit(2, {"kind": "factor", "n_na": 0, "levels": ["a", "b", "c"]})
    states = [dialog.levels_list.item(i).checkState() for i in range(3)]
    assert states == [Qt.CheckState.Unchecked, Qt.CheckState.Checked, Qt.CheckState.Unchecked]
    dialog.levels_list.item(0).setCheckState(Qt.CheckState.Checked)
    dialog.ok_button.click()
    assert model.calls[-1] == ("set_column_filter", 2, ColumnFilter(2, "levels", ["a", "b"]))
    dialog = viewer.open_filter_dialog(2)
    dialog.remove_button.click()
    assert model.calls[-1] == ("set_column_filter", 2, None)
    text_dialog = viewer.open_filter_dialog(1)
    text_dialog.mode_combo.setCurrentIndex(text_dialog.mode_combo.findData("na"))
    assert not text_dialog.text_edit.isVisibleTo(text_dialog)
    text_dialog.ok_button.click()
    assert model.calls[-1] == ("set_column_filter", 1, ColumnFilter(1, "na"))


def test_outdated_bar_refreshes_and_gone_has_no_refresh(qtbot) -> None:
    viewer, model = make_viewer(qtbot)
    assert not viewer.notice.isVisibleTo(viewer)
    model.status = "“cars” has changed in R since this view read it."
    model.sig_outdated.emit()
    assert viewer.notice.isVisibleTo(viewer) and viewer.refresh_button.isVisibleTo(viewer)
    viewer.refresh_button.click()
    assert model.calls[-1] == ("refresh",)
    model.status, model.is_gone = "R was restarted: this data is no longer in R.", True
    model.sig_outdated.emit()
    assert "restarted" in viewer.notice_label.text() and not viewer.refresh_button.isVisibleTo(viewer)
    model.sig_problem.emit("object 'nosuch' not found")
    assert viewer.problem_label.isVisibleTo(viewer) and "nosuch" in viewer.problem_label.text()
    model.set_meta(META)
    assert not viewer.problem_label.isVisibleTo(viewer)


def test_columns_fit_what_arrived_and_keep_widths_across_a_reset(qtbot) -> None:
    viewer, model = make_viewer(qtbot)
    header = viewer.table.horizontalHeader()
    model.sig_block_loaded.emit(0, 3)
    fitted = header.sectionSize(0)
    assert fitted >= viewer.fontMetrics().horizontalAdvance("1234567.5")
    header.resizeSection(1, 222)  # the user's width
    model.set_meta(replace(META, nrow=2, filter="x", expr="x"))  # a reset
    assert header.sectionSize(0) == fitted and header.sectionSize(1) == 222
    model.sig_block_loaded.emit(0, 2)
    assert header.sectionSize(1) == 222


def test_tabs_add_select_raise_and_close(qtbot) -> None:
    viewers = DataViewerTabs()
    tabs = viewers.tabs  # its own tab widget (in the app: the Source area's)
    qtbot.addWidget(tabs)
    first, second = FakeDataViewModel(), FakeDataViewModel(replace(META, id=2, title="x" * 40))
    with qtbot.waitSignal(viewers.sig_raise_requested):
        viewers.add_viewer(first)  # type: ignore[arg-type]
    viewers.add_viewer(second)  # type: ignore[arg-type]
    assert tabs.count() == 2 and tabs.currentIndex() == 1
    assert tabs.tabText(0) == "cars" and tabs.tabText(1).endswith("…") and len(tabs.tabText(1)) <= 28
    assert tabs.tabsClosable()
    tabs.tabCloseRequested.emit(0)
    assert first.is_closed and tabs.count() == 1
    viewers.close_tab(0)
    assert second.is_closed and tabs.count() == 0 and viewers.viewers() == []

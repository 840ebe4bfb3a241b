"""The data viewer against the real webR: View() in R, pages fetched by the model, sort and
filter computed in R, change tracking, and the viewer widget scrolling a million rows."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QTableView

from webr_desktop.core.data_view import ColumnFilter
from webr_desktop.models.data_view import DataViewModel, DataViewService
from webr_desktop.models.data_view_model import BLOCK_ROWS, MAX_IN_FLIGHT, MAX_QUEUED
from webr_desktop.models.quick_plot import QuickPlotData
from webr_desktop.ui.data.data_viewer_tabs import DataViewerTabs
from tests.webengine.driver import RDriver

pytestmark = pytest.mark.webengine

DESC = Qt.SortOrder.DescendingOrder


@pytest.fixture(scope="module")
def service(shared: RDriver) -> Iterator[DataViewService]:
    svc = DataViewService(shared.session)
    yield svc
    svc.deleteLater()


@pytest.fixture
def views(service: DataViewService) -> Iterator[DataViewService]:
    """The service; every view a test opened is closed after it (R drops its reference)."""
    yield service
    for model in service.models:
        model.close()


def view(qtbot, shared: RDriver, service: DataViewService, code: str) -> DataViewModel:
    """Run console input that calls View() and return the model the service opens for it."""
    with qtbot.waitSignal(service.sig_view_opened, timeout=10_000) as blocker:
        shared.run(qtbot, code)
    return blocker.args[0]


def load(qtbot, model: DataViewModel, rows: range | None = None) -> list[list[str]]:
    """Ask for every cell of `rows` (as a view would) and wait until all have arrived."""
    rows = rows if rows is not None else range(model.rowCount())
    for r in rows:
        for c in range(model.columnCount()):
            model.data(model.index(r, c))
    qtbot.waitUntil(lambda: all(model.is_cached(r, c) for r in rows for c in range(model.columnCount())), timeout=10_000)
    return [[model.index(r, c).data() for c in range(model.columnCount())] for r in rows]


def row_names(qtbot, model: DataViewModel, rows: range) -> list[str]:
    for r in rows:
        model.headerData(r, Qt.Orientation.Vertical)
    qtbot.waitUntil(lambda: all(model.headerData(r, Qt.Orientation.Vertical) != "…" for r in rows), timeout=10_000)
    return [model.headerData(r, Qt.Orientation.Vertical) for r in rows]


def test_view_mtcars_shows_r_values(qtbot, shared: RDriver, views: DataViewService) -> None:
    model = view(qtbot, shared, views, "View(mtcars)")
    assert (model.rowCount(), model.columnCount()) == (32, 11) and model.title == "mtcars"
    assert model.total_rows == 32 and model.is_numeric(0)
    cells = load(qtbot, model)
    columns = shared.eval(qtbot, "unname(as.list(mtcars))")
    for c, values in enumerate(columns):
        assert [float(row[c]) for row in cells] == values
    assert row_names(qtbot, model, range(32)) == shared.eval(qtbot, "rownames(mtcars)")
    assert model.headerData(0, Qt.Orientation.Horizontal) == "mpg\nnumeric"
    assert model.data(model.index(0, 0), Qt.ItemDataRole.TextAlignmentRole) & Qt.AlignmentFlag.AlignRight


def test_column_kinds_classes_and_na(qtbot, shared: RDriver, views: DataViewService) -> None:
    shared.run(qtbot, 'mixed <- data.frame(n = c(1.5, NA, NaN), i = c(1L, NA, 3L), f = factor(c("a", NA, "b")),'
                      ' d = as.Date(c("2024-02-29", NA, "2020-01-01")), s = c("NA", NA, "x"), l = c(TRUE, NA, FALSE))')
    model = view(qtbot, shared, views, "View(mixed)")
    meta = model.meta
    assert meta.classes == ("numeric", "integer", "factor", "Date", "character", "logical")
    assert meta.kinds == ("number", "number", "factor", "date", "text", "logical")
    cells = load(qtbot, model)
    assert cells[0] == ["1.5", "1", "a", "2024-02-29", "NA", "TRUE"]
    assert cells[1] == ["NA"] * 6
    assert cells[2] == ["NaN", "3", "b", "2020-01-01", "x", "FALSE"]  # NaN is a value, not NA
    na, text_na = model.index(1, 4), model.index(0, 4)  # R's NA vs the string "NA"
    assert model.data(na, Qt.ItemDataRole.FontRole).italic()
    assert model.data(na, Qt.ItemDataRole.ForegroundRole) is not None
    assert model.data(text_na, Qt.ItemDataRole.FontRole) is None
    assert model.data(na, Qt.ItemDataRole.ToolTipRole) == "NA (missing)"
    assert not model.data(model.index(0, 4), Qt.ItemDataRole.TextAlignmentRole) & Qt.AlignmentFlag.AlignRight


def test_million_rows_page_as_the_table_scrolls(qtbot, shared: RDriver, views: DataViewService) -> None:
    shared.run(qtbot, "set.seed(42); big <- data.frame(x = seq_len(1e6), y = rnorm(1e6))")
    model = view(qtbot, shared, views, "View(big)")
    assert model.rowCount() == 1_000_000
    table = QTableView()
    qtbot.addWidget(table)
    table.verticalHeader().setDefaultSectionSize(20)
    table.setModel(model)
    table.resize(500, 400)
    table.show()
    qtbot.waitUntil(lambda: model.is_cached(0, 0) and model.is_cached(10, 1), timeout=10_000)
    first = model.fetch_count
    assert model.index(0, 0).data() == "1"
    table.scrollTo(model.index(500_000, 0), QAbstractItemView.ScrollHint.PositionAtCenter)
    qtbot.waitUntil(lambda: model.is_cached(500_000, 1), timeout=10_000)
    assert model.fetch_count > first
    assert model.index(500_000, 0).data() == "500001"
    assert float(model.index(500_000, 1).data()) == pytest.approx(shared.eval(qtbot, "big$y[500001]"), rel=1e-6)
    table.scrollToBottom()
    qtbot.waitUntil(lambda: model.is_cached(999_999, 0), timeout=10_000)
    assert model.index(999_999, 0).data() == "1000000"
    assert model.cached_row_count <= 20 * BLOCK_ROWS  # a margin, not the data
    # sort the million rows in R by y: the top of the table is R's order()
    with qtbot.waitSignal(model.sig_meta_changed, timeout=10_000):
        table.sortByColumn(1, DESC)
    top = load(qtbot, model, range(5))
    expected = shared.eval(qtbot, "o <- order(big$y, decreasing = TRUE)[1:5]; list(x = o, y = big$y[o])")
    assert [int(row[0]) for row in top] == expected["x"]
    assert [float(row[1]) for row in top] == pytest.approx(expected["y"], rel=1e-6)
    assert row_names(qtbot, model, range(5)) == [str(i) for i in expected["x"]]  # original row numbers


def test_fast_scroll_serves_the_newest_blocks_and_drops_stale_ones(qtbot, shared: RDriver, views: DataViewService) -> None:
    shared.run(qtbot, "many <- data.frame(i = seq_len(1e6))")
    model = view(qtbot, shared, views, "View(many)")
    positions = [k * 25 * BLOCK_ROWS for k in range(40)]  # 40 screens of a fast scroll, in one go
    for row in positions:
        model.data(model.index(row, 0))
    loaded: list[int] = []
    in_flight: list[int] = []
    model.sig_block_loaded.connect(lambda row0, _n: (loaded.append(row0), in_flight.append(model.requests_in_flight)))
    # a reply's handler sends the next queued block before returning: nothing out means idle
    qtbot.waitUntil(lambda: model.requests_in_flight == 0 and len(loaded) >= 2, timeout=10_000)
    assert loaded[0] == positions[-1]  # the last asked for (what is on screen now) comes first
    assert max(in_flight) <= MAX_IN_FLIGHT - 1  # counted after each reply: at most 2 were out
    assert model.fetch_count <= MAX_QUEUED + 2  # + the margin around the first block served
    assert not any(model.is_cached(row, 0) for row in positions[:10])  # stale: dropped, never fetched
    assert all(model.is_cached(row, 0) for row in positions[-10:])
    assert model.index(positions[-1], 0).data() == str(positions[-1] + 1)


def test_wide_frame_pages_by_column_blocks(qtbot, shared: RDriver, views: DataViewService) -> None:
    model = view(qtbot, shared, views, "View(as.data.frame(matrix(1:1200, ncol = 120)))")
    assert model.columnCount() == 120
    cells = load(qtbot, model, range(10))
    assert cells[9][119] == "1200" and cells[0][60] == str(60 * 10 + 1)


def test_sort_is_r_order(qtbot, shared: RDriver, views: DataViewService) -> None:
    model = view(qtbot, shared, views, "View(mtcars)")
    with qtbot.waitSignal(model.sig_meta_changed, timeout=10_000):
        model.sort(0, DESC)
    assert model.meta.sort_col == 0 and model.meta.sort_desc
    expected = shared.eval(qtbot, "o <- order(mtcars$mpg, decreasing = TRUE); list(n = rownames(mtcars)[o], mpg = mtcars$mpg[o])")
    assert [float(row[0]) for row in load(qtbot, model)] == expected["mpg"]
    assert row_names(qtbot, model, range(32)) == expected["n"]
    with qtbot.waitSignal(model.sig_meta_changed, timeout=10_000):
        model.sort(-1)  # unsorted again
    assert row_names(qtbot, model, range(3)) == ["Mazda RX4", "Mazda RX4 Wag", "Datsun 710"]


def test_filters_match_r_and_a_bad_expression_keeps_the_rows(qtbot, shared: RDriver, views: DataViewService) -> None:
    model = view(qtbot, shared, views, "View(mtcars)")
    with qtbot.waitSignal(model.sig_meta_changed, timeout=10_000):
        model.set_filter([ColumnFilter(0, "range", (20, 30))])
    assert model.rowCount() == shared.eval(qtbot, "sum(mtcars$mpg >= 20 & mtcars$mpg <= 30)")
    assert all(20 <= float(row[0]) <= 30 for row in load(qtbot, model))
    assert model.meta.summary().endswith(f"(filtered: {model.rowCount()} of 32)")
    with qtbot.waitSignal(model.sig_meta_changed, timeout=10_000):
        model.set_filter(expr="cyl == 4 & hp > 60")  # on top of the range
    assert model.rowCount() == shared.eval(qtbot, "with(mtcars, sum(mpg >= 20 & mpg <= 30 & cyl == 4 & hp > 60))")
    with qtbot.waitSignal(model.sig_meta_changed, timeout=10_000):
        model.set_column_filter(0, None)
    assert model.rowCount() == shared.eval(qtbot, "with(mtcars, sum(cyl == 4 & hp > 60))")
    assert model.filters == [] and model.filter_expr == "cyl == 4 & hp > 60"
    rows = model.rowCount()
    for bad, words in (("nosuch > 1", "nosuch"), ("mpg >", "not valid R"), ("mpg + 1", "TRUE or FALSE")):
        with qtbot.waitSignal(model.sig_problem, timeout=10_000) as blocker:
            model.set_filter(expr=bad)
        assert words in blocker.args[0]
        assert model.rowCount() == rows and model.filter_expr == "cyl == 4 & hp > 60"
    with qtbot.waitSignal(model.sig_meta_changed, timeout=10_000):
        model.clear_filters()
    assert model.rowCount() == 32 and not model.meta.filtered


def test_two_filter_edits_before_r_answers_both_apply(qtbot, shared: RDriver, views: DataViewService) -> None:
    model = view(qtbot, shared, views, "View(mtcars)")
    model.set_column_filter(0, ColumnFilter(0, "range", (20, None)))
    model.set_column_filter(1, ColumnFilter(1, "range", (None, 4)))  # sent before R answered
    qtbot.waitUntil(lambda: len(model.filters) == 2, timeout=10_000)
    assert model.rowCount() == shared.eval(qtbot, "with(mtcars, sum(mpg >= 20 & cyl <= 4))")


def test_column_filters_of_each_kind(qtbot, shared: RDriver, views: DataViewService) -> None:
    shared.run(qtbot, 'kinds <- data.frame(s = c("Apple", "banana", NA, "cherry"), f = factor(c("u", "v", "w", NA)),'
                      ' l = c(TRUE, FALSE, NA, TRUE), d = as.Date("2024-01-01") + 0:3)')
    model = view(qtbot, shared, views, "View(kinds)")
    cases = [
        (ColumnFilter(0, "contains", "AN"), ["banana"]),  # fixed, case-insensitive
        (ColumnFilter(1, "levels", ["u", "w"]), ["Apple", "NA"]),
        (ColumnFilter(2, "logical", True), ["Apple", "cherry"]),
        (ColumnFilter(0, "na"), ["NA"]),
        (ColumnFilter(1, "notna"), ["Apple", "banana", "NA"]),
        (ColumnFilter(3, "range", ("2024-01-02", "2024-01-03")), ["banana", "NA"]),
    ]
    for spec, first_column in cases:
        with qtbot.waitSignal(model.sig_meta_changed, timeout=10_000):
            model.set_filter([spec], "")
        assert [row[0] for row in load(qtbot, model)] == first_column, spec
        assert model.filters[0].col == spec.col and model.filters[0].desc
    with qtbot.waitSignal(model.sig_problem, timeout=10_000) as blocker:
        model.set_filter([ColumnFilter(3, "range", ("not a date", None))])
    assert "filter on d" in blocker.args[0]


def test_matrix_vector_list_and_factor(qtbot, shared: RDriver, views: DataViewService) -> None:
    m = view(qtbot, shared, views, 'View(matrix(c(1.5, 2, 3, 4), 2, dimnames = list(c("r1", "r2"), c("a", "b"))))')
    assert (m.rowCount(), m.columnCount()) == (2, 2) and m.meta.names == ("a", "b")
    assert load(qtbot, m) == [["1.5", "3"], ["2.0", "4"]]  # each column formatted as R prints it
    assert row_names(qtbot, m, range(2)) == ["r1", "r2"]
    plain = view(qtbot, shared, views, "View(matrix(c(TRUE, FALSE, NA, TRUE), 2))")
    assert plain.meta.names == ("V1", "V2") and plain.meta.kinds == ("logical", "logical")
    assert load(qtbot, plain) == [["TRUE", "NA"], ["FALSE", "TRUE"]]
    vec = view(qtbot, shared, views, "View(letters)")
    assert (vec.rowCount(), vec.columnCount()) == (26, 1) and vec.meta.names == ("letters",)
    assert load(qtbot, vec, range(26))[25] == ["z"]
    cols = view(qtbot, shared, views, 'View(list(a = 1:3, b = c("x", "y", NA)))')
    assert cols.meta.classes == ("integer", "character") and load(qtbot, cols)[2] == ["3", "NA"]
    fac = view(qtbot, shared, views, 'View(factor(c("lo", "hi", "lo"), levels = c("lo", "hi")))')
    assert fac.meta.kinds == ("factor",) and load(qtbot, fac) == [["lo"], ["hi"], ["lo"]]
    tbl = view(qtbot, shared, views, 'View(structure(head(mtcars, 3), class = c("tbl_df", "tbl", "data.frame")))')
    assert (tbl.rowCount(), tbl.columnCount()) == (3, 11) and tbl.title == 'structure(head(mtcars, 3), class = c("tbl_df", "tbl", "data.frame"))'
    ut = view(qtbot, shared, views, "utils::View(iris)")  # the namespace's View is ours too
    assert ut.meta.kinds[4] == "factor"


def test_unviewable_object_is_an_r_error(qtbot, shared: RDriver, views: DataViewService) -> None:
    opened: list = []
    views.sig_view_opened.connect(opened.append)
    try:
        err = shared.run(qtbot, "View(lm(mpg ~ wt, mtcars))")
        assert any("View() can't show an object of class “lm”" in t for k, t in err if k == "stderr")
        err = shared.run(qtbot, "View(list(1, 1:2))")
        assert any("equal length" in t for k, t in err if k == "stderr")
        shared.run(qtbot, "invisible(0)")
        assert opened == []
    finally:
        views.sig_view_opened.disconnect(opened.append)


def test_changed_object_marks_the_view_outdated_and_refresh_reads_it(qtbot, shared: RDriver, views: DataViewService) -> None:
    shared.run(qtbot, "df <- data.frame(a = 1:3, b = c('x', 'y', 'z'))")
    model = view(qtbot, shared, views, "View(df)")
    other = view(qtbot, shared, views, "View(mtcars)")
    with qtbot.waitSignal(model.sig_meta_changed, timeout=10_000):
        model.set_filter(expr="a >= 2")
    assert load(qtbot, model) == [["2", "y"], ["3", "z"]]
    shared.run(qtbot, "x <- 1")
    shared.run(qtbot, "df <- data.frame(a = 1:3, b = c('x', 'y', 'z'))")  # a new object, equal data
    shared.eval(qtbot, "0")  # evals answer in order: the service's change check has answered
    assert not model.is_outdated
    with qtbot.waitSignal(model.sig_outdated, timeout=10_000):
        shared.run(qtbot, "df$a[3] <- 10L; df <- rbind(df, data.frame(a = 0L, b = 'w'))")
    assert model.is_outdated and "df" in model.status and not other.is_outdated
    with qtbot.waitSignal(model.sig_meta_changed, timeout=10_000):
        model.refresh()
    assert not model.is_outdated and model.total_rows == 4 and model.filter_expr == "a >= 2"
    assert load(qtbot, model) == [["2", "y"], ["10", "z"]]
    with qtbot.waitSignal(model.sig_outdated, timeout=10_000):
        shared.run(qtbot, "rm(df)")
    with qtbot.waitSignal(model.sig_problem, timeout=10_000) as blocker:
        model.refresh()
    assert "no longer exists" in blocker.args[0]


def test_open_name_and_close(qtbot, shared: RDriver, views: DataViewService) -> None:
    with qtbot.waitSignal(views.sig_view_opened, timeout=10_000) as blocker:
        views.open_name("mtcars")
    model = blocker.args[0]
    assert model.title == "mtcars" and model.rowCount() == 32
    key = f'"{model.view_id}"'
    assert shared.eval(qtbot, f"exists({key}, envir = .wd.views$views)") is True
    model.close()
    qtbot.waitUntil(lambda: shared.eval(qtbot, f"exists({key}, envir = .wd.views$views)") is False, timeout=5000)
    assert model not in views.models
    with qtbot.waitSignal(views.sig_problem, timeout=10_000) as blocker:
        views.open_name("no_such_object")
    assert "no_such_object" in blocker.args[0]


def test_model_passes_qtmodeltester(qtbot, qtmodeltester, shared: RDriver, views: DataViewService) -> None:
    model = view(qtbot, shared, views, "View(mtcars)")
    qtmodeltester.check(model)  # with placeholders
    load(qtbot, model)
    qtmodeltester.check(model)  # with R's cells
    with qtbot.waitSignal(model.sig_meta_changed, timeout=10_000):
        model.set_filter(expr="cyl == 6")
    qtmodeltester.check(model)


def test_quick_plot_from_a_view_column(qtbot, shared: RDriver, views: DataViewService) -> None:
    model = view(qtbot, shared, views, "View(mtcars)")
    with qtbot.waitSignal(model.sig_meta_changed, timeout=10_000):
        model.sort(3, DESC)  # hp, largest first
    with qtbot.waitSignal(shared.session.sig_message_received, timeout=10_000,
                          check_params_cb=lambda msg: msg.type == "quickplot") as blocker:
        model.quick_plot(0)
    data = QuickPlotData.decode(blocker.args[0].data["meta"], blocker.args[0].data["blob"])
    assert data.title == "mtcars$mpg"
    assert list(data.y) == shared.eval(qtbot, "mtcars$mpg[order(mtcars$hp, decreasing = TRUE)]")


def test_viewer_tabs_scroll_a_million_rows(qtbot, shared: RDriver, views: DataViewService) -> None:
    viewers = DataViewerTabs()
    tabs = viewers.tabs  # its own tab widget (in the app: the Source area's)
    qtbot.addWidget(tabs)
    views.sig_view_opened.connect(viewers.add_viewer)
    try:
        tabs.resize(900, 500)
        tabs.show()
        shared.run(qtbot, "wide <- as.data.frame(matrix(runif(2e6), ncol = 2))")
        with qtbot.waitSignal(viewers.sig_raise_requested, timeout=10_000):
            shared.run(qtbot, "View(wide)")
        viewer = viewers.viewers()[0]
        table, model = viewer.table, viewer.model
        assert tabs.tabText(0) == "wide" and viewer.summary_label.text() == "wide — 1\u2009000\u2009000 × 2"
        qtbot.waitUntil(lambda: model.is_cached(0, 1), timeout=10_000)
        table.scrollTo(model.index(600_000, 0), QAbstractItemView.ScrollHint.PositionAtCenter)
        top, bottom = table.rowAt(0), table.rowAt(table.viewport().height() - 1)
        assert top < 600_000 < bottom
        qtbot.waitUntil(lambda: model.is_cached(top, 1) and model.is_cached(bottom, 1), timeout=10_000)
        assert model.cached_row_count < 5_000
        viewer.filter_edit.setText("V1 < 0.5")
        with qtbot.waitSignal(model.sig_meta_changed, timeout=10_000):
            viewer.apply_button.click()
        assert model.rowCount() == shared.eval(qtbot, "sum(wide$V1 < 0.5)")
        assert "(filtered:" in viewer.summary_label.text()
        viewers.close_tab(0)
        assert model.is_closed and tabs.count() == 0
    finally:
        views.sig_view_opened.disconnect(viewers.add_viewer)


def test_restart_marks_open_views_gone(qtbot, fresh: RDriver) -> None:
    service = DataViewService(fresh.session)
    model = view(qtbot, fresh, service, "View(mtcars)")
    with qtbot.waitSignal(model.sig_outdated, timeout=30_000):
        fresh.session.restart()
    assert model.is_gone and "restarted" in model.status
    with qtbot.waitSignal(model.sig_problem, timeout=5000):
        model.refresh()
    assert service.models == []
    service.deleteLater()

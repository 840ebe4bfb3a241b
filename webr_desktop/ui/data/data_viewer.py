"""DataViewer: one View() of R data — a summary line, a filter bar and a paged table.

The table shows a DataViewModel, whose rows stay in R; nothing here may touch every row:
rows have one fixed height and columns are sized from the first page only (no
resizeToContents, which would ask the model for thousands of cells). Sorting is the table's
own header click (QTableView calls model.sort, which sorts in R); the header's context menu
adds sort, a filter popup suited to the column, and a quick plot of numeric columns.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import (
    QAbstractItemView, QFrame, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QMenu, QPushButton, QTableView,
    QToolButton, QVBoxLayout, QWidget,
)

from webr_desktop.models.data_view_model import DataViewModel
from webr_desktop.ui.data.filter_dialog import ColumnFilterDialog

MIN_COLUMN_WIDTH = 48
MAX_COLUMN_WIDTH = 320


class DataViewer(QWidget):
    """Everything about one view; it only talks to its model."""

    sig_title_changed = Signal(str)  # the summary changed (for a tab's tooltip)

    def __init__(self, model: DataViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.filter_dialog: ColumnFilterDialog | None = None
        self._widths: dict[int, int] = {}  # column -> the width we or the user chose
        self._user_sized: set[int] = set()  # columns the user resized: left alone
        self._measured: dict[int, str] = {}  # column -> the text its width was fitted to
        self._names = model.meta.names
        self._applying = False  # our own resizeSection() calls
        self._resetting = False
        self._shown_expr = model.filter_expr

        self.summary_label = QLabel(self)
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.chips = QHBoxLayout()
        self.chips.setSpacing(4)
        top = QHBoxLayout()
        top.addWidget(self.summary_label)
        top.addStretch(1)
        top.addLayout(self.chips)

        self.filter_edit = QLineEdit(self)
        self.filter_edit.setPlaceholderText("Filter with R, e.g.  mpg > 20 & cyl == 4")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setText(model.filter_expr)
        self.apply_button = QPushButton("Apply", self)
        self.clear_button = QPushButton("Clear", self)
        self.clear_button.setToolTip("Remove every filter (the R expression and the column filters)")
        bar = QHBoxLayout()
        bar.addWidget(self.filter_edit, 1)
        bar.addWidget(self.apply_button)
        bar.addWidget(self.clear_button)

        self.notice = QFrame(self)
        self.notice.setStyleSheet("QFrame { background: #fff4ce; border: 1px solid #e0c97a; }"
                                  " QLabel { border: none; }")
        self.notice_label = QLabel(self.notice)
        self.refresh_button = QPushButton("Refresh", self.notice)
        notice_layout = QHBoxLayout(self.notice)
        notice_layout.setContentsMargins(6, 2, 6, 2)
        notice_layout.addWidget(self.notice_label, 1)
        notice_layout.addWidget(self.refresh_button)
        self.notice.hide()

        self.problem_label = QLabel(self)
        self.problem_label.setStyleSheet("color: #b00020;")
        self.problem_label.setWordWrap(True)
        self.problem_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problem_label.hide()

        self.table = QTableView(self)
        self._setup_table()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 0)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addLayout(bar)
        layout.addWidget(self.notice)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.table, 1)

        self.apply_button.clicked.connect(self._on_apply_clicked)
        self.filter_edit.returnPressed.connect(self._on_apply_clicked)
        self.clear_button.clicked.connect(self._on_clear_clicked)
        self.refresh_button.clicked.connect(model.refresh)
        model.sig_meta_changed.connect(self._on_model_meta_changed)
        model.sig_block_loaded.connect(self._on_model_block_loaded)
        model.sig_outdated.connect(self._show_status)
        model.sig_problem.connect(self._on_model_problem)
        self._on_model_meta_changed()
        self._show_status()

    def _setup_table(self) -> None:
        table = self.table
        table.setModel(self.model)
        table.setWordWrap(False)
        table.setAlternatingRowColors(True)
        table.setTextElideMode(Qt.TextElideMode.ElideRight)
        table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        table.setSelectionMode(QAbstractItemView.SelectionMode.ContiguousSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        rows = table.verticalHeader()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # uniform rows: 1e6 of them stay cheap
        rows.setDefaultSectionSize(QFontMetrics(table.font()).height() + 6)
        rows.setHighlightSections(False)
        cols = table.horizontalHeader()
        cols.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        cols.setDefaultSectionSize(96)
        cols.setHighlightSections(False)
        cols.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        cols.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        cols.customContextMenuRequested.connect(self._on_header_menu)
        cols.setSortIndicatorClearable(True)  # a third click on a header unsorts
        self._sync_sort_indicator()
        table.setSortingEnabled(True)  # calls model.sort() with R's current sort: a no-op
        cols.sortIndicatorChanged.connect(lambda *_: table.scrollToTop())
        cols.sectionResized.connect(self._on_section_resized)
        self.model.modelAboutToBeReset.connect(lambda: setattr(self, "_resetting", True))
        self.model.modelReset.connect(lambda: setattr(self, "_resetting", False))

    # ------------------------------------------------------------------ actions
    def header_menu(self, col: int) -> QMenu:
        """The column's menu (a method so tests can drive it without a mouse)."""
        model = self.model
        menu = QMenu(self)
        menu.addAction("Sort ascending", lambda: self._sort(col, Qt.SortOrder.AscendingOrder))
        menu.addAction("Sort descending", lambda: self._sort(col, Qt.SortOrder.DescendingOrder))
        if model.meta.sort_col >= 0:
            menu.addAction("Clear sort", lambda: self._sort(-1, Qt.SortOrder.AscendingOrder))
        menu.addSeparator()
        menu.addAction("Filter…", lambda: self.open_filter_dialog(col))
        if model.column_filter(col) is not None:
            menu.addAction("Clear filter", lambda: model.set_column_filter(col, None))
        menu.addSeparator()
        plot = menu.addAction("Quick plot", lambda: model.quick_plot(col))
        plot.setEnabled(model.is_numeric(col))
        if not model.is_numeric(col):
            plot.setToolTip("Quick plot shows numeric columns")
        return menu

    def open_filter_dialog(self, col: int) -> ColumnFilterDialog:
        dialog = ColumnFilterDialog(self.model, col, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._on_filter_dialog_accepted(dialog, col))
        self.filter_dialog = dialog
        dialog.open()
        return dialog

    def _on_filter_dialog_accepted(self, dialog: ColumnFilterDialog, col: int) -> None:
        if dialog.removed:
            self.model.set_column_filter(col, None)
        else:
            self.model.set_column_filter(col, dialog.result_filter())

    def _sort(self, col: int, order: Qt.SortOrder) -> None:
        self.table.scrollToTop()
        self.model.sort(col, order)

    def _on_header_menu(self, pos: QPoint) -> None:
        col = self.table.horizontalHeader().logicalIndexAt(pos)
        if col >= 0:
            menu = self.header_menu(col)
            menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            menu.popup(self.table.horizontalHeader().mapToGlobal(pos))

    def _on_apply_clicked(self) -> None:
        self.table.scrollToTop()
        self.model.set_filter(expr=self.filter_edit.text())

    def _on_clear_clicked(self) -> None:
        self.filter_edit.clear()
        self.table.scrollToTop()
        self.model.clear_filters()

    # ------------------------------------------------------------------ model → view
    def _on_model_meta_changed(self) -> None:
        meta = self.model.meta
        summary = meta.summary()
        if meta.sort_col >= 0:
            summary += f" · sorted by {meta.names[meta.sort_col]} ({'descending' if meta.sort_desc else 'ascending'})"
        self.summary_label.setText(summary)
        if meta.expr != self._shown_expr:  # don't overwrite what the user is typing otherwise
            self._shown_expr = meta.expr
            self.filter_edit.setText(meta.expr)
        self._rebuild_chips()
        self._sync_sort_indicator()
        self.problem_label.hide()
        self._show_status()
        if meta.names != self._names:
            self._names = meta.names
            self._widths.clear()
            self._user_sized.clear()
            self._measured.clear()
        for col, width in self._widths.items():  # a model reset gave every column the default
            self._set_width(col, width)
        self.sig_title_changed.emit(summary)

    def _rebuild_chips(self) -> None:
        while self.chips.count():
            item = self.chips.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        for f in self.model.filters:
            chip = QToolButton(self)
            chip.setText(f"{f.desc}  ✕")
            chip.setToolTip("Remove this filter")
            chip.setAutoRaise(True)
            chip.setStyleSheet("QToolButton { background: #e8f0fe; border-radius: 8px; padding: 1px 6px; }")
            chip.clicked.connect(lambda _=False, col=f.col: self.model.set_column_filter(col, None))
            self.chips.addWidget(chip)

    def chip_texts(self) -> list[str]:
        return [self.chips.itemAt(i).widget().text() for i in range(self.chips.count())]

    def _sync_sort_indicator(self) -> None:
        meta = self.model.meta
        header = self.table.horizontalHeader()
        header.blockSignals(True)
        order = Qt.SortOrder.DescendingOrder if meta.sort_desc else Qt.SortOrder.AscendingOrder
        header.setSortIndicator(meta.sort_col, order)
        header.blockSignals(False)
        header.viewport().update()

    def _show_status(self) -> None:
        text = self.model.status
        self.notice_label.setText(text)
        self.refresh_button.setVisible(not self.model.is_gone and bool(self.model.meta.name))
        self.notice.setVisible(bool(text))

    def _on_model_problem(self, text: str) -> None:
        self.problem_label.setText(text)
        self.problem_label.show()
        self._sync_sort_indicator()  # a sort R refused leaves R's order in place

    def _on_model_block_loaded(self, _row0: int, _rows: int) -> None:
        """Fit columns to what has been fetched: wider as wider cells arrive, never narrower.

        Only the longest text per column is measured, so 1e6 rows cost nothing here, and a
        column the user resized is left alone.
        """
        model, header = self.model, self.table.horizontalHeader()
        fm = QFontMetrics(self.table.font())
        for col in range(model.columnCount()):
            text = model.widest_text(col)
            if col in self._user_sized or not text or text == self._measured.get(col):
                continue
            self._measured[col] = text
            head = model.headerData(col, Qt.Orientation.Horizontal) or ""
            need = max([fm.horizontalAdvance(line) + 24 for line in head.split("\n")] + [fm.horizontalAdvance(text) + 14])
            need = max(MIN_COLUMN_WIDTH, min(MAX_COLUMN_WIDTH, need))
            if need > self._widths.get(col, 0) or header.sectionSize(col) != self._widths.get(col):
                self._set_width(col, max(need, self._widths.get(col, 0)))

    def _set_width(self, col: int, width: int) -> None:
        self._widths[col] = width
        self._applying = True
        self.table.horizontalHeader().resizeSection(col, width)
        self._applying = False

    def _on_section_resized(self, col: int, _old: int, new: int) -> None:
        if not self._applying and not self._resetting:
            self._user_sized.add(col)
            self._widths[col] = new

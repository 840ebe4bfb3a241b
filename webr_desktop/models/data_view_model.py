"""DataViewModel: a table model over data that stays in R, fetched in blocks as the view asks.

``rowCount`` is the whole (filtered) row count from the start — a scroll bar over 1e6 rows —
and ``data()`` for a cell not in the cache answers a dimmed placeholder and queues its block
(BLOCK_ROWS × BLOCK_COLS). Queued blocks are served last-in first-out, so what is on screen
now comes first while a fast scroll's stale positions fall off the bottom of a short queue;
at most MAX_IN_FLIGHT evals run at once. Blocks live in a bounded LRU cache, so memory does
not grow with the row count. Sort and filter are computed in R over all rows; the model then
resets and re-pages. Blocks are aligned to multiples of BLOCK_ROWS in the view's order, and R
formats each column chunk of a block together, so a cell always reads the same.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont

from webr_desktop.core.data_view import Block, ColumnFilter, LruCache, ViewMeta, filters_r_code
from webr_desktop.core.messages import r_error_text
from webr_desktop.core.rcode import r_string
from webr_desktop.models.replies import while_alive
from webr_desktop.runtime.session import RSession

log = logging.getLogger(__name__)

BLOCK_ROWS = 200
BLOCK_COLS = 50
MAX_BLOCKS = 48  # cached blocks: at most 9,600 rows × 50 columns of text
MAX_QUEUED = 24  # older queued blocks are stale: the view has scrolled past them
MAX_IN_FLIGHT = 2
PLACEHOLDER = "…"
ROWNAMES = -1  # column block index of a request for row names only (the row header)

Index = QModelIndex | QPersistentModelIndex
Key = tuple[int, int]  # (row block, column block)

_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


class DataViewModel(QAbstractTableModel):
    """One View() of an R object: a window onto R's data, by id."""

    sig_meta_changed = Signal()  # shape, sort, filter or names changed (after a reset)
    sig_block_loaded = Signal(int, int)  # (row0, rows) of a block that arrived
    sig_outdated = Signal()  # the object changed in R, or R is gone (see is_gone)
    sig_problem = Signal(str)  # a readable error (bad filter expression, R gone, …)
    sig_column_info_loaded = Signal(int, object)  # (column, dict): range/levels for a filter popup

    def __init__(self, session: RSession, meta: ViewMeta, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._meta = meta
        self._blocks: LruCache[Key, Block] = LruCache(MAX_BLOCKS)
        self._rownames: LruCache[int, list[str | None]] = LruCache(MAX_BLOCKS * 2)
        self._queue: list[Key] = []  # a stack: the newest request is served first
        self._demanded: set[Key] = set()  # asked for by the view (not prefetch)
        self._in_flight: set[Key] = set()  # blocks of this epoch on their way
        self._running = 0  # evals for blocks on their way, of any epoch
        self._failed: set[Key] = set()
        self._epoch = 0  # bumps when the rows change meaning: replies of older epochs are dropped
        self._fetch_count = 0
        self._widest: dict[int, str] = {}  # column -> its longest text seen (to size columns)
        self._outdated = meta.changed
        self._gone = ""  # why R no longer has this view ("": it has)
        self._closed = False
        # The filter last asked of R while replies are due, so a second edit made before R
        # answers the first builds on it instead of on the stale shown state.
        self._asked_filter: tuple[list[ColumnFilter], str] | None = None
        self._filters_due = 0
        self._pump_timer = QTimer(self, singleShot=True, interval=0)
        self._pump_timer.timeout.connect(self._pump)
        self._na_font: QFont | None = None
        self._dim = QColor("#9a9a9a")

    # ------------------------------------------------------------------ facts
    @property
    def meta(self) -> ViewMeta:
        return self._meta

    @property
    def view_id(self) -> int:
        return self._meta.id

    @property
    def title(self) -> str:
        return self._meta.title

    @property
    def total_rows(self) -> int:
        """All rows of the object (before the filter)."""
        return self._meta.total

    @property
    def fetch_count(self) -> int:
        """Block requests sent to R so far (for tests and benchmarks)."""
        return self._fetch_count

    @property
    def requests_in_flight(self) -> int:
        """Block evals sent and not yet answered (never more than MAX_IN_FLIGHT)."""
        return self._running

    @property
    def cached_row_count(self) -> int:
        """Rows with cells held in Python now: bounded, whatever the data's size."""
        rows = {key[0] for key in self._blocks.keys()}
        return sum(min(BLOCK_ROWS, self._meta.nrow - rb * BLOCK_ROWS) for rb in rows)

    @property
    def filters(self) -> list[ColumnFilter]:
        return [f for f in self._meta.filters if f.col >= 0]

    @property
    def filter_expr(self) -> str:
        return self._meta.expr

    @property
    def is_outdated(self) -> bool:
        return self._outdated or bool(self._gone)

    @property
    def is_gone(self) -> bool:
        """R no longer holds this view (R restarted, quit or crashed): nothing can be fetched."""
        return bool(self._gone)

    @property
    def is_closed(self) -> bool:
        return self._closed

    @property
    def status(self) -> str:
        """Why the view is stale, for the viewer's notice bar ("" when it is current)."""
        if self._gone:
            return self._gone
        if self._outdated:
            what = f"“{self._meta.name}”" if self._meta.name else "The object"
            return f"{what} has changed in R since this view read it."
        return ""

    def kind(self, col: int) -> str:
        return self._meta.kinds[col] if 0 <= col < self._meta.ncol else "other"

    def is_numeric(self, col: int) -> bool:
        return self.kind(col) == "number"

    def column_name(self, col: int) -> str:
        return self._meta.names[col] if 0 <= col < self._meta.ncol else ""

    def column_class(self, col: int) -> str:
        return self._meta.classes[col] if 0 <= col < self._meta.ncol else ""

    def is_cached(self, row: int, col: int) -> bool:
        """Whether the cell's text is here (asks nothing of R, unlike data())."""
        return (row // BLOCK_ROWS, col // BLOCK_COLS) in self._blocks

    def widest_text(self, col: int) -> str:
        """The longest text of the column's fetched cells so far ("" before any)."""
        return self._widest.get(col, "")

    def column_filter(self, col: int) -> ColumnFilter | None:
        return next((f for f in self.filters if f.col == col), None)

    # ------------------------------------------------------------------ Qt model
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else self._meta.nrow

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else self._meta.ncol

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, col = index.row(), index.column()
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT if self.kind(col) == "number" else _LEFT
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole,
                        Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.FontRole):
            return None
        key = (row // BLOCK_ROWS, col // BLOCK_COLS)
        block = self._blocks.get(key) if role == Qt.ItemDataRole.DisplayRole else self._blocks.peek(key)
        if block is None:
            if role == Qt.ItemDataRole.DisplayRole:
                self._want(key)
                return PLACEHOLDER
            return self._dim if role == Qt.ItemDataRole.ForegroundRole else None
        text = block.cols[col - block.col0][row - block.row0]
        if role == Qt.ItemDataRole.DisplayRole:
            return "NA" if text is None else text
        if role == Qt.ItemDataRole.ToolTipRole:
            return "NA (missing)" if text is None else text
        if text is not None:
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._dim
        if self._na_font is None:
            self._na_font = QFont()
            self._na_font.setItalic(True)
        return self._na_font

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal:
            if not 0 <= section < self._meta.ncol:
                return None
            name, cls = self._meta.names[section], self._meta.classes[section]
            if role == Qt.ItemDataRole.DisplayRole:
                return f"{name}\n{cls}"
            if role == Qt.ItemDataRole.ToolTipRole:
                return f"{name} — {cls}\nClick to sort; right-click to filter or plot."
            return None
        if not 0 <= section < self._meta.nrow:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            names = self._rownames.peek(section // BLOCK_ROWS)
            if names is None:
                self._want((section // BLOCK_ROWS, ROWNAMES))
                return PLACEHOLDER
            name = names[section % BLOCK_ROWS]
            return "NA" if name is None else name
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort in R by column (a negative column clears the sort); the rows re-page."""
        col = column if 0 <= column < self._meta.ncol else -1
        desc = order == Qt.SortOrder.DescendingOrder
        if col == self._meta.sort_col and (col < 0 or desc == self._meta.sort_desc):
            return
        self._update_meta(f".wd.view_sort({self.view_id}L, {col + 1}L, {'TRUE' if desc else 'FALSE'})")

    # ------------------------------------------------------------------ commands
    def set_filter(self, filters: list[ColumnFilter] | None = None, expr: str | None = None) -> None:
        """Filter in R (None keeps that part as it is); a bad expression keeps the old rows."""
        asked_filters, asked_expr = self._asked_filter or (self.filters, self._meta.expr)
        filters = asked_filters if filters is None else filters
        expr = asked_expr if expr is None else expr
        if not self._usable():
            return
        self._asked_filter = (list(filters), expr)
        self._filters_due += 1
        request = self._session.eval(f".wd.view_filter({self.view_id}L, {filters_r_code(filters)}, {r_string(expr)})")
        request.sig_finished.connect(while_alive(self, lambda value: (self._filter_answered(), self._on_meta(value, False))))
        request.sig_failed.connect(while_alive(self, lambda error: (self._filter_answered(), self._on_meta_failed(error))))

    def _filter_answered(self) -> None:
        self._filters_due -= 1
        if self._filters_due <= 0:
            self._filters_due, self._asked_filter = 0, None

    def set_column_filter(self, col: int, new: ColumnFilter | None) -> None:
        """Replace (or with None, drop) the filter on one column."""
        current = self._asked_filter[0] if self._asked_filter else self.filters
        self.set_filter([f for f in current if f.col != col] + ([new] if new is not None else []))

    def clear_filters(self) -> None:
        self.set_filter([], "")

    def refresh(self) -> None:
        """Re-read the object by name in R (after it changed); sort and filter stay if they can."""
        self._update_meta(f".wd.view_refresh({self.view_id}L)", refreshing=True)

    def quick_plot(self, col: int) -> None:
        """The column, in the view's order and filter, in the app's native plot window."""
        if self._usable():
            request = self._session.eval(f".wd.view_quickplot({self.view_id}L, {col + 1}L)")
            request.sig_failed.connect(while_alive(self, lambda err: self.sig_problem.emit(f"Quick plot: {r_error_text(err)}")))

    def request_column_info(self, col: int) -> None:
        """Ask R for a column's range or levels; ``sig_column_info_loaded`` answers."""
        if self._usable():
            request = self._session.eval(f".wd.view_column_info({self.view_id}L, {col + 1}L)")
            request.sig_finished.connect(lambda value: self.sig_column_info_loaded.emit(
                col, value if isinstance(value, dict) else {}))
            request.sig_failed.connect(while_alive(self, lambda err: self.sig_problem.emit(r_error_text(err))))

    def close(self) -> None:
        """The viewer is gone: R drops its reference to the object."""
        if self._closed:
            return
        self._closed = True
        self._queue.clear()
        if not self._gone:
            self._session.eval(f".wd.view_close({self.view_id}L)")

    def mark_outdated(self) -> None:
        """R says the named object changed since this view read it."""
        if not self._outdated and not self._closed:
            self._outdated = True
            self.sig_outdated.emit()

    def mark_gone(self, reason: str) -> None:
        """R no longer holds this view: keep what is shown, fetch nothing more."""
        if self._gone or self._closed:
            return
        self._gone = reason
        self._queue.clear()
        self._in_flight.clear()
        self.sig_outdated.emit()

    # ------------------------------------------------------------------ internals
    def _usable(self) -> bool:
        if self._gone:
            self.sig_problem.emit(self._gone)
        return not self._closed and not self._gone

    def _update_meta(self, code: str, refreshing: bool = False) -> None:
        if not self._usable():
            return
        request = self._session.eval(code)
        request.sig_finished.connect(while_alive(self, lambda value: self._on_meta(value, refreshing)))
        request.sig_failed.connect(self._on_meta_failed)

    def _on_meta(self, value: object, refreshing: bool) -> None:
        if self._closed or self._gone:
            return
        try:
            meta = ViewMeta.parse(value)
        except ValueError as exc:
            self.sig_problem.emit(f"R sent a view description the app can't read: {exc}")
            return
        self.beginResetModel()
        if meta.names != self._meta.names:
            self._widest.clear()
        self._meta = meta
        self._epoch += 1
        self._blocks.clear()
        self._rownames.clear()
        self._queue.clear()
        self._demanded.clear()
        self._in_flight.clear()
        self._failed.clear()
        self.endResetModel()
        if refreshing and self._outdated:
            self._outdated = False
        self.sig_meta_changed.emit()

    def _on_meta_failed(self, error: str) -> None:
        self.sig_problem.emit(r_error_text(error))  # R kept its state: the old rows, sort and filter stand

    def _want(self, key: Key, demanded: bool = True) -> None:
        """Queue a block (called from data(): only bookkeeping, no signals)."""
        if self._closed or self._gone or key in self._in_flight or key in self._failed:
            return
        if demanded:
            self._demanded.add(key)
            if key in self._queue:
                self._queue.remove(key)
            self._queue.append(key)
            if len(self._queue) > MAX_QUEUED:
                stale = self._queue.pop(0)
                self._demanded.discard(stale)
        elif key not in self._queue:
            self._queue.insert(0, key)
        if not self._pump_timer.isActive():
            self._pump_timer.start()

    def _pump(self) -> None:
        while self._queue and self._running < MAX_IN_FLIGHT and not self._closed and not self._gone:
            key = self._queue.pop()
            cached = key in self._blocks if key[1] != ROWNAMES else key[0] in self._rownames
            if cached or key in self._in_flight:
                continue
            self._send(key)

    def _send(self, key: Key) -> None:
        rb, cb = key
        row0 = rb * BLOCK_ROWS
        nrows = max(0, min(BLOCK_ROWS, self._meta.nrow - row0))
        col0 = 0 if cb == ROWNAMES else cb * BLOCK_COLS
        ncols = 0 if cb == ROWNAMES else max(0, min(BLOCK_COLS, self._meta.ncol - col0))
        if nrows == 0:
            return
        self._in_flight.add(key)
        self._running += 1
        self._fetch_count += 1
        epoch = self._epoch
        request = self._session.eval(f".wd.view_rows({self.view_id}L, {row0}L, {nrows}L, {col0}L, {ncols}L)")
        request.sig_finished.connect(while_alive(self, lambda value: self._on_block(key, epoch, value, nrows, ncols)))
        request.sig_failed.connect(while_alive(self, lambda err: self._on_block_failed(key, epoch, err)))

    def _on_block(self, key: Key, epoch: int, value: object, nrows: int, ncols: int) -> None:
        self._running -= 1
        if epoch != self._epoch or self._closed:
            self._pump()
            return
        self._in_flight.discard(key)
        rb, cb = key
        row0, col0 = rb * BLOCK_ROWS, max(0, cb) * BLOCK_COLS
        try:
            block = Block.parse(value, row0, col0, nrows, ncols)
        except ValueError as exc:
            self._failed.add(key)
            self.sig_problem.emit(f"R sent rows the app can't read: {exc}")
            self._pump()
            return
        new_names = rb not in self._rownames
        self._rownames.put(rb, block.rownames)
        last = row0 + nrows - 1
        if cb != ROWNAMES:
            self._blocks.put(key, block)
            for j, texts in enumerate(block.cols):
                longest = max(texts, key=lambda t: 2 if t is None else len(t))
                if longest is not None and len(longest) > len(self._widest.get(col0 + j, "")):
                    self._widest[col0 + j] = longest
            self.dataChanged.emit(self.index(row0, col0), self.index(last, col0 + ncols - 1))
        if new_names:
            self.headerDataChanged.emit(Qt.Orientation.Vertical, row0, last)
        was_demanded = key in self._demanded
        self._demanded.discard(key)
        self.sig_block_loaded.emit(row0, nrows)
        if was_demanded and cb != ROWNAMES and not self._queue:
            self._prefetch(rb, cb)
        self._pump()

    def _prefetch(self, rb: int, cb: int) -> None:
        """The margin: the blocks above and below what the view asked for."""
        for nb in (rb - 1, rb + 1):
            if 0 <= nb * BLOCK_ROWS < self._meta.nrow and (nb, cb) not in self._blocks:
                self._want((nb, cb), demanded=False)

    def _on_block_failed(self, key: Key, epoch: int, error: str) -> None:
        self._running -= 1
        if epoch != self._epoch or self._closed or self._gone:
            return
        self._in_flight.discard(key)
        self._failed.add(key)  # no retry loop; a reset (sort, filter, refresh) tries again
        if len(self._failed) == 1:
            self.sig_problem.emit(r_error_text(error))
        self._pump()

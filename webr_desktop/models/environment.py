"""EnvironmentModel and EnvironmentService: the Environment pane's rows, kept in step with R.

R (resources/R/env.R) answers each refresh with only the rows that changed since the last one
and the names that went away. The model applies that difference with row inserts, removals and
``dataChanged`` (never a reset), so a view keeps its selection and scroll position and 10,000
unchanged objects cost nothing on this side. Rows are kept sorted case-insensitively by name
(ties: case-sensitive), as RStudio lists them; a view may re-sort through a proxy.
"""

from __future__ import annotations

import logging
import time
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, QTimer, Signal

from webr_desktop.core.rcode import r_string
from webr_desktop.runtime.session import RSession, SessionState

log = logging.getLogger(__name__)

Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True, slots=True)
class EnvRow:
    """One object of R's global environment, as R summarised it."""

    name: str
    type: str = ""  # first class, e.g. "data.frame"; "promise"/"active binding" for those
    dims: str = ""  # "32 × 11", "10" (a length) or ""
    size: float | None = None  # bytes (object.size); None when unknown (promises)
    preview: str = ""  # one short line: "int [1:10] 1 2 3 ...", "32 obs. of 11 variables"
    viewable: bool = False  # the data viewer can show it

    @property
    def sort_key(self) -> tuple[str, str]:
        return (self.name.casefold(), self.name)

    @property
    def elements(self) -> float:
        """The number of elements its dimensions describe (sorts the Dimensions column)."""
        if not self.dims:
            return -1.0
        total = 1.0
        for part in self.dims.split("×"):
            try:
                total *= float(part.strip())
            except ValueError:
                return -1.0
        return total


def human_size(size: float | None) -> str:
    """Bytes as RStudio shows them: "56 B", "1.2 KB", "7.6 MB"."""
    if size is None:
        return ""
    if size < 1024:
        return f"{int(size)} B"
    for unit in ("KB", "MB", "GB"):
        size /= 1024
        if size < 1024 or unit == "GB":
            return f"{size:.1f} {unit}"
    return ""  # not reached


class EnvironmentModel(QAbstractTableModel):
    """The global environment's objects, one row each, sorted by name."""

    NAME, TYPE, DIMS, SIZE, VALUE = range(5)
    HEADERS = ("Name", "Type", "Dimensions", "Size", "Value")
    SORT_ROLE = Qt.ItemDataRole.UserRole + 1  # raw values: sizes in bytes, dims as element counts
    VIEWABLE_ROLE = Qt.ItemDataRole.UserRole + 2  # bool: the data viewer can show the object
    NAME_ROLE = Qt.ItemDataRole.UserRole + 3  # the object's name, from any column

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[EnvRow] = []
        self._keys: list[tuple[str, str]] = []  # sort keys of _rows, for bisect

    # ------------------------------------------------------------------ reading
    def row(self, i: int) -> EnvRow:
        return self._rows[i]

    def names(self) -> list[str]:
        return [r.name for r in self._rows]

    def find(self, name: str) -> int:
        """The row of ``name``, or -1."""
        key = (name.casefold(), name)
        i = bisect_left(self._keys, key)
        return i if i < len(self._keys) and self._keys[i] == key else -1

    def get(self, name: str) -> EnvRow | None:
        i = self.find(name)
        return self._rows[i] if i >= 0 else None

    # ------------------------------------------------------------------ Qt model API
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.HEADERS)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.HEADERS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        if role == Qt.ItemDataRole.TextAlignmentRole and section == self.SIZE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        row, col = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (row.name, row.type, row.dims, human_size(row.size), row.preview)[col]
        if role == self.SORT_ROLE:
            return (row.name.casefold(), row.type.casefold(), row.elements,
                    -1.0 if row.size is None else row.size, row.preview)[col]
        if role == self.NAME_ROLE:
            return row.name
        if role == self.VIEWABLE_ROLE:
            return row.viewable
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == self.SIZE and row.size is not None:
                return f"{int(row.size):,} bytes"
            return (row.name, row.type, row.dims, None, row.preview)[col] or None
        if role == Qt.ItemDataRole.TextAlignmentRole and col == self.SIZE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    # ------------------------------------------------------------------ changes
    def clear(self) -> None:
        self.set_rows([])

    def set_rows(self, rows: Iterable[EnvRow]) -> None:
        """Replace everything (a full refresh): the one place the model resets."""
        unique = {r.name: r for r in rows}
        self.beginResetModel()
        self._rows = sorted(unique.values(), key=lambda r: r.sort_key)
        self._keys = [r.sort_key for r in self._rows]
        self.endResetModel()

    def apply(self, changed: Iterable[EnvRow], removed: Iterable[str] = ()) -> None:
        """Apply R's difference: ``changed`` rows are new or replace rows of the same name."""
        self._remove([i for i in (self.find(n) for n in set(removed)) if i >= 0])
        new: list[EnvRow] = []
        updated: list[int] = []
        for row in {r.name: r for r in changed}.values():
            i = self.find(row.name)
            if i < 0:
                new.append(row)
            else:
                self._rows[i] = row
                updated.append(i)
        for first, last in _runs(sorted(updated)):
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(self.HEADERS) - 1))
        self._insert(sorted(new, key=lambda r: r.sort_key))

    def _remove(self, rows: list[int]) -> None:
        for first, last in reversed(_runs(sorted(rows))):
            self.beginRemoveRows(QModelIndex(), first, last)
            del self._rows[first:last + 1]
            del self._keys[first:last + 1]
            self.endRemoveRows()

    def _insert(self, rows: list[EnvRow]) -> None:
        """Insert sorted new rows as runs: rows that land between the same two old rows go in
        with one beginInsertRows, last run first so earlier positions stay valid."""
        runs: list[tuple[int, list[EnvRow]]] = []
        for row in rows:
            pos = bisect_left(self._keys, row.sort_key)
            if runs and runs[-1][0] == pos:
                runs[-1][1].append(row)
            else:
                runs.append((pos, [row]))
        for pos, run in reversed(runs):
            self.beginInsertRows(QModelIndex(), pos, pos + len(run) - 1)
            self._rows[pos:pos] = run
            self._keys[pos:pos] = [r.sort_key for r in run]
            self.endInsertRows()


def _runs(indices: list[int]) -> list[tuple[int, int]]:
    """Sorted indices as (first, last) runs of consecutive numbers."""
    runs: list[tuple[int, int]] = []
    for i in indices:
        if runs and runs[-1][1] == i - 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


class EnvironmentDiffError(ValueError):
    """R's answer to .wd.env_update() did not have the expected shape."""


def _column(value: object, n: int) -> list:
    """One column of R's parallel vectors (length-1 vectors arrive as scalars, NA as None)."""
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        column = value
    elif n == 1:
        column = [value]
    else:
        column = [] if value is None else [value]
    if len(column) != n:
        raise EnvironmentDiffError(f"a column has {len(column)} values for {n} names")
    return column


def _strings(value: object) -> list[str]:
    """A character vector that has no NA (names): NULL/character(0) arrive as None or []."""
    if isinstance(value, dict):
        value = list(value.values())
    if not isinstance(value, list):
        value = [] if value is None else [value]
    return [str(v) for v in value if v is not None]


def parse_update(value: object) -> tuple[bool, list[EnvRow], list[str], float | None]:
    """(reset, changed rows, removed names, R's own time in ms) from .wd.env_update()."""
    if not isinstance(value, dict) or not isinstance(value.get("changed"), dict):
        raise EnvironmentDiffError(f"expected list(reset, changed, removed), got {type(value).__name__}")
    rows = parse_rows(value["changed"])
    ms = value.get("ms")
    return value.get("reset") is True, rows, _strings(value.get("removed")), float(ms) if isinstance(ms, (int, float)) else None


def parse_rows(changed: object) -> list[EnvRow]:
    """Summary rows from R's parallel vectors (name, class, dims, size, preview, viewable)."""
    if not isinstance(changed, dict):
        raise EnvironmentDiffError(f"expected a list of columns, got {type(changed).__name__}")
    names = _strings(changed.get("name"))
    n = len(names)
    cls, dims, size, preview, viewable = (
        _column(changed.get(k), n) for k in ("class", "dims", "size", "preview", "viewable")
    )
    rows = [
        EnvRow(
            name=names[i],
            type=str(cls[i] or ""),
            dims=str(dims[i] or ""),
            size=float(size[i]) if isinstance(size[i], (int, float)) and not isinstance(size[i], bool) else None,
            preview=str(preview[i] or ""),
            viewable=viewable[i] is True,
        )
        for i in range(n)
    ]
    return rows


class EnvironmentService(QObject):
    """Keeps an EnvironmentModel in step with R's global environment.

    One ``.wd.env_update()`` eval per refresh, at most one in flight: a refresh asked for while
    one runs is done once, after it. Refreshes follow top-level commands once R has settled at
    its prompt (``RSession.sig_settled``: commands sent in quick succession get one refresh, and
    its eval never sits ahead of the next command in webR's queue); after an R (re)start, or
    when a refresh failed and R's snapshot may no longer match the model, the next one is full.
    """

    sig_refreshed = Signal()  # the model now shows R's environment as of the last refresh
    sig_problem = Signal(str)  # something the user should know (an R error, a bad answer)

    def __init__(self, session: RSession, model: EnvironmentModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self.model = model
        self._in_flight = False
        self._started = 0.0  # when the request in flight was sent (for last_refresh_ms)
        self._what = ""  # what the last remove/clear did, for its error message
        self._queued = False  # a refresh was asked for while one ran
        self._need_full = True  # R's snapshot and the model may differ: start over
        self._due = False  # a command ran since the last refresh; refresh when R settles
        self._shown = True  # a view shows the model; while none does, refreshes wait
        self.last_refresh_ms: float | None = None  # request sent -> model updated, measured here
        self.last_r_ms: float | None = None  # the time .wd.env_update took inside R
        self.last_changed_count = 0  # rows R sent in the last refresh (new or changed)
        self.last_removed_count = 0
        self.last_reset = False  # the last refresh was a full one
        self._frame: str | None = None  # while R browses: the debugged frame shown, not globalenv
        session.sig_command_finished.connect(self._on_command_finished)
        session.sig_settled.connect(self._on_settled)
        session.sig_started.connect(self._on_session_started)
        if session.state is SessionState.IDLE:  # built for a session that already runs
            self.refresh()

    @property
    def busy(self) -> bool:
        """The model may be behind R: a refresh is due, in flight or waiting for one to finish."""
        return self._due or self._in_flight or self._queued

    # ------------------------------------------------------------------ requests
    def refresh(self, full: bool = False) -> None:
        """Bring the model up to date (coalesced: at most one request in flight)."""
        if full:
            self._need_full = True
        self._due = False  # handled: now, or (a debugged frame is shown) by show_global()
        if self._frame is not None:  # a debugged frame is shown: globalenv waits till the end
            self._need_full = True
            return
        if self._in_flight:
            self._queued = True
            return
        self._queued = False
        self._in_flight = True
        full = self._need_full
        self._need_full = False
        self._started = time.perf_counter()
        request = self._session.eval(f".wd.env_update(full = {'TRUE' if full else 'FALSE'})")
        # Bound methods, not lambdas: Qt drops them if this service is deleted first (a window
        # closed while R still answers), where a lambda would call into a deleted object.
        request.sig_finished.connect(self._on_update_finished)
        request.sig_failed.connect(self._on_update_failed)

    @property
    def frame(self) -> str | None:
        """The debugged frame the model shows (its key), or None for the global environment."""
        return self._frame

    def show_frame(self, key: str, rows: list[EnvRow]) -> None:
        """While R browses, the model shows a frame's variables (the debugger reads them):
        a new frame replaces the rows, the same frame after a step changes only what changed."""
        if key != self._frame:
            self._frame = key
            self.model.set_rows(rows)
        else:
            new = {r.name: r for r in rows}
            gone = [n for n in self.model.names() if n not in new]
            self.model.apply([r for r in rows if self.model.get(r.name) != r], gone)
        self.sig_refreshed.emit()

    def show_global(self) -> None:
        """Debugging ended: back to the global environment (a full refresh: R's snapshot of
        it and the model parted ways while frames were shown)."""
        if self._frame is None:
            return
        self._frame = None
        self.refresh(full=True)

    def remove(self, names: Iterable[str]) -> None:
        """Remove objects from R's global environment, then refresh."""
        names = list(dict.fromkeys(names))
        if names:
            self._run(f".wd.env_remove(c({', '.join(r_string(n) for n in names)}))", "remove objects")

    def clear(self) -> None:
        """Remove every visible object of R's global environment, then refresh."""
        self._run(".wd.env_clear()", "clear the environment")

    def _run(self, code: str, what: str) -> None:
        if self._frame is not None:  # the rows are a debugged frame's, not globalenv's
            self.sig_problem.emit(f"Could not {what}: the pane shows a debugged function's variables.")
            return
        request = self._session.eval(code)
        self._what = what
        request.sig_finished.connect(self._on_run_finished)
        request.sig_failed.connect(self._on_run_failed)

    # ------------------------------------------------------------------ replies
    def _on_update_finished(self, value: object) -> None:
        started = self._started
        self._in_flight = False
        if self._frame is not None:  # debugging began while this refresh ran: not shown
            self._need_full = True
            return
        try:
            reset, rows, removed, r_ms = parse_update(value)
        except EnvironmentDiffError as exc:
            log.warning("environment refresh: %s", exc)
            self._need_full = True
            self.sig_problem.emit(f"The environment could not be refreshed: {exc}")
        else:
            if reset:
                self.model.set_rows(rows)
            else:
                self.model.apply(rows, removed)
            self.last_refresh_ms = (time.perf_counter() - started) * 1000
            self.last_r_ms = r_ms
            self.last_changed_count = len(rows)
            self.last_removed_count = len(removed)
            self.last_reset = reset
            self.sig_refreshed.emit()
        if self._queued:
            self.refresh()

    def _on_run_finished(self, _value: object) -> None:
        self.refresh()

    def _on_run_failed(self, error: str) -> None:
        self._report_failure(f"Could not {self._what}: {error}")
        self.refresh()

    def _on_update_failed(self, error: str) -> None:
        self._in_flight = False
        self._need_full = True  # R may have moved its snapshot on without the model
        self._report_failure(f"The environment could not be refreshed: {error}")
        if self._queued:
            self.refresh()

    def _report_failure(self, message: str) -> None:
        """Tell the user about R errors, not about requests a restart or shutdown dropped.

        The session fails pending requests before it says why (restart, crash, quit), so the
        state is read once that has happened.
        """
        def report() -> None:
            if self._session.state in (SessionState.IDLE, SessionState.BUSY):
                self.sig_problem.emit(message)

        QTimer.singleShot(0, self, report)

    # ------------------------------------------------------------------ session
    def _on_command_finished(self) -> None:
        self._due = True

    def _on_settled(self) -> None:
        if self._due and self._shown:
            self.refresh()

    def set_shown(self, shown: bool) -> None:
        """Whether anyone sees the model (the pane's tab is in front). While no one does,
        commands leave a refresh due instead of asking R; showing it again catches up."""
        self._shown = shown
        if shown and self._due and self._session.state is SessionState.IDLE:
            self.refresh()

    def _on_session_started(self, _ready: object) -> None:
        """A new R: its environment is empty (or restored by R itself); show exactly that."""
        self._frame = None
        self.model.clear()
        self.refresh(full=True)

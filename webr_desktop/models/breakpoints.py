"""Editor breakpoints: the lines of one document that follow edits, their saved copy, their status.

``LineMarks`` keeps each breakpoint as a QTextCursor at its line's start: Qt moves cursors with
every edit, so a breakpoint follows its code when lines are inserted or deleted above it, and
Enter at the start of its line carries it down with the code (a cursor at an insertion point
moves after the inserted text). A breakpoint whose whole line is deleted goes with it.

``BreakpointStore`` keeps each file's lines in the app's QSettings (one JSON value), so they
survive closing the tab and restarting the app. ``LineStatus`` is R's answer for one line
(resources/R/breakpoints.R): placed, pending (the file was not sourced yet) or invalid (why).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtGui import QTextCursor, QTextDocument

SETTINGS_KEY = "editor/breakpoints"


@dataclass(frozen=True)
class LineStatus:
    """What R made of a breakpoint line."""

    line: int
    state: str  # "placed" | "pending" | "invalid"
    at: int  # the line R stops at (a statement's first line)
    fun: str = ""
    reason: str = ""

    @classmethod
    def from_r(cls, value: object) -> LineStatus | None:
        """A status from R's JSON, or None if it is not one (R's answers are checked, not trusted)."""
        if not isinstance(value, dict):
            return None
        line, at, state = value.get("line"), value.get("at", value.get("line")), value.get("state")
        fun, reason = value.get("fun", ""), value.get("reason", "")
        if not all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in (line, at)):
            return None
        if state not in ("placed", "pending", "invalid") or not isinstance(fun, str) or not isinstance(reason, str):
            return None
        return cls(line, state, at, fun[:200], reason[:500])

    @property
    def placed(self) -> bool:
        return self.state == "placed"

    def tooltip(self) -> str:
        if self.state == "placed":
            where = f" in {self.fun}()" if self.fun else ""
            if self.reason:
                return f"Breakpoint: {self.reason}"
            if self.at != self.line:
                return f"Breakpoint{where}: R stops at line {self.at}, where this statement starts"
            return f"Breakpoint{where}: R stops here"
        if self.state == "pending":
            return f"Breakpoint, {self.reason}" if self.reason else "Breakpoint, not active yet"
        return f"Breakpoint not placed: {self.reason}"


class LineMarks(QObject):
    """Breakpoint lines (1-based) of one QTextDocument, moved by Qt as the text is edited."""

    sig_lines_changed = Signal(list)  # the sorted lines, after a toggle or set_lines
    sig_lines_moved = Signal(list)  # the sorted lines, after an edit moved or removed some

    def __init__(self, document: QTextDocument, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._doc = document
        self._marks: list[tuple[QTextCursor, int, int]] = []  # cursor, block start and length before the edit
        self._lines: list[int] = []
        document.contentsChange.connect(self._on_contents_change)

    def lines(self) -> list[int]:
        return list(self._lines)

    def has(self, line: int) -> bool:
        return line in self._lines

    def toggle(self, line: int) -> None:
        """Add or remove the breakpoint on ``line`` (1-based); ignored past the last line."""
        if line in self._lines:
            self._marks = [m for m in self._marks if m[0].blockNumber() + 1 != line]
        else:
            block = self._doc.findBlockByNumber(line - 1)
            if not block.isValid():
                return
            self._marks.append(self._mark_at(block.position()))
        self._refresh(emit_always=True)

    def set_lines(self, lines: list[int]) -> None:
        """Replace every breakpoint (a saved set; lines past the end are dropped)."""
        self._marks = []
        for line in sorted(set(lines)):
            block = self._doc.findBlockByNumber(line - 1)
            if block.isValid() and line >= 1:
                self._marks.append(self._mark_at(block.position()))
        self._refresh(emit_always=True)

    def _mark_at(self, position: int) -> tuple[QTextCursor, int, int]:
        cursor = QTextCursor(self._doc)
        cursor.setPosition(position)
        return cursor, position, cursor.block().length()

    def _on_contents_change(self, position: int, removed: int, _added: int) -> None:
        if not self._marks:
            return
        kept = []
        for cursor, start, length in self._marks:
            if removed and position <= start and start + length <= position + removed:
                continue  # its whole line (with the line end) was deleted
            kept.append(cursor)
        self._marks = []
        for cursor in kept:
            cursor.movePosition(QTextCursor.MoveOperation.StartOfBlock)
            self._marks.append((cursor, cursor.position(), cursor.block().length()))
        self._refresh(moved=True)

    def _refresh(self, emit_always: bool = False, moved: bool = False) -> None:
        seen: dict[int, tuple[QTextCursor, int, int]] = {}
        for mark in self._marks:
            seen.setdefault(mark[0].blockNumber() + 1, mark)  # two marks on one line: one
        self._marks = [seen[n] for n in sorted(seen)]
        lines = sorted(seen)
        if lines != self._lines or emit_always:
            self._lines = lines
            (self.sig_lines_moved if moved else self.sig_lines_changed).emit(list(lines))


class BreakpointStore:
    """Each file's breakpoint lines in QSettings, so they outlive the tab and the app."""

    def __init__(self, settings: QSettings) -> None:
        self._settings = settings

    def _all(self) -> dict[str, list[int]]:
        raw = self._settings.value(SETTINGS_KEY, "{}")
        try:
            data = json.loads(raw if isinstance(raw, str) else "{}")
        except ValueError:
            return {}
        if not isinstance(data, dict):
            return {}
        return {k: [int(n) for n in v if isinstance(n, int) and n > 0]
                for k, v in data.items() if isinstance(k, str) and isinstance(v, list)}

    def lines(self, path: Path) -> list[int]:
        return self._all().get(str(path), [])

    def set_lines(self, path: Path, lines: list[int]) -> None:
        data = self._all()
        if lines:
            data[str(path)] = sorted(set(lines))
        else:
            data.pop(str(path), None)
        self._settings.setValue(SETTINGS_KEY, json.dumps(data))

    def move(self, old: Path, new: Path) -> None:
        """A file was renamed or saved under a new name: its breakpoints go with it."""
        lines = self.lines(old)
        if lines:
            self.set_lines(old, [])
            self.set_lines(new, lines)

"""RHighlighter: R syntax colours, one line at a time, from Pygments' R rules, never long in one go.

Like QSyntaxHighlighter it re-lexes the changed lines of each edit and goes on to the next line
only while a line's end state changes, so a keystroke re-lexes one line (two when its bracket
summary changed) unless it opens or closes a multi-line string. Each line's state is an
interned ``(lexer stack at its end, LineSummary)`` id, kept in a list in step with the lines:
the lexer resumes from the previous line's stack, and Ctrl+Enter (core/r_statements.
StatementIndex) reads every line's summary from it instead of re-tokenizing the buffer.

Why not QSyntaxHighlighter: lexing costs ~30-100 µs a line, so a 10,000-line file must be
coloured in parts, and QSyntaxHighlighter calls Python once for *every* line of a pasted or
loaded text (~5 µs each even for a line it skips), freezing the GUI before the first paint.
Here each pass has a time budget; the lines past it stay pending and are lexed in budgeted
chunks from a zero-delay timer, in document order (a line's colours depend on the lines above
it), so the visible top of a file is coloured before its first paint and the rest follows.
Colours go into each block's QTextLayout formats, as QSyntaxHighlighter does (not undoable,
not a modification), keeping any input-method preedit formats.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator

from pygments.token import Comment, Keyword, Name, Number, Operator, String, _TokenType
from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QColor, QFont, QTextBlock, QTextCharFormat, QTextDocument, QTextLayout

from webr_desktop.core.r_lexer import ROOT, in_string, lex
from webr_desktop.core.r_statements import LineSummary, summarize

BUDGET_S = 0.015  # lexing per pass (an edit, an idle chunk) before the rest waits for the timer
ENSURE_AHEAD = 500  # lines lexed at once when Ctrl+Enter needs lines that are still pending
# Lines every pass lexes whatever the clock says: a screenful, so the visible top of a file is
# coloured before its first paint even when a busy machine gives this process a fraction of a
# core and BUDGET_S of wall time holds only a few lines (tests saw < 60 with two CPU hogs).
MIN_LINES_PER_PASS = 120

# Close to RStudio's default ("Textmate") theme.
PALETTE: dict[str, tuple[str, bool, bool]] = {  # name -> (colour, bold, italic)
    "keyword": ("#0000ff", False, False),
    "constant": ("#585cf6", False, False),
    "string": ("#036a07", False, False),
    "number": ("#0000cd", False, False),
    "comment": ("#4c886b", False, True),
    "operator": ("#687687", False, False),
    "function": ("#8e44ad", False, False),  # a call: purple, apart from blue keywords and black names
}


def _format(colour: str, bold: bool, italic: bool) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(QColor(colour))
    if bold:
        fmt.setFontWeight(QFont.Weight.Bold)
    fmt.setFontItalic(italic)
    return fmt


def token_kind(ttype: _TokenType) -> str | None:
    """The PALETTE entry for a Pygments token type (None: default colour)."""
    if ttype in String:
        return "string"
    if ttype in Comment:
        return "comment"
    if ttype in Keyword.Constant or ttype in Name.Builtin:
        return "constant"
    if ttype in Keyword:
        return "keyword"
    if ttype in Number:
        return "number"
    if ttype in Operator:
        return "operator"
    if ttype in Name.Function:
        return "function"
    return None


class RHighlighter(QObject):
    """Colours an R document incrementally, in time-budgeted passes; keeps each line's summary."""

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        self._doc = document
        self._formats = {name: _format(*spec) for name, spec in PALETTE.items()}
        self._kinds: dict[_TokenType, QTextCharFormat | None] = {}
        self._states: list[tuple[tuple[str, ...], LineSummary]] = []  # state id -> (lexer stack, summary)
        self._ids: dict[tuple[tuple[str, ...], LineSummary], int] = {}
        # state id of each line (-1: never lexed); kept in step with the document's lines by
        # _on_document_contents_change, so Ctrl+Enter reads a Python list, not 10,000 QTextBlocks
        self._lines: list[int] = [-1] * document.blockCount()
        self.blocks_highlighted = 0  # for tests and measurements: lines lexed so far
        self._resume: int | None = None  # first line still to lex (None: all lines are current)
        self._force_end = -1  # lex at least through this line, changed state or not
        self._changed_from: int | None = None  # first line whose known summary changed (for Ctrl+Enter)
        self._idle = QTimer(self)
        self._idle.setSingleShot(True)
        self._idle.setInterval(0)
        self._idle.timeout.connect(self._on_idle_timeout)
        document.contentsChange.connect(self._on_document_contents_change)
        if not document.isEmpty():
            self._set_pending(0, len(self._lines) - 1)

    @property
    def pending(self) -> bool:
        """Whether some lines still wait to be lexed (the idle timer is on it)."""
        return self._resume is not None

    def is_highlighted(self, line: int) -> bool:
        """Whether line ``line`` (0-based) has its current colours."""
        return 0 <= line < len(self._lines) and (self._resume is None or line < self._resume)

    # ------------------------------------------------------------------ lexing
    def _format_of(self, ttype: _TokenType) -> QTextCharFormat | None:
        try:
            return self._kinds[ttype]
        except KeyError:
            kind = token_kind(ttype)
            fmt = self._kinds[ttype] = self._formats[kind] if kind else None
            return fmt

    def _lex_block(self, block: QTextBlock, prev_state: int) -> int:
        """Lex one line from the previous line's state, set its colours; its new state id."""
        self.blocks_highlighted += 1
        text = block.text()
        stack = self._states[prev_state][0] if prev_state >= 0 else ROOT
        tokens, end = lex(text + "\n", stack)
        size = len(text)
        ranges: list[QTextLayout.FormatRange] = []
        last_fmt, last_end = None, -1
        for pos, ttype, value in tokens:
            if pos >= size:
                break
            fmt = self._format_of(ttype)
            if fmt is None:
                continue
            length = min(len(value), size - pos)
            if fmt is last_fmt and pos == last_end:
                ranges[-1].length += length
            else:
                item = QTextLayout.FormatRange()
                item.start, item.length, item.format = pos, length, fmt
                ranges.append(item)
            last_fmt, last_end = fmt, pos + length
        layout = block.layout()
        if layout.preeditAreaText():  # keep the input method's formats, as QSyntaxHighlighter does
            start = layout.preeditAreaPosition()
            stop = start + len(layout.preeditAreaText())
            ranges += [r for r in layout.formats() if r.start >= start and r.start + r.length <= stop]
        layout.setFormats(ranges)
        key = (end, summarize(tokens, in_string(end)))
        state = self._ids.get(key)
        if state is None:
            state = self._ids[key] = len(self._states)
            self._states.append(key)
        return state

    def _lex_from(self, start: int, force_end: int, deadline: float, stop_after: int | None = None) -> None:
        """Lex from line ``start`` through ``force_end``, then on while states change; stop at
        ``deadline`` or after line ``stop_after`` and leave the rest pending."""
        block = self._doc.findBlockByNumber(start)
        if not block.isValid():
            return
        lines = self._lines
        prev = lines[start - 1] if start > 0 else -1
        n, changed = start, True
        first_pos = end_pos = block.position()
        while block.isValid():
            if n > force_end and not changed:
                break  # the lines below are as they were
            if self._resume is not None and n >= self._resume:  # reached the pending lines: take them on
                force_end = max(force_end, self._force_end)
                self._resume = None
            over_budget = n - start >= MIN_LINES_PER_PASS and time.perf_counter() > deadline
            if n > start and (over_budget or (stop_after is not None and n > stop_after)):
                self._set_pending(n, force_end)
                break
            old = lines[n]
            prev = lines[n] = self._lex_block(block, prev)
            changed = prev != old
            if changed and old >= 0:
                self._mark_changed(n)
            end_pos = block.position() + block.length()
            block = block.next()
            n += 1
        end_pos = min(end_pos, self._doc.characterCount())
        if end_pos > first_pos:  # relayout and repaint those lines
            self._doc.markContentsDirty(first_pos, end_pos - first_pos)

    def _set_pending(self, line: int, force_end: int) -> None:
        if self._resume is not None:  # an older pending region further down: one region covers both
            force_end = max(force_end, self._force_end)
        self._resume, self._force_end = line, force_end
        self._mark_changed(line)
        self._idle.start()

    def _mark_changed(self, line: int) -> None:
        self._changed_from = line if self._changed_from is None else min(self._changed_from, line)

    # ------------------------------------------------------------------ events
    def _on_document_contents_change(self, position: int, removed: int, added: int) -> None:
        """An edit: lex its lines now (within the budget), after moving the pending region."""
        doc = self._doc
        count = doc.blockCount()
        delta = count - len(self._lines)
        first = doc.findBlock(position)
        a = first.blockNumber() if first.isValid() else count - 1
        last = doc.findBlock(position + added + (1 if removed > 0 else 0))
        b = last.blockNumber() if last.isValid() else count - 1
        # lines a..b replace old lines a..b-delta; b keeps the old state of b-delta (the same text
        # end), so a pass stops after b when nothing changed there; the lines after moved by delta
        old_end = self._lines[b - delta] if 0 <= b - delta < len(self._lines) else -1
        self._lines[a: b - delta + 1] = [-1] * (b - a) + [old_end]
        if len(self._lines) != count:  # cannot happen; if it did, re-lex everything rather than be wrong
            self._lines = [-1] * count
            a, b = 0, count - 1
            self._mark_changed(0)
        if delta or b > a:
            self._mark_changed(a)  # several lines changed, or later lines moved
        if self._resume is not None:
            resume, force_end = self._resume, self._force_end
            if a < resume:
                resume, force_end = max(resume + delta, a), max(force_end + delta, b)
            else:
                force_end = max(force_end + delta if force_end >= a else force_end, b)
            self._resume, self._force_end = (resume, force_end) if resume < count else (None, -1)
            self._mark_changed(min(a, resume))
            if self._resume is not None and a >= resume:  # inside the pending lines: the timer gets there
                self._idle.start()
                return
        self._lex_from(a, b, time.perf_counter() + BUDGET_S)

    def _on_idle_timeout(self) -> None:
        if self._resume is not None:
            self._lex_from(self._resume, self._force_end, time.perf_counter() + BUDGET_S)

    # ------------------------------------------------------------------ for Ctrl+Enter
    def take_changed_from(self) -> int | None:
        """The first line whose summary changed (or where lines moved) since the last call."""
        found, self._changed_from = self._changed_from, None
        return found

    def summaries(self, first: int) -> Iterator[LineSummary]:
        """Each line's summary from line ``first`` to the end, lexing pending lines on demand."""
        states, lines = self._states, self._lines
        for n in range(first, len(lines)):
            if self._resume is not None and n >= self._resume:
                self._lex_from(self._resume, self._force_end, math.inf, n + ENSURE_AHEAD)
            if lines[n] < 0:  # never lexed and not pending: the empty line of a new document
                self._lex_from(n, n, math.inf, n + ENSURE_AHEAD)
            yield states[lines[n]][1]

"""CodeEditor: a plain-text R editor with a line-number gutter and RStudio's run keys.

Ctrl+Enter runs the selection, or the whole expression at the cursor (core/r_statements.py,
from the line summaries the highlighter keeps, so a big buffer is not re-tokenized per run),
and moves to the next line with code; Ctrl+Shift+Enter and Ctrl+Shift+S ask for the file to
be sourced (with and without echo): the tabs decide what "the file" is. Tab completes a name
(R's own completions, via CompletionPopup) when the cursor follows one, else it indents.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor, QFontDatabase, QKeyEvent, QMouseEvent, QPainter, QPaintEvent, QResizeEvent, QTextBlock, QTextCursor,
    QTextFormat,
)
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit, QWidget

from webr_desktop.core.r_statements import StatementIndex, is_code_line
from webr_desktop.ui.editor.completer import POPUP_KEYS, CompletionPopup, CompletionSource, follows_token
from webr_desktop.ui.editor.debug_marker import DebugArrow, debug_line_selection
from webr_desktop.ui.editor.highlighter import RHighlighter

INDENT = "  "  # RStudio's default: two spaces
_PAIRS = {"(": ")", "[": "]", "{": "}"}
_CLOSING = {v: k for k, v in _PAIRS.items()}
CURRENT_LINE = QColor("#eef3fb")
BRACKET_MATCH = QColor("#c8e0c8")
MARKER_WIDTH = 16  # the gutter's left column: breakpoint dots (and the debugger's arrow)
# Draws one line's markers: (painter, block, the line's rectangle in the marker column).
GutterPainter = Callable[[QPainter, QTextBlock, QRect], None]


class _Gutter(QWidget):
    """Paints line numbers for its editor (Qt's code-editor example, trimmed)."""

    def __init__(self, editor: CodeEditor) -> None:
        super().__init__(editor)
        self._editor = editor

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(self._editor.gutter_width(), 0)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        self._editor.paint_gutter(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            block = self._editor.block_at_y(event.position().toPoint().y())
            if block.isValid():
                self._editor.sig_toggle_breakpoint_requested.emit(block.blockNumber() + 1)
                return
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        event.accept()  # the press toggled; the release ends the click here


class CodeEditor(QPlainTextEdit):
    """One R buffer: highlighting, gutter, brackets, indentation, run and complete keys."""

    sig_run_code = Signal(str)  # code to run in the console (Ctrl+Enter)
    sig_source_requested = Signal(bool)  # source the file: True = with echo
    sig_toggle_breakpoint_requested = Signal(int)  # 1-based line: a gutter click or F9

    def __init__(self, completions: CompletionSource | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setTabChangesFocus(False)
        self.setTabStopDistance(self.fontMetrics().horizontalAdvance(" ") * 2)
        self.highlighter = RHighlighter(self.document())
        self._statements = StatementIndex(self.highlighter.summaries)
        self.completion = CompletionPopup(self, completions)
        self._gutter = _Gutter(self)
        self.gutter_painters: list[GutterPainter] = []  # breakpoints, the debugger's arrow
        self._debug_arrow = DebugArrow()  # where R's debugger stands
        self.gutter_painters.append(self._debug_arrow)
        self.blockCountChanged.connect(self._update_gutter_width)
        self.updateRequest.connect(self._on_update_request)
        self.cursorPositionChanged.connect(self._update_extra_selections)
        self._update_gutter_width()
        self._update_extra_selections()

    def set_completions(self, completions: CompletionSource | None) -> None:
        self.completion.set_source(completions)

    @property
    def debug_line(self) -> int | None:
        """The line (0-based) R's debugger stopped at in this buffer, or None."""
        return self._debug_arrow.line

    def set_debug_line(self, line: int | None) -> None:
        """Mark (arrow + background) the line R's debugger stands at; None clears it."""
        self._debug_arrow.line = line
        self.gutter_painters.remove(self._debug_arrow)  # drawn last: over a breakpoint's dot
        self.gutter_painters.append(self._debug_arrow)
        self._update_extra_selections()  # updates the gutter too

    # ------------------------------------------------------------------ gutter
    @property
    def gutter(self) -> QWidget:
        return self._gutter

    def gutter_width(self) -> int:
        digits = max(3, len(str(self.blockCount())))
        return MARKER_WIDTH + 12 + self.fontMetrics().horizontalAdvance("9") * digits

    def block_at_y(self, y: int) -> QTextBlock:
        """The block at gutter/viewport height ``y`` (invalid below the last line)."""
        block = self.firstVisibleBlock()
        top = self.blockBoundingGeometry(block).translated(self.contentOffset()).top()
        while block.isValid():
            bottom = top + self.blockBoundingRect(block).height()
            if block.isVisible() and top <= y < bottom:
                return block
            block, top = block.next(), bottom
        return QTextBlock()

    def _update_gutter_width(self, _count: int = 0) -> None:
        self.setViewportMargins(self.gutter_width(), 0, 0, 0)

    def _on_update_request(self, rect: QRect, dy: int) -> None:
        if dy:
            self._gutter.scroll(0, dy)
        else:
            self._gutter.update(0, rect.y(), self._gutter.width(), rect.height())
        if rect.contains(self.viewport().rect()):
            self._update_gutter_width()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        cr = self.contentsRect()
        self._gutter.setGeometry(QRect(cr.left(), cr.top(), self.gutter_width(), cr.height()))

    def paint_gutter(self, event: QPaintEvent) -> None:
        painter = QPainter(self._gutter)
        painter.fillRect(event.rect(), QColor("#f4f4f4"))
        block = self.firstVisibleBlock()
        top = round(self.blockBoundingGeometry(block).translated(self.contentOffset()).top())
        current = self.textCursor().blockNumber()
        height = self.fontMetrics().height()
        while block.isValid() and top <= event.rect().bottom():
            bottom = top + round(self.blockBoundingRect(block).height())
            if block.isVisible() and bottom >= event.rect().top():
                painter.setPen(QColor("#333333") if block.blockNumber() == current else QColor("#9a9a9a"))
                painter.drawText(0, top, self._gutter.width() - 6, height, Qt.AlignmentFlag.AlignRight,
                                 str(block.blockNumber() + 1))
                for paint in self.gutter_painters:
                    paint(painter, block, QRect(0, top, MARKER_WIDTH, height))
            block = block.next()
            top = bottom
        painter.end()

    # ------------------------------------------------------------------ current line, brackets
    def _update_extra_selections(self) -> None:
        selections = []
        line = QTextEdit.ExtraSelection()
        line.format.setBackground(CURRENT_LINE)
        line.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
        line.cursor = self.textCursor()
        line.cursor.clearSelection()
        selections.append(line)
        if self._debug_arrow.line is not None:
            selections.append(debug_line_selection(self.document(), self._debug_arrow.line))
        for pos in self._matching_brackets():
            sel = QTextEdit.ExtraSelection()
            sel.format.setBackground(BRACKET_MATCH)
            sel.cursor = QTextCursor(self.document())
            sel.cursor.setPosition(pos)
            sel.cursor.setPosition(pos + 1, QTextCursor.MoveMode.KeepAnchor)
            selections.append(sel)
        self.setExtraSelections(selections)
        self._gutter.update()

    def _matching_brackets(self, limit: int = 20_000) -> list[int]:
        """Positions of the bracket at/before the cursor and its partner (plain scan, bounded)."""
        doc = self.document()
        pos = self.textCursor().position()
        for at in (pos - 1, pos):
            ch = doc.characterAt(at) if at >= 0 else ""
            if ch in _PAIRS or ch in _CLOSING:
                break
        else:
            return []
        forward = ch in _PAIRS
        partner = _PAIRS.get(ch) or _CLOSING[ch]
        depth, i, step = 0, at, (1 if forward else -1)
        end = doc.characterCount()
        for _ in range(limit):
            c = doc.characterAt(i)
            if c == ch:
                depth += 1
            elif c == partner:
                depth -= 1
                if depth == 0:
                    return [at, i]
            i += step
            if i < 0 or i >= end:
                break
        return [at]

    # ------------------------------------------------------------------ keys
    def event(self, event: QEvent) -> bool:  # noqa: A003
        """F9 typed here toggles this editor's line: claimed before the window's Debug ▸
        Toggle Breakpoint shortcut, which acts on whichever tab is current."""
        if (event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent)
                and event.key() == Qt.Key.Key_F9
                and not event.modifiers() & Qt.KeyboardModifier.ControlModifier):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key, mods = event.key(), event.modifiers()
        ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
        shift = bool(mods & Qt.KeyboardModifier.ShiftModifier)
        if self.completion.is_visible() and key in POPUP_KEYS:
            event.ignore()  # the completer's popup takes these
            return
        if key == Qt.Key.Key_F9 and not ctrl:  # F9, and RStudio's Shift+F9
            self.sig_toggle_breakpoint_requested.emit(self.textCursor().blockNumber() + 1)
            return
        if ctrl and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if shift:
                self.sig_source_requested.emit(True)
            else:
                self.run_current()
        elif ctrl and shift and key == Qt.Key.Key_S:
            self.sig_source_requested.emit(False)
        elif ctrl and shift and key == Qt.Key.Key_C:
            self.toggle_comment()
        elif ctrl and key == Qt.Key.Key_Space:
            self.completion.request()
        elif key == Qt.Key.Key_Tab and not ctrl:
            if follows_token(self):
                self.completion.request()
            else:
                self.indent_selection()
        elif key == Qt.Key.Key_Backtab:
            self.unindent_selection()
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not ctrl:
            self._newline_with_indent()
        elif event.text() == "}" and not self.textCursor().hasSelection():
            self._type_closing_brace()
        else:
            super().keyPressEvent(event)
            self.completion.after_key(event)

    def _newline_with_indent(self) -> None:
        """Enter keeps the line's indentation, one level more after an open ``{``/``(``/``[``."""
        cursor = self.textCursor()
        before = cursor.block().text()[: cursor.positionInBlock()]
        indent = before[: len(before) - len(before.lstrip())]
        if before.rstrip().endswith(tuple(_PAIRS)):
            indent += INDENT
        cursor.insertText("\n" + indent)
        self.setTextCursor(cursor)

    def _type_closing_brace(self) -> None:
        """A ``}`` typed on a line of only blanks moves back one indentation level."""
        cursor = self.textCursor()
        before = cursor.block().text()[: cursor.positionInBlock()]
        if before and not before.strip() and before.endswith(INDENT):
            cursor.movePosition(QTextCursor.MoveOperation.Left, QTextCursor.MoveMode.KeepAnchor, len(INDENT))
        cursor.insertText("}")
        self.setTextCursor(cursor)

    # ------------------------------------------------------------------ line operations
    def _selected_blocks(self) -> tuple[int, int]:
        cursor = self.textCursor()
        doc = self.document()
        first = doc.findBlock(cursor.selectionStart()).blockNumber()
        last_block = doc.findBlock(cursor.selectionEnd())
        last = last_block.blockNumber()
        if cursor.hasSelection() and last > first and cursor.selectionEnd() == last_block.position():
            last -= 1  # a selection ending at a line's start does not include that line
        return first, last

    def _edit_lines(self, change) -> None:
        """Apply ``change(text) -> text`` to each selected line as one undo step, keeping the selection."""
        first, last = self._selected_blocks()
        doc = self.document()
        cursor = self.textCursor()
        had_selection = cursor.hasSelection()
        cursor.beginEditBlock()
        for n in range(first, last + 1):
            block = doc.findBlockByNumber(n)
            new = change(block.text())
            if new != block.text():
                c = QTextCursor(block)
                c.movePosition(QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor)
                c.insertText(new)
        cursor.endEditBlock()
        if had_selection:
            start = doc.findBlockByNumber(first).position()
            end_block = doc.findBlockByNumber(last)
            cursor.setPosition(start)
            cursor.setPosition(end_block.position() + end_block.length() - 1, QTextCursor.MoveMode.KeepAnchor)
            self.setTextCursor(cursor)

    def indent_selection(self) -> None:
        """Tab: with a selection indents its lines; without, inserts spaces to the next stop."""
        cursor = self.textCursor()
        if not cursor.hasSelection():
            col = cursor.positionInBlock()
            cursor.insertText(" " * (len(INDENT) - col % len(INDENT)))
            return
        self._edit_lines(lambda t: INDENT + t if t.strip() else t)

    def unindent_selection(self) -> None:
        def dedent(t: str) -> str:
            n = min(len(INDENT), len(t) - len(t.lstrip(" ")))
            return t[n:]
        self._edit_lines(dedent)

    def toggle_comment(self) -> None:
        """Ctrl+Shift+C: comment the lines with ``# `` (at the least indentation), or uncomment."""
        first, last = self._selected_blocks()
        doc = self.document()
        lines = [doc.findBlockByNumber(n).text() for n in range(first, last + 1)]
        code = [t for t in lines if t.strip()] or lines
        if all(t.lstrip().startswith("#") for t in code):
            def change(t: str) -> str:
                body = t.lstrip()
                if not body.startswith("#"):
                    return t
                rest = body[2:] if body.startswith("# ") else body[1:]
                return t[: len(t) - len(body)] + rest
        else:
            col = min(len(t) - len(t.lstrip()) for t in code)

            def change(t: str) -> str:
                return t[:col] + "# " + t[col:] if t.strip() or len(code) == len(lines) == 1 else t
        self._edit_lines(change)

    # ------------------------------------------------------------------ running code
    def expression_at(self, line: int) -> tuple[int, int] | None:
        """First and last line of the expression Ctrl+Enter runs from ``line`` (None: a blank line)."""
        changed = self.highlighter.take_changed_from()
        if changed is not None:
            self._statements.invalidate_from(changed)
        return self._statements.expression_range(line)

    def run_current(self) -> None:
        """Emit the selection, or the expression at the cursor, then move to the next code line."""
        cursor = self.textCursor()
        if cursor.hasSelection():
            text = cursor.selectedText().replace("\u2029", "\n")
            if text.strip():
                self.sig_run_code.emit(text)
            return
        doc = self.document()
        line = cursor.blockNumber()
        found = self.expression_at(line)
        last = line
        if found is not None:
            first, last = found
            block = doc.findBlockByNumber(first)
            lines = []
            for _ in range(last - first + 1):
                lines.append(block.text())
                block = block.next()
            self.sig_run_code.emit("\n".join(lines))
        target = doc.findBlockByNumber(last).next()
        while target.isValid() and not is_code_line(target.text()):
            target = target.next()
        moved = QTextCursor(doc)
        if target.isValid():
            moved.setPosition(target.position())
        else:
            moved.movePosition(QTextCursor.MoveOperation.End)
        self.setTextCursor(moved)
        self.ensureCursorVisible()

"""RHighlighter: R syntax colours, one line at a time, from Pygments' R rules.

QSyntaxHighlighter calls ``highlightBlock`` per changed line and goes on to the next line only
while a line's end state changes, so a keystroke re-lexes one line unless it opens or closes a
multi-line string. The end state (the lexer's stack, e.g. inside a '…' string) is interned
as the block's integer state.
"""

from __future__ import annotations

from pygments.token import Comment, Keyword, Name, Number, Operator, String, _TokenType
from PySide6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat, QTextDocument

from webr_desktop.core.r_lexer import ROOT, lex

# Close to RStudio's default ("Textmate") theme.
PALETTE: dict[str, tuple[str, bool, bool]] = {  # name -> (colour, bold, italic)
    "keyword": ("#0000ff", False, False),
    "constant": ("#585cf6", False, False),
    "string": ("#036a07", False, False),
    "number": ("#0000cd", False, False),
    "comment": ("#4c886b", False, True),
    "operator": ("#687687", False, False),
    "function": ("#00006e", False, False),
}


def _format(colour: str, bold: bool, italic: bool) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(QColor(colour))
    if bold:
        fmt.setFontWeight(QFont.Weight.Bold)
    fmt.setFontItalic(italic)
    return fmt


class RHighlighter(QSyntaxHighlighter):
    """Colours an R document incrementally (block state = interned lexer stack)."""

    def __init__(self, document: QTextDocument) -> None:
        self._formats = {name: _format(*spec) for name, spec in PALETTE.items()}
        self._states: list[tuple[str, ...]] = [ROOT]  # state id -> lexer stack
        self._ids: dict[tuple[str, ...], int] = {ROOT: 0}
        self.blocks_highlighted = 0  # for tests and measurements: lines lexed so far
        super().__init__(document)

    def _state_id(self, stack: tuple[str, ...]) -> int:
        found = self._ids.get(stack)
        if found is None:
            found = self._ids[stack] = len(self._states)
            self._states.append(stack)
        return found

    def _kind(self, ttype: _TokenType) -> str | None:
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

    def highlightBlock(self, text: str) -> None:  # noqa: N802
        self.blocks_highlighted += 1
        prev = self.previousBlockState()
        stack = self._states[prev] if 0 <= prev < len(self._states) else ROOT
        tokens, end = lex(text + "\n", stack)
        for pos, ttype, value in tokens:
            if pos >= len(text):
                break
            kind = self._kind(ttype)
            if kind is not None:
                self.setFormat(pos, min(len(value), len(text) - pos), self._formats[kind])
        self.setCurrentBlockState(self._state_id(end))

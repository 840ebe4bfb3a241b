"""Which lines form the R expression at the cursor: what Ctrl+Enter runs (RStudio's rules).

A line inside ``f <- function(x) {`` … ``}``, or inside a call spread over lines, runs the
whole top-level expression. A line ending in an operator (``%>%``, ``|>``, ``+``, ``<-``, ``,``)
or in ``if (…)``/``for (…)``/``function(…)``/``else`` goes on with the next code line. Brackets
and quotes inside strings and comments don't count: lines are tokenized with Pygments' R rules
(core/r_lexer.py). After a run the cursor moves to the next line that has code.

Each line is reduced to a ``LineSummary`` that depends only on its text and the lexer state it
starts in (what the highlighter already computes per line), and summaries are folded from the
top into ``LineInfo`` (bracket depth, inside a string, complete). ``StatementIndex`` keeps that
fold and redoes it only from the first changed line, so Ctrl+Enter in a 10,000-line buffer does
not re-tokenize the buffer after every edit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from typing import NamedTuple

from pygments.token import Comment, Keyword, Operator, Punctuation, String, Text, _TokenType

from webr_desktop.core.r_lexer import ROOT, in_string, lex

_OPEN = {"(", "[", "[[", "{"}
_CLOSE = {")", "]", "]]", "}"}
_HEADERS = {"if", "for", "while", "function", "\\"}  # keywords whose (…) wants a body after it
_OPEN_ENDED = {"else", "repeat", "function", "in"}

# What the last code token of a line leaves pending (LineSummary.last).
ENDS = ""  # nothing: the line may end a statement
OP = "op"  # an operator, "," or an open bracket: goes on
HEADER = "header"  # the ")" of if/for/while/function(…): a body follows
OPEN = "open"  # else/repeat/function/in: goes on
CLOSE_OUTER = "close-outer"  # a bracket opened on an earlier line: HEADER if that one was a header's
CLOSE_FIRST = "close-first"  # the line's first "(" (a header's if the line before ended in `if` etc.)


class LineSummary(NamedTuple):
    """One line's effect on the statement finder, from its tokens alone (hashable, small)."""

    code: bool  # has a token that is neither whitespace nor a comment
    blank: bool  # only whitespace
    ends_in_string: bool  # the line break is inside a string literal
    pops: int = 0  # closing brackets that close brackets of earlier lines
    pushes: tuple[bool | None, ...] = ()  # brackets left open: a header's "("? (None: ask the line before)
    last: str = ENDS
    header_word: bool = False  # the last code token is if/for/while/function/\ (for a "(" on the next line)


class LineInfo(NamedTuple):
    """What the statement finder needs to know about one line, given the lines before it."""

    code: bool
    blank: bool
    start_depth: int  # bracket depth at the line's start
    start_in_string: bool
    complete: bool  # at its end: depth 0, not in a string, no trailing operator


_CATEGORIES: dict[_TokenType, str] = {}


def _category(ttype: _TokenType) -> str:
    """comment/string/text/punct/op/keyword/other; cached (Pygments' ``in`` on token types is slow)."""
    found = _CATEGORIES.get(ttype)
    if found is None:
        kinds = (("comment", Comment), ("string", String), ("text", Text), ("punct", Punctuation),
                 ("op", Operator), ("keyword", Keyword))
        found = next((name for name, kind in kinds if ttype in kind), "other")
        _CATEGORIES[ttype] = found
    return found


def summarize(tokens: Iterable[tuple[int, _TokenType, str]], ends_in_string: bool) -> LineSummary:
    """Reduce one line's tokens (from ``r_lexer.lex``, line break included or not) to a LineSummary."""
    code, blank_only = False, True
    pops = 0
    pushes: list[bool | None] = []
    last = ENDS
    word: str | None = None  # previous code token; None: none yet on this line
    for _pos, ttype, value in tokens:
        piece = value.rstrip("\n")
        if not piece:
            continue
        cat = _category(ttype)
        if not piece.isspace():
            blank_only = False
        elif cat == "text":
            continue
        if cat == "comment":
            continue
        code = True
        if cat == "string":
            last, word = ENDS, ""
            continue
        if cat == "punct" and piece in _OPEN:
            pushes.append(None if word is None and piece == "(" else (piece == "(" and word in _HEADERS))
            last = OP
        elif cat == "punct" and piece in _CLOSE:
            if pushes:
                flag = pushes.pop()
                last = CLOSE_FIRST if flag is None else (HEADER if flag else ENDS)
            else:
                pops += 1
                last = CLOSE_OUTER
        elif cat == "punct" and piece == ",":
            last = OP
        elif cat == "punct" and piece == ";":
            last = ENDS
        elif cat == "op" or (cat == "text" and piece == "\\"):
            last = OP
        elif cat == "keyword" and piece in _OPEN_ENDED:
            last = OPEN
        else:
            last = ENDS
        word = piece
    return LineSummary(code, blank_only, ends_in_string, pops, tuple(pushes), last, word in _HEADERS)


def summarize_line(line: str, stack: tuple[str, ...] = ROOT) -> tuple[LineSummary, tuple[str, ...]]:
    """Lex one line (no ``\\n``) from lexer ``stack``: its summary and the stack at its end."""
    tokens, end = lex(line + "\n", stack)
    return summarize(tokens, in_string(end)), end


@lru_cache(maxsize=4)
def summarize_text(text: str) -> tuple[LineSummary, ...]:
    """One summary per line of ``text`` (lines split on ``\\n``). Cached; for the text-only API."""
    out = []
    stack = ROOT
    for line in text.split("\n"):
        summary, stack = summarize_line(line, stack)
        out.append(summary)
    return tuple(out)


_CHECK = 64  # the fold state is kept every _CHECK lines, to restart from after an edit


class StatementIndex:
    """Expression ranges over per-line summaries, folded from the top once and kept until a line changes.

    ``summaries(k)`` yields the summaries of lines k, k+1, … to the last line (the editor reads
    them from its highlighter's per-line states). Call ``invalidate_from(k)`` when line k's summary
    changed or lines were inserted/removed at k. The fold is a tight loop (~1-2 µs a line): it
    runs once per edit and only from the edited line down to the line asked for.
    """

    def __init__(self, summaries: Callable[[int], Iterator[LineSummary]]) -> None:
        self._summaries = summaries
        self._rows: list[tuple] = []  # LineInfo fields per line
        # fold state at the start of line k * _CHECK: (bracket stack as (flag, rest) pairs or None,
        # depth, last, header word, in string, complete)
        self._checks: list[tuple] = []
        self._fold: tuple = (None, 0, ENDS, False, False, True)
        self._at_end = False

    @property
    def folded_lines(self) -> int:
        """How many lines the fold currently covers (for tests and measurements)."""
        return len(self._rows)

    def invalidate_from(self, line: int) -> None:
        """Forget the fold from ``line`` on (the lines before it are unchanged)."""
        self._at_end = False
        if line >= len(self._rows):
            return
        check = max(0, line) // _CHECK
        self._fold = self._checks[check]
        del self._rows[check * _CHECK:], self._checks[check:]

    def _extend(self, upto: int) -> None:
        """Fold lines until line ``upto`` is known (or the text ends)."""
        rows = self._rows
        if upto < len(rows) or self._at_end:
            return
        checks = self._checks
        stack, depth, last, header_word, in_str, complete = self._fold
        k = len(rows)
        for s in self._summaries(k):
            if not k % _CHECK:
                checks.append((stack, depth, last, header_word, in_str, complete))
            code, blank, ends_in_string, pops, pushes, s_last, s_header_word = s
            start_depth = depth
            if code:
                popped = False
                for _ in range(pops):
                    if stack is None:
                        popped = False
                    else:
                        popped, stack = stack
                        depth -= 1
                for flag in pushes:
                    stack = (header_word if flag is None else flag, stack)
                    depth += 1
                if s_last == CLOSE_OUTER:
                    last = HEADER if popped else ENDS
                elif s_last == CLOSE_FIRST:
                    last = HEADER if header_word else ENDS
                else:
                    last = s_last
                header_word = s_header_word
                complete = not depth and not ends_in_string and last == ENDS
            elif in_str:
                complete = False
            rows.append((code, blank, start_depth, in_str, complete))  # a LineInfo, built faster
            in_str = ends_in_string
            k += 1
            if k > upto:
                break
        else:
            self._at_end = True
        self._fold = (stack, depth, last, header_word, in_str, complete)

    def _begins(self, k: int) -> bool:
        """Whether line ``k`` (folded) starts a statement: at depth 0, not in a string, and the
        code line before it (if any) is complete. Reads the rows directly: it runs per line."""
        rows = self._rows
        _code, _blank, depth, in_str, _complete = rows[k]
        if depth or in_str:
            return False
        prev = next((j for j in range(k - 1, -1, -1) if rows[j][0]), None)
        return prev is None or rows[prev][4]

    def expression_range(self, line: int) -> tuple[int, int] | None:
        """First and last line (0-based, inclusive) of the top-level expression holding ``line``.

        A comment-only line between statements is its own range; a blank line there gives None.
        A bracket never closed extends the expression to the end of the text, as R would read it.
        """
        self._extend(max(0, line))
        rows = self._rows  # LineInfo fields: code, blank, start_depth, start_in_string, complete
        line = max(0, min(line, len(rows) - 1))
        info = LineInfo(*rows[line])
        if not info.code and self._begins(line):  # blank or comment-only, between statements
            return None if info.blank else (line, line)
        start = next((k for k in range(line, -1, -1) if rows[k][0] and self._begins(k)), line)
        k = start
        while True:
            if k >= len(rows):
                self._extend(k)
                if k >= len(rows):
                    return start, len(rows) - 1
            code, _blank, _depth, _in_str, complete = rows[k]
            if code and complete and k >= line:
                return start, k
            if k > line and code and self._begins(k):
                return start, k - 1
            k += 1


def expression_range(text: str, line: int) -> tuple[int, int] | None:
    """``StatementIndex.expression_range`` for a whole text (lexes it once; cached by text)."""
    summaries = summarize_text(text)
    return StatementIndex(lambda k: iter(summaries[k:])).expression_range(line)


def is_code_line(line: str) -> bool:
    """Not blank and not only a comment (where Ctrl+Enter moves the cursor to)."""
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def next_code_line(text: str, after: int) -> int | None:
    """The first line after ``after`` holding code (not blank, not only a comment), or None."""
    for k, line in enumerate(text.split("\n")[after + 1:], start=after + 1):
        if is_code_line(line):
            return k
    return None

"""Which lines form the R expression at the cursor: what Ctrl+Enter runs (RStudio's rules).

A line inside ``f <- function(x) {`` … ``}``, or inside a call spread over lines, runs the
whole top-level expression. A line ending in an operator (``%>%``, ``|>``, ``+``, ``<-``, ``,``)
or in ``if (…)``/``for (…)``/``function(…)``/``else`` goes on with the next code line. Brackets
and quotes inside strings and comments don't count: the text is tokenized with Pygments' R
rules (core/r_lexer.py). After a run the cursor moves to the next line that has code.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from pygments.token import Comment, Keyword, Operator, Punctuation, String, Text

from webr_desktop.core.r_lexer import ROOT, in_string, lex

_OPEN = {"(", "[", "[[", "{"}
_CLOSE = {")", "]", "]]", "}"}
_HEADERS = {"if", "for", "while", "function", "\\"}  # keywords whose (…) wants a body after it
_OPEN_ENDED = {"else", "repeat", "function", "in"}


@dataclass
class LineInfo:
    """What the statement finder needs to know about one line."""

    code: bool = False  # has a token that is neither whitespace nor a comment
    start_depth: int = 0  # bracket depth at the line's start
    start_in_string: bool = False
    complete: bool = True  # at its end: depth 0, not in a string, no trailing operator


@lru_cache(maxsize=4)
def analyze(text: str) -> list[LineInfo]:
    """One ``LineInfo`` per line of ``text`` (lines split on ``\\n``).

    Cached: stepping through a script with Ctrl+Enter lexes the unchanged text once (a
    10,000-line file takes ~0.3 s to lex). Callers must not mutate the result.
    """
    lines = [LineInfo()]
    tokens, _ = lex(text, ROOT)
    depth = 0
    stack: list[bool] = []  # open brackets: True for a header's "(" (if/for/while/function)
    last_sig = ""  # "op" (continues), "header" (if (…) etc.), "open" (else/repeat), "" (ends)
    prev_word = ""
    in_str = False
    for _pos, ttype, value in tokens:
        is_str = ttype in String
        pieces = value.split("\n")
        for n, piece in enumerate(pieces):
            if n > 0:  # a new line starts
                cur = lines[-1]
                cur.complete = depth == 0 and not in_str and not (is_str and n > 0) and last_sig == ""
                if not cur.code and len(lines) > 1:
                    cur.complete = lines[-2].complete if not cur.start_in_string else False
                lines.append(LineInfo(start_depth=depth, start_in_string=is_str))
            if not piece or (ttype in Text and not piece.strip()):
                continue
            if ttype in Comment:
                continue
            lines[-1].code = True
            in_str = False
            if is_str:
                last_sig = ""
                prev_word = ""
                continue
            if ttype in Punctuation and piece in _OPEN:
                stack.append(piece == "(" and prev_word in _HEADERS)
                depth += 1
                last_sig = "op"
            elif ttype in Punctuation and piece in _CLOSE:
                header = stack.pop() if stack else False
                depth = max(0, depth - 1)
                last_sig = "header" if header else ""
            elif ttype in Punctuation and piece == ",":
                last_sig = "op"
            elif ttype in Punctuation and piece == ";":
                last_sig = ""
            elif ttype in Operator or (ttype in Text and piece == "\\"):
                last_sig = "op"
            elif ttype in Keyword and piece in _OPEN_ENDED:
                last_sig = "open"
            else:
                last_sig = ""
            prev_word = piece
        in_str = is_str and _ends_inside_string(value, ttype)
    cur = lines[-1]
    cur.complete = depth == 0 and last_sig == "" if cur.code else (lines[-2].complete if len(lines) > 1 else True)
    return lines


def _ends_inside_string(value: str, ttype) -> bool:
    """A string token ending in a newline piece leaves the next line inside the string."""
    return value.endswith("\n")


def _outside(info: list[LineInfo], line: int) -> bool:
    """A blank or comment-only line between statements (not inside one)."""
    if info[line].code or info[line].start_in_string or info[line].start_depth > 0:
        return False
    prev = next((k for k in range(line - 1, -1, -1) if info[k].code), None)
    return prev is None or info[prev].complete


def expression_range(text: str, line: int) -> tuple[int, int] | None:
    """First and last line (0-based, inclusive) of the top-level expression holding ``line``.

    A comment-only line between statements is its own range; a blank line there gives None.
    A bracket never closed extends the expression to the end of the text, as R would read it.
    """
    info = analyze(text)
    line = max(0, min(line, len(info) - 1))
    if _outside(info, line):
        return None if not text.split("\n")[line].strip() else (line, line)
    start = line
    for k in range(line, -1, -1):
        if info[k].code and _begins(info, k):
            start = k
            break
    end = len(info) - 1
    for k in range(start, len(info)):
        if info[k].code and info[k].complete and k >= line:
            end = k
            break
        if k > line and info[k].code and _begins(info, k):
            end = k - 1
            break
    return start, end


def _begins(info: list[LineInfo], k: int) -> bool:
    """Whether code line ``k`` starts a statement (nothing before it goes on into it)."""
    if info[k].start_depth > 0 or info[k].start_in_string:
        return False
    prev = next((j for j in range(k - 1, -1, -1) if info[j].code), None)
    return prev is None or info[prev].complete


def next_code_line(text: str, after: int) -> int | None:
    """The first line after ``after`` holding code (not blank, not only a comment), or None."""
    for k, line in enumerate(text.split("\n")[after + 1:], start=after + 1):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return k
    return None

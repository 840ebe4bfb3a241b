"""Pygments' R lexer made resumable line by line, for highlighting and statement ranges.

Pygments' ``SLexer`` matches a whole string literal in one regex, so a string spanning lines
only lexes when the whole text is given, and R 4's raw strings (``r"(...)"``) derail it. This
lexer keeps SLexer's rules but lexes strings piecewise in their own states and knows raw
strings, so a line can be lexed from the state the previous line ended in: the editor
re-highlights one line per keystroke, not the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pygments.lexer import ExtendedRegexLexer, LexerContext, include
from pygments.lexers.r import SLexer
from pygments.token import String, Token, _TokenType

ROOT: tuple[str, ...] = ("root",)
_CLOSERS = {"(": ")", "[": "]", "{": "}"}


def _raw_states() -> dict[str, list]:
    """One state per raw-string delimiter pair without dashes (``r"( ... )"`` across lines)."""
    states: dict[str, list] = {}
    for quote in "\"'":
        for opener, closer in _CLOSERS.items():
            end = re.escape(closer + quote)
            states[f"raw{quote}{opener}"] = [
                (end, String, "#pop"),
                (rf"[^{re.escape(closer)}\n]+|\n|.", String),
            ]
    return states


def _raw_openers() -> list:
    rules: list = [
        # a raw string closed within the text, any number of dashes
        (r"(?s)[rR]([\"'])(-*)(?:\(.*?\)|\[.*?\]|\{.*?\})\2\1", String),
    ]
    for quote in "\"'":
        for opener in _CLOSERS:
            rules.append((rf"[rR]{quote}{re.escape(opener)}", String, f"raw{quote}{opener}"))
    return rules


def _statements() -> list:
    rules = list(SLexer.tokens["statements"])
    quotes = [i for i, r in enumerate(rules) if isinstance(r, tuple) and r[0] in ("\\'", '\\"')]
    for i in reversed(quotes):
        del rules[i]
    at = quotes[0]
    rules[at:at] = [("'", String, "string_squote"), ('"', String, "string_dquote")]
    return [include("comments")] + _raw_openers() + [r for r in rules if r != "comments"]


class RLineLexer(ExtendedRegexLexer):
    """SLexer's R rules with strings lexed in states, so lexing can resume at any line."""

    name = "R (resumable)"
    aliases: list[str] = []
    flags = re.MULTILINE
    tokens = {
        **{k: list(v) for k, v in SLexer.tokens.items() if k not in ("statements", "string_dquote", "string_squote")},
        "statements": _statements(),
        "string_dquote": [(r'[^"\\\n]+|\n', String), (r"\\(?:.|\n)", String.Escape), ('"', String, "#pop")],
        "string_squote": [(r"[^'\\\n]+|\n", String), (r"\\(?:.|\n)", String.Escape), ("'", String, "#pop")],
        **_raw_states(),
    }


_LEXER = RLineLexer(stripnl=False, ensurenl=False)


def lex(text: str, stack: tuple[str, ...] = ROOT) -> tuple[list[tuple[int, _TokenType, str]], tuple[str, ...]]:
    """Tokens ``(offset, type, text)`` of ``text`` lexed from ``stack``, and the stack at its end."""
    ctx = LexerContext(text, 0, list(stack))
    tokens = [(pos, ttype, value) for pos, ttype, value in _LEXER.get_tokens_unprocessed(context=ctx)]
    return tokens, tuple(ctx.stack)


def in_string(stack: tuple[str, ...]) -> bool:
    """Whether a lexer stack is inside a string literal (a line ended mid-string)."""
    return len(stack) > 1 and stack[-1] != "root"


def iter_lines(text: str) -> Iterator[str]:
    yield from text.split("\n")


__all__ = ["ROOT", "RLineLexer", "Token", "in_string", "lex"]

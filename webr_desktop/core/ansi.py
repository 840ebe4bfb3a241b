"""ANSI escape sequences in R's console output, parsed into styled spans (no Qt).

crayon and cli colour their output with SGR sequences (``ESC [ … m``: 16, 256 and 24-bit
colours, bold, italic, underline) and mark links with OSC 8 (``ESC ] 8 ; params ; URI ST``).
The console renders those; everything else a terminal would act on (cursor moves, erase
line, window titles) is stripped, and a carriage return overwrites the line from its start,
so a ``\\r`` progress bar ends as one line. Output arrives in chunks, so a sequence split
across two chunks is held back until the rest arrives.

Written here rather than taken from a library: the ones on PyPI either render to HTML or a
terminal (ansi2html, rich) or emulate a whole screen (pyte); qtconsole's processor needs
qtconsole. This is the small part we need, in the shape the console wants.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

Color = int | tuple[int, int, int] | None  # a 0-255 palette index, an RGB triple, or default

ESC = "\x1b"
_MAX_PENDING = 4096  # an unterminated sequence longer than this is dropped, not held for ever
# CSI: ESC [ parameter bytes, intermediate bytes, one final byte.
_CSI = re.compile(r"\x1b\[([0-?]*)([ -/]*)([@-~])")
# OSC: ESC ] … terminated by BEL or ST (ESC \).
_OSC = re.compile(r"\x1b\](.*?)(?:\x07|\x1b\\)", re.DOTALL)
_SGR_FG = {**{30 + i: i for i in range(8)}, **{90 + i: 8 + i for i in range(8)}}
_SGR_BG = {**{40 + i: i for i in range(8)}, **{100 + i: 8 + i for i in range(8)}}


@dataclass(frozen=True)
class Style:
    """How a span of text looks; the default is plain text."""

    fg: Color = None
    bg: Color = None
    bold: bool = False
    italic: bool = False
    underline: bool = False
    link: str | None = None  # an OSC 8 target


PLAIN = Style()


@dataclass(frozen=True)
class Span:
    text: str
    style: Style


class AnsiParser:
    """Stateful: styles carry over from one ``feed`` to the next, as in a terminal."""

    def __init__(self) -> None:
        self._style = PLAIN
        self._pending = ""

    @property
    def active(self) -> bool:
        """True while text would not come out plain (a style or a partial escape is open)."""
        return self._style != PLAIN or bool(self._pending)

    def reset(self) -> None:
        """Back to plain text (R's prompt: nothing styled should leak into the next command)."""
        self._style = PLAIN
        self._pending = ""

    def feed(self, text: str) -> list[Span]:
        """The spans of ``text`` (escapes removed); an incomplete trailing escape is held."""
        text = self._pending + text
        self._pending = ""
        spans: list[Span] = []
        pos = 0
        while True:
            esc = text.find(ESC, pos)
            if esc < 0:
                _add(spans, text[pos:], self._style)
                return spans
            _add(spans, text[pos:esc], self._style)
            end = self._escape(text, esc)
            if end is None:  # incomplete: wait for the rest of the sequence
                if len(text) - esc <= _MAX_PENDING:
                    self._pending = text[esc:]
                return spans
            pos = end

    def _escape(self, text: str, start: int) -> int | None:
        """Apply the escape at ``start``; return where the text goes on (None: incomplete)."""
        if start + 1 >= len(text):
            return None
        kind = text[start + 1]
        if kind == "[":
            match = _CSI.match(text, start)
            if match is None:
                # Parameter bytes so far but no final byte yet: incomplete; anything else is
                # malformed and only the ESC is dropped.
                rest = text[start + 2:]
                return None if re.fullmatch(r"[0-?]*[ -/]*", rest) else start + 1
            if match.group(3) == "m" and not match.group(2):
                self._style = apply_sgr(self._style, match.group(1))
            return match.end()  # other CSI (cursor moves, erase line): stripped
        if kind == "]":
            match = _OSC.match(text, start)
            if match is None:
                return None
            body = match.group(1)
            if body.startswith("8;"):
                _params, _, uri = body[2:].partition(";")
                self._style = replace(self._style, link=uri or None)
            return match.end()  # other OSC (titles, …): stripped
        return start + 2  # a two-byte escape (ESC c, ESC =, …): stripped


def _add(spans: list[Span], text: str, style: Style) -> None:
    if not text:
        return
    if spans and spans[-1].style == style:
        spans[-1] = Span(spans[-1].text + text, style)
    else:
        spans.append(Span(text, style))


def apply_sgr(style: Style, params: str) -> Style:
    """``style`` after one SGR sequence's parameters (``"1;31"``; empty means reset)."""
    codes = [int(p) if p.isdigit() else 0 for p in params.replace(":", ";").split(";")] if params else [0]
    i = 0
    while i < len(codes):
        code = codes[i]
        if code == 0:
            style = Style(link=style.link)  # SGR reset does not end a link
        elif code == 1:
            style = replace(style, bold=True)
        elif code == 3:
            style = replace(style, italic=True)
        elif code == 4:
            style = replace(style, underline=True)
        elif code == 22:
            style = replace(style, bold=False)
        elif code == 23:
            style = replace(style, italic=False)
        elif code == 24:
            style = replace(style, underline=False)
        elif code in _SGR_FG:
            style = replace(style, fg=_SGR_FG[code])
        elif code in _SGR_BG:
            style = replace(style, bg=_SGR_BG[code])
        elif code == 39:
            style = replace(style, fg=None)
        elif code == 49:
            style = replace(style, bg=None)
        elif code in (38, 48):
            color, used = _extended_color(codes[i + 1:])
            i += used
            if color is not None:
                style = replace(style, **{"fg" if code == 38 else "bg": color})
        i += 1  # other codes (faint, blink, inverse, fonts…): not rendered
    return style


def _extended_color(rest: list[int]) -> tuple[Color, int]:
    """A 256-colour (``5;n``) or true-colour (``2;r;g;b``) argument and how many codes it took."""
    if len(rest) >= 2 and rest[0] == 5:
        return (rest[1] if 0 <= rest[1] <= 255 else None), 2
    if len(rest) >= 4 and rest[0] == 2:
        r, g, b = (min(255, max(0, v)) for v in rest[1:4])
        return (r, g, b), 4
    return None, len(rest)  # malformed: the rest of the sequence is spent


def overwrite_carriage_returns(line: str) -> str:
    """What a terminal shows for one line: each ``\\r`` returns to the start and later text
    overwrites earlier text (escapes must already be removed)."""
    if "\r" not in line:
        return line
    shown = ""
    for part in line.split("\r"):
        shown = part + shown[len(part):]
    return shown


def split_carriage_returns(spans: list[Span]) -> list[Span]:
    """Spans of one line with ``\\r`` overwrites applied, styles kept per character."""
    cells: list[tuple[str, Style]] = []
    col = 0
    for span in spans:
        for ch in span.text:
            if ch == "\r":
                col = 0
                continue
            if col < len(cells):
                cells[col] = (ch, span.style)
            else:
                cells.append((ch, span.style))
            col += 1
    out: list[Span] = []
    for ch, style in cells:
        _add(out, ch, style)
    return out


def strip_ansi(text: str) -> str:
    """Plain text: every escape sequence removed (for classifying lines and copying)."""
    return "".join(span.text for span in AnsiParser().feed(text))


_CUBE = (0, 95, 135, 175, 215, 255)
_BASE16 = (
    (0, 0, 0), (205, 49, 49), (13, 188, 121), (229, 229, 16), (36, 114, 200), (188, 63, 188),
    (17, 168, 205), (229, 229, 229), (102, 102, 102), (241, 76, 76), (35, 209, 139), (245, 245, 67),
    (59, 142, 234), (214, 112, 214), (41, 184, 219), (255, 255, 255),
)


def rgb(color: int | tuple[int, int, int]) -> tuple[int, int, int]:
    """The RGB of a palette index (xterm's 256 colours) or an RGB triple."""
    if isinstance(color, tuple):
        return color
    if color < 16:
        return _BASE16[color]
    if color < 232:
        n = color - 16
        return _CUBE[n // 36], _CUBE[(n // 6) % 6], _CUBE[n % 6]
    grey = 8 + 10 * (color - 232)
    return grey, grey, grey

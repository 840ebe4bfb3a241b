"""The ANSI parser: SGR colours and attributes, OSC 8 links, stripped sequences, split and
malformed input, carriage-return overwrites."""

from __future__ import annotations

import pytest

from webr_desktop.core.ansi import (
    PLAIN,
    AnsiParser,
    Span,
    Style,
    apply_sgr,
    overwrite_carriage_returns,
    rgb,
    split_carriage_returns,
    strip_ansi,
)


def spans(text: str) -> list[Span]:
    return AnsiParser().feed(text)


def test_plain_text_is_one_plain_span() -> None:
    assert spans("hello") == [Span("hello", PLAIN)]
    assert spans("") == []


def test_crayon_red_and_bold_as_crayon_writes_them() -> None:
    # cat(crayon::red("x"), crayon::bold("y")) with 256 colours on
    out = spans("\x1b[31mx\x1b[39m \x1b[1my\x1b[22m")
    assert out == [Span("x", Style(fg=1)), Span(" ", PLAIN), Span("y", Style(bold=True))]


@pytest.mark.parametrize(
    ("params", "style"),
    [
        ("1", Style(bold=True)),
        ("3", Style(italic=True)),
        ("4", Style(underline=True)),
        ("91", Style(fg=9)),
        ("42", Style(bg=2)),
        ("103", Style(bg=11)),
        ("38;5;208", Style(fg=208)),
        ("48;5;17", Style(bg=17)),
        ("38;2;10;20;30", Style(fg=(10, 20, 30))),
        ("38:2:300:20:30", Style(fg=(255, 20, 30))),  # colon form; clamped
        ("1;4;31", Style(fg=1, bold=True, underline=True)),
        ("", PLAIN),
        ("0", PLAIN),
        ("38;5", PLAIN),  # malformed extended colour: ignored
        ("38;5;999", PLAIN),
        ("7;5;2", PLAIN),  # inverse, blink, faint: not rendered
    ],
)
def test_sgr_codes(params: str, style: Style) -> None:
    assert apply_sgr(PLAIN, params) == style


def test_resets_end_each_attribute() -> None:
    style = apply_sgr(PLAIN, "1;3;4;31;42")
    assert apply_sgr(style, "22;23;24;39;49") == PLAIN
    assert apply_sgr(style, "0") == PLAIN


def test_styles_carry_over_between_feeds_until_reset() -> None:
    parser = AnsiParser()
    assert parser.feed("\x1b[32mgreen") == [Span("green", Style(fg=2))]
    assert parser.feed(" still") == [Span(" still", Style(fg=2))]
    parser.reset()
    assert parser.feed("plain") == [Span("plain", PLAIN)]


def test_a_sequence_split_across_chunks_is_held_until_complete() -> None:
    parser = AnsiParser()
    assert parser.feed("a\x1b[3") == [Span("a", PLAIN)]
    assert parser.feed("1mb") == [Span("b", Style(fg=1))]
    assert parser.feed("\x1b") == []
    assert parser.feed("[0mc") == [Span("c", PLAIN)]
    assert parser.feed("\x1b]8;;https://r-project.org") == []
    assert parser.feed("\x07R\x1b]8;;\x07") == [Span("R", Style(link="https://r-project.org"))]


def test_osc8_links_from_cli() -> None:
    out = spans("see \x1b]8;;x-r-help:base::mean\x1b\\?mean\x1b]8;;\x1b\\ now")
    assert out == [Span("see ", PLAIN), Span("?mean", Style(link="x-r-help:base::mean")), Span(" now", PLAIN)]
    # params before the URI are allowed; a styled link keeps both
    out = spans("\x1b[4m\x1b]8;id=1;https://x.org\x07x\x1b]8;;\x07\x1b[24m")
    assert out == [Span("x", Style(underline=True, link="https://x.org"))]


def test_what_is_not_rendered_is_stripped() -> None:
    assert strip_ansi("\x1b[2K\x1b[1Gprogress\x1b[?25l") == "progress"  # erase, move, hide cursor
    assert strip_ansi("\x1b]0;title\x07text") == "text"  # window title
    assert strip_ansi("a\x1bcb\x1b=c") == "abc"  # two-byte escapes


def test_malformed_sequences_lose_only_the_escape() -> None:
    assert strip_ansi("a\x1b[\x01b") == "a[\x01b"  # a CSI with a byte no CSI may hold
    assert strip_ansi("\x1b[31m\x1b[") == ""  # an unfinished CSI at the very end is held back
    parser = AnsiParser()
    parser.feed("\x1b]8;;" + "x" * 5000)  # an unterminated OSC that never ends is dropped
    assert parser.feed("ok") == [Span("ok", PLAIN)]


def test_carriage_returns_overwrite_like_a_terminal() -> None:
    assert overwrite_carriage_returns("[=   ] 25%\r[==  ] 50%\r[====] 100%") == "[====] 100%"
    assert overwrite_carriage_returns("abcdef\rXY") == "XYcdef"
    assert overwrite_carriage_returns("done\r") == "done"
    parts = split_carriage_returns([Span("abcd", Style(fg=1)), Span("\rXY", Style(bold=True))])
    assert parts == [Span("XY", Style(bold=True)), Span("cd", Style(fg=1))]


def test_palette() -> None:
    assert rgb(1) == (205, 49, 49)
    assert rgb(16) == (0, 0, 0) and rgb(231) == (255, 255, 255) and rgb(196) == (255, 0, 0)
    assert rgb(232) == (8, 8, 8) and rgb(255) == (238, 238, 238)
    assert rgb((1, 2, 3)) == (1, 2, 3)

"""Which lines Ctrl+Enter runs: whole top-level expressions, RStudio's rules."""

from __future__ import annotations

from webr_desktop.core.r_lexer import ROOT, in_string, lex
from webr_desktop.core.r_statements import (
    LineSummary, StatementIndex, expression_range, next_code_line, summarize_line,
)

SRC = """x <- 1
# comment (
f <- function(x) {
  y <- "}"  # {
  x + 1
}

mtcars %>%
  head() |>
  print()
if (TRUE)
  print(1)
s <- 'a
b('
z <- c(1,
       2)
"""


def test_a_simple_line_is_its_own_expression() -> None:
    assert expression_range(SRC, 0) == (0, 0)


def test_any_line_of_a_function_runs_the_whole_definition() -> None:
    for line in range(2, 6):
        assert expression_range(SRC, line) == (2, 5)


def test_brackets_in_strings_and_comments_do_not_count() -> None:
    text = 'a <- "(("  # ((\nb <- 2\n'
    assert expression_range(text, 0) == (0, 0)
    assert expression_range(text, 1) == (1, 1)


def test_trailing_operators_continue_the_expression() -> None:
    assert expression_range(SRC, 8) == (7, 9)
    assert expression_range("a <-\n  5\n", 0) == (0, 1)
    assert expression_range("p <- ggplot(d) +\n  geom_point()\nq\n", 1) == (0, 1)


def test_if_header_without_braces_takes_the_next_line() -> None:
    assert expression_range(SRC, 10) == (10, 11)


def test_a_string_across_lines_runs_whole() -> None:
    assert expression_range(SRC, 12) == (12, 13)
    assert expression_range(SRC, 13) == (12, 13)


def test_a_call_over_lines_runs_whole() -> None:
    assert expression_range(SRC, 14) == (14, 15)
    assert expression_range(SRC, 15) == (14, 15)


def test_blank_lines_run_nothing_and_comments_run_alone() -> None:
    assert expression_range(SRC, 6) is None
    assert expression_range(SRC, 1) == (1, 1)


def test_an_unclosed_bracket_runs_to_the_end() -> None:
    assert expression_range("f(1,\n  2\n\nx\n", 0) == (0, 4)


def test_raw_strings_with_brackets_do_not_count() -> None:
    text = 'x <- r"(a ( " b)"\ny <- 2\n'
    assert expression_range(text, 0) == (0, 0)
    assert expression_range(text, 1) == (1, 1)


def test_blank_lines_inside_braces_belong_to_the_expression() -> None:
    text = "f <- function() {\n\n  # note\n  1\n}\n"
    assert expression_range(text, 1) == (0, 4)
    assert expression_range(text, 2) == (0, 4)


def test_next_code_line_skips_blank_and_comment_lines() -> None:
    assert next_code_line(SRC, 0) == 2
    assert next_code_line(SRC, 5) == 7
    assert next_code_line("a\n\n# c\n", 0) is None


def test_lexer_resumes_inside_a_string_on_the_next_line() -> None:
    _tokens, stack = lex("x <- 'abc\n", ROOT)
    assert in_string(stack)
    tokens, stack = lex("def' + 1\n", stack)
    assert not in_string(stack)
    assert tokens[0][2] == "def"


def _summaries(text: str) -> list[LineSummary]:
    out, stack = [], ROOT
    for line in text.split("\n"):
        summary, stack = summarize_line(line, stack)
        out.append(summary)
    return out


def test_statement_index_refolds_only_from_the_changed_line() -> None:
    lines = SRC.split("\n")[:-1] * 300  # 4,800 lines
    summaries = _summaries("\n".join(lines))
    read: list[int] = []

    def provider(first: int):
        for k in range(first, len(summaries)):
            read.append(k)
            yield summaries[k]

    index = StatementIndex(provider)
    text = "\n".join(lines)
    assert index.expression_range(4_790) == expression_range(text, 4_790)
    lines[2_000] = "z <- c(1,"  # an open call from here: the lines below change meaning
    text = "\n".join(lines)
    summaries[:] = _summaries(text)
    read.clear()
    index.invalidate_from(2_000)
    assert index.expression_range(4_790) == expression_range(text, 4_790)
    assert min(read) >= 2_000 - 64  # restarted from the last checkpoint, not from the top
    read.clear()
    assert index.expression_range(4_780) == expression_range(text, 4_780)
    assert read == []  # nothing changed: nothing folded again


def test_a_summary_depends_only_on_the_line_and_the_lexer_state() -> None:
    opened, _stack = summarize_line("f <- function(x,", ROOT)
    assert opened.pushes == (True,) and opened.last == "op" and not opened.ends_in_string  # a header (
    inside, _ = summarize_line("a ( b", lex("s <- 'x\n", ROOT)[1])  # inside a string: no bracket
    assert inside.code and inside.pushes == () and inside.ends_in_string

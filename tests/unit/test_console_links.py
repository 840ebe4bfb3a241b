"""Console link targets as cli writes them."""

from __future__ import annotations

import pytest

from webr_desktop.core.console_links import ConsoleLink, parse_link


@pytest.mark.parametrize(
    ("href", "link"),
    [
        ("x-r-help:base::mean", ConsoleLink("help", "mean", "base")),
        ("x-r-help:mean", ConsoleLink("help", "mean")),
        ("ide:help:stats::lm", ConsoleLink("help", "lm", "stats")),
        ("x-r-run:testthat::snapshot_review('x')", ConsoleLink("run", "testthat::snapshot_review('x')")),
        ("ide:run:1%2B1", ConsoleLink("run", "1+1")),
        ("x-r-vignette:grid::grid", ConsoleLink("vignette", "grid", "grid")),
        ("https://cran.r-project.org/", ConsoleLink("web", "https://cran.r-project.org/")),
        ("file:///home/me/a.R", ConsoleLink("file", "/home/me/a.R")),
        ("file:///home/me/a.R:12:3", ConsoleLink("file", "/home/me/a.R", line=12)),
        ("file:///home/me/a.R#L7", ConsoleLink("file", "/home/me/a.R", line=7)),
        ("file:///home/me/my%20file.R", ConsoleLink("file", "/home/me/my file.R")),
    ],
)
def test_links_cli_writes(href: str, link: ConsoleLink) -> None:
    assert parse_link(href) == link


@pytest.mark.parametrize("href", ["", "x-r-help:", "javascript:alert(1)", "ftp://x/y", "file://relative", "http://"])
def test_links_the_console_does_not_follow(href: str) -> None:
    assert parse_link(href) is None

"""Links in R's help HTML resolve to the help target they name, relative to the shown page."""

from __future__ import annotations

import pytest

from webr_desktop.core.help_links import HelpLink, decode_topic, page_package, parse_link

LM = "help:stats/lm"


@pytest.mark.parametrize(
    ("href", "current", "expected"),
    [
        # Rd2HTML's link table: an Rd file of another (or the same) package
        ("../../base/html/as.data.frame.html", LM, HelpLink("file", "as.data.frame", "base")),
        ("../../datasets/html/swiss.html", LM, HelpLink("file", "swiss", "datasets")),
        # topic links, encoded like tools:::topic2filename (%5B written +5B)
        ("../../stats/help/aov.html", LM, HelpLink("topic", "aov", "stats")),
        ("../../base/help/+5B.data.frame.html", LM, HelpLink("topic", "[.data.frame", "base")),
        ("../../base/help/+2B.html", LM, HelpLink("topic", "+", "base")),
        ("../../MASS/help/lda", LM, HelpLink("topic", "lda", "MASS")),  # dynamic form, no .html
        ("../help/glm.html", LM, HelpLink("topic", "glm", "stats")),
        ("../html/glm.html", LM, HelpLink("file", "glm", "stats")),
        ("glm.html#details", LM, HelpLink("file", "glm", "stats", "details")),
        ("00Index.html", LM, HelpLink("index", package="stats")),
        ("../../utils/html/00Index.html", "help-search:x", HelpLink("index", package="utils")),
        ("#reference+lm.Rd", LM, HelpLink("anchor", anchor="reference+lm.Rd")),
        ("https://doi.org/10.2307/2346786", LM, HelpLink("external", "https://doi.org/10.2307/2346786")),
        ("mailto:r-help@r-project.org", LM, HelpLink("external", "mailto:r-help@r-project.org")),
        # page addresses work as links too
        ("help:graphics/plot.default", "", HelpLink("file", "plot.default", "graphics")),
        ("help-index:stats", "", HelpLink("index", package="stats")),
        ("help-search:linear model", "", HelpLink("search", "linear model")),
        ("help-topic:plot", "", HelpLink("topic", "plot")),
    ],
)
def test_links_resolve(href: str, current: str, expected: HelpLink) -> None:
    assert parse_link(href, current) == expected


@pytest.mark.parametrize(
    ("href", "current"),
    [
        ("", LM),
        ("glm.html", "help-search:regression"),  # relative, but the page has no package
        ("../../../doc/manual/R-exts.html", LM),
        ("../../stats/DESCRIPTION", LM),
        ("javascript:alert(1)", LM),
        ("file:///etc/passwd", LM),
    ],
)
def test_links_that_cannot_be_shown_are_unknown(href: str, current: str) -> None:
    assert parse_link(href, current).kind == "unknown"


def test_page_package_and_topic_decoding() -> None:
    assert page_package("help:stats/lm") == "stats"
    assert page_package("help-index:utils") == "utils"
    assert page_package("text:3") == page_package("help-search:lm") == ""
    assert decode_topic("+25+25") == "%%"
    assert decode_topic("+24+3C-") == "$<-"

"""Help from the real webR: ?topic, links and history, help.search/??, package indexes,
file.show and webR's own pager, example(), the search box, errors, and the pane."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QPixmap, QTextDocument

from webr_desktop.core.rcode import r_string
from webr_desktop.models.help_service import HelpPage, HelpService
from webr_desktop.ui.help.help_pane import HelpPane
from tests.webengine.driver import RDriver

pytestmark = pytest.mark.webengine

PAGE_TIMEOUT = 60_000  # a help page shown: ~1 s quiet, up to 13.2 s measured with two CPU hogs


@pytest.fixture(scope="module")
def service(shared: RDriver) -> Iterator[HelpService]:
    svc = HelpService(shared.session)
    yield svc
    svc.deleteLater()


def run_for_page(qtbot, shared: RDriver, service: HelpService, code: str) -> HelpPage:
    """Run console input that shows a help page; the page."""
    with qtbot.waitSignal(service.sig_page_shown, timeout=PAGE_TIMEOUT) as blocker:
        shared.run(qtbot, code, timeout=PAGE_TIMEOUT)
    return blocker.args[0]


def page_after(qtbot, service: HelpService, action) -> HelpPage:
    with qtbot.waitSignal(service.sig_page_shown, timeout=PAGE_TIMEOUT) as blocker:
        action()
    return blocker.args[0]


def hrefs(page: HelpPage) -> list[str]:
    return re.findall(r'<a href="([^"]+)"', page.body)


@pytest.mark.parametrize("code", ["?lm", "help(lm)", 'help("lm", package = "stats")'])
def test_help_shows_the_html_page(qtbot, shared: RDriver, service: HelpService, code: str) -> None:
    mark = shared.mark()
    page = run_for_page(qtbot, shared, service, code)
    assert (page.kind, page.url, page.title) == ("html", "help:stats/lm", "Fitting Linear Models")
    assert "<h2>Fitting Linear Models</h2>" in page.body
    assert "lm(formula, data, subset, weights, na.action," in page.body
    # offline and self-contained: no stylesheet, script or CDN for the text browser to fetch
    assert not re.search(r"<script|<link |katex|R\.css", page.body)
    assert shared.since(mark, ("stderr",)) == []


def test_links_open_their_topics_and_history_goes_back_and_forth(qtbot, shared: RDriver, service: HelpService) -> None:
    lm = run_for_page(qtbot, shared, service, "?lm")
    aov_href = next(h for h in hrefs(lm) if h.endswith("/aov.html"))  # ../../stats/help/aov.html
    aov = page_after(qtbot, service, lambda: service.follow_link(aov_href, lm.url))
    assert aov.url == "help:stats/aov" and "Fit an Analysis of Variance Model" in aov.body
    assert service.can_go_back() and not service.can_go_forward()

    back = page_after(qtbot, service, service.back)
    assert back.url == lm.url and service.current == lm
    assert service.can_go_forward()
    forward = page_after(qtbot, service, service.forward)
    assert forward.url == aov.url

    # a link to another package's Rd file (the link table's ../../PKG/html/FILE.html form)
    service.back()
    base_href = next(h for h in hrefs(lm) if h.startswith("../../base/html/"))
    other = page_after(qtbot, service, lambda: service.follow_link(base_href, lm.url))
    assert other.url.startswith("help:base/")
    assert not service.can_go_forward()  # navigating from the middle dropped aov
    assert [p.url for p in service.pages[-2:]] == [lm.url, other.url]


@pytest.mark.parametrize("code", ['help.search("regression")', "??regression"])
def test_help_search_lists_results_with_links(qtbot, shared: RDriver, service: HelpService, code: str) -> None:
    page = run_for_page(qtbot, shared, service, code)
    assert page.url == "help-search:regression" and page.kind == "html"
    assert "../../stats/html/lm.html" in hrefs(page)
    assert "Fitting Linear Models" in page.body
    lm = page_after(qtbot, service, lambda: service.follow_link("../../stats/html/lm.html", page.url))
    assert lm.url == "help:stats/lm"


def test_package_index_links_work(qtbot, shared: RDriver, service: HelpService) -> None:
    page = run_for_page(qtbot, shared, service, 'help(package = "stats")')
    assert (page.url, page.title) == ("help-index:stats", "Package 'stats'")
    assert "The R Stats Package" in page.body
    links = hrefs(page)
    assert "../../stats/html/lm.html" in links and "#letter-A" in links
    glm = page_after(qtbot, service, lambda: service.follow_link("../../stats/html/glm.html", page.url))
    assert glm.url == "help:stats/glm"
    # and back to the index from an Rd page's footer link
    index = page_after(qtbot, service, lambda: service.follow_link("00Index.html", glm.url))
    assert index.url == "help-index:stats"


def test_several_matches_give_a_chooser(qtbot, shared: RDriver, service: HelpService) -> None:
    page = run_for_page(qtbot, shared, service, "?plot")
    assert page.url == "help-topic:plot"
    assert "../../base/html/plot.html" in hrefs(page) and "../../graphics/html/plot.default.html" in hrefs(page)


TEXT = "first line é\nit's \"quoted\" \\ back\n\tand _\bb_\bo_\bl_\bd\n"
TITLE = "It's \"my\" café \\ notes"


def test_file_show_shows_the_exact_text(qtbot, shared: RDriver, service: HelpService) -> None:
    code = (f"local({{ f <- tempfile(); cat({r_string(TEXT)}, file = f); "
            f"file.show(f, title = {r_string(TITLE)}, delete.file = TRUE) }})")
    page = run_for_page(qtbot, shared, service, code)
    assert page.kind == "text" and page.title == TITLE
    assert page.body == TEXT.replace("_\b", "")  # overstrike gone, everything else exact
    assert page.url.startswith("text:")


def test_webr_pager_messages_show_the_file(qtbot, shared: RDriver, service: HelpService) -> None:
    code = ("local({ f <- tempfile(); cat('paged by webR é\\n', file = f); op <- options(); "
            "webr::pager_install(); file.show(f, title = 'webR pager'); options(op) })")
    page = run_for_page(qtbot, shared, service, code)
    assert (page.kind, page.title, page.body) == ("text", "webR pager", "paged by webR é\n")
    assert shared.eval(qtbot, "identical(getOption('pager'), .wd.help_pager)") is True


def test_missing_topic_prints_r_message_and_no_page(qtbot, shared: RDriver, service: HelpService) -> None:
    before = shared.eval(qtbot, ".wd.help$last")
    shown = service.current
    mark = shared.mark()
    shared.run(qtbot, "?no_such_topic_anywhere")
    assert shared.text(mark, "stdout")[:2] == [  # R prints it on stdout
        "No documentation for ‘no_such_topic_anywhere’ in specified packages and libraries:",
        "you could try ‘??no_such_topic_anywhere’",
    ]
    assert shared.eval(qtbot, ".wd.help$last") == before  # nothing was posted
    assert service.current == shown


def test_topic_of_an_unattached_package_gets_r_listing(qtbot, shared: RDriver) -> None:
    # R's own print method answers when no loaded package has the topic (issue 19, item 6).
    mark = shared.mark()
    shared.run(qtbot, 'help("bs")')
    out = shared.text(mark, "stdout")
    assert out and "bs" in out[0], out
    assert shared.text(mark, "stderr") == []


def test_example_runs_at_the_console(qtbot, shared: RDriver) -> None:
    mark = shared.mark()
    shared.run(qtbot, "example(lm)", timeout=60_000)
    out = shared.text(mark, "stdout")
    assert "lm> lm.D9 <- lm(weight ~ group)" in out
    assert any("Residual standard error" in line for line in out)
    assert not any(line.startswith("Error") for line in shared.text(mark, "stderr"))


def test_search_box_finds_topics_then_searches(qtbot, service: HelpService) -> None:
    assert page_after(qtbot, service, lambda: service.search("lm")).url == "help:stats/lm"
    assert page_after(qtbot, service, lambda: service.search("splines::bs")).url == "help:splines/bs"
    # a topic of a package that isn't loaded is still found from the search box
    assert page_after(qtbot, service, lambda: service.search("splineDesign")).url == "help:splines/splineDesign"
    results = page_after(qtbot, service, lambda: service.search("regression"))
    assert results.url == "help-search:regression"
    none = page_after(qtbot, service, lambda: service.search("zzqqxxnothing"))
    assert none.url == "help-search:zzqqxxnothing" and "No help pages found" in none.body


def test_latest_navigation_wins(qtbot, service: HelpService) -> None:
    shown: list[str] = []
    service.sig_page_shown.connect(lambda p: shown.append(p.url))
    with qtbot.waitSignal(service.sig_page_shown, timeout=PAGE_TIMEOUT, check_params_cb=lambda p: p.url == "help:stats/glm"):
        service.open_topic("lm", "stats")
        service.open_topic("glm")
    assert shown == ["help:stats/glm"]


def test_bad_links_and_r_errors_are_readable_problems(qtbot, service: HelpService) -> None:
    shown = page_after(qtbot, service, lambda: service.open_topic("lm"))
    with qtbot.waitSignal(service.sig_problem, timeout=PAGE_TIMEOUT) as blocker:
        service.follow_link("../../MASS/help/lda.html", shown.url)
    assert blocker.args[0] == "There is no package called 'MASS' in webR's library, so its help can't be shown."
    with qtbot.waitSignal(service.sig_problem, timeout=PAGE_TIMEOUT) as blocker:
        service.open_file("stats", "no_such_rd_file")
    assert blocker.args[0] == "Package 'stats' has no help page 'no_such_rd_file'."
    with qtbot.waitSignal(service.sig_problem, timeout=PAGE_TIMEOUT) as blocker:
        service.follow_link("../../../doc/manual/R-intro.html", shown.url)
    assert "can't be shown" in blocker.args[0]
    with qtbot.waitSignal(service.sig_external_link, timeout=PAGE_TIMEOUT) as blocker:
        service.follow_link("https://doi.org/10.2307/2346786", shown.url)
    assert blocker.args == ["https://doi.org/10.2307/2346786"]
    assert service.current == shown


def test_topics_for_the_search_box(qtbot, service: HelpService) -> None:
    with qtbot.waitSignal(service.sig_topics_loaded, timeout=PAGE_TIMEOUT) as blocker:
        service.load_topics()
    topics = blocker.args[0]
    assert {"lm", "glm", "[.data.frame", "splineDesign"} <= set(topics)
    assert len(topics) > 3000 and len(topics) == len(set(topics))


def test_pane_shows_the_page(qtbot, shared: RDriver, service: HelpService) -> None:
    opened: list = []
    pane = HelpPane(service, open_url=opened.append)
    qtbot.addWidget(pane)
    pane.resize(600, 700)
    with qtbot.waitSignal(pane.sig_raise_requested, timeout=PAGE_TIMEOUT):
        run_for_page(qtbot, shared, service, 'help("lm", package = "stats")')
    text = pane.browser.toPlainText()
    assert "Fitting Linear Models" in text and "Arguments" in text
    # \figure images come inside the page (data: URLs): the browser has them without fetching
    points = run_for_page(qtbot, shared, service, "?points")
    src = re.search(r'<img src="(data:image/png;base64,[^"]+)"', points.body).group(1)
    image = pane.browser.document().resource(QTextDocument.ResourceType.ImageResource.value, QUrl(src))
    assert isinstance(image, QPixmap) and image.width() > 100
    assert pane.back_action.isEnabled() and not pane.forward_action.isEnabled()


def test_without_a_help_service_help_prints_as_text_then_a_restart_keeps_history(qtbot, fresh: RDriver) -> None:
    # no Help pane attached (as in `webr-desktop run`): help prints on stdout, like Rscript
    mark = fresh.mark()
    fresh.run(qtbot, "?lm")
    out = fresh.text(mark)
    assert "Fitting Linear Models" in out and "Usage:" in out
    mark = fresh.mark()
    fresh.run(qtbot, "local({ f <- tempfile(); cat('paged é', file = f); file.show(f) })")
    assert fresh.text(mark) == ["paged é"]

    svc = HelpService(fresh.session)
    try:
        with qtbot.waitSignal(svc.sig_topics_loaded, timeout=PAGE_TIMEOUT):
            svc.load_topics()
        lm = page_after(qtbot, svc, lambda: svc.open_topic("lm"))
        with qtbot.waitSignal(svc.sig_topics_loaded, timeout=60_000):
            fresh.session.restart()
        assert svc.current == lm and svc.topics
        glm = run_for_page(qtbot, fresh, svc, "?glm")  # R's help hooks are back after the restart
        assert glm.url == "help:stats/glm"
        assert page_after(qtbot, svc, svc.back) == lm
    finally:
        svc.deleteLater()

"""HelpPane as a user drives it, on a fake service with HelpService's signals (no R)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, QUrl, Signal
from PySide6.QtGui import QFontMetrics

from webr_desktop.models.help_service import HelpPage, HelpService
from webr_desktop.ui.help.help_pane import HelpPane
from tests.qt.contract import assert_same_signals

LM = HelpPage("help:stats/lm", "Fitting Linear Models", "html",
              "<html><body><h2>Fitting Linear Models</h2><p>See <a href='../../stats/help/aov.html'>aov</a>"
              " and <a href='#details'>Details</a>.</p>" + "<p>filler</p>" * 200
              + "<h3><a name='details'></a>Details</h3></body></html>")
TEXT = HelpPage("text:1", "It's \"my\" café", "text", "col1\tcol2\n1\t2\n")


class FakeHelpService(QObject):
    """Records what the pane asks for; the test plays the service's side."""

    sig_page_shown = Signal(object)
    sig_history_changed = Signal()
    sig_topics_loaded = Signal(list)
    sig_problem = Signal(str)
    sig_external_link = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple] = []
        self.back_ok = False
        self.forward_ok = False

    def can_go_back(self) -> bool:
        return self.back_ok

    def can_go_forward(self) -> bool:
        return self.forward_ok

    def back(self) -> None:
        self.calls.append(("back",))

    def forward(self) -> None:
        self.calls.append(("forward",))

    def search(self, text: str) -> None:
        self.calls.append(("search", text))

    def follow_link(self, href: str, current_url: str = "") -> None:
        self.calls.append(("follow_link", href, current_url))

    def load_topics(self) -> None:
        self.calls.append(("load_topics",))


def make_pane(qtbot) -> tuple[HelpPane, FakeHelpService, list]:
    service = FakeHelpService()
    opened: list = []
    pane = HelpPane(service, open_url=opened.append)  # type: ignore[arg-type]
    qtbot.addWidget(pane)
    pane.resize(600, 700)
    return pane, service, opened


def test_fake_has_the_services_signals() -> None:
    assert_same_signals(FakeHelpService, HelpService)


def test_back_forward_follow_the_history(qtbot) -> None:
    pane, service, _ = make_pane(qtbot)
    assert not pane.back_action.isEnabled() and not pane.forward_action.isEnabled()
    service.back_ok = True
    service.sig_history_changed.emit()
    assert pane.back_action.isEnabled() and not pane.forward_action.isEnabled()
    pane.back_action.trigger()
    service.back_ok, service.forward_ok = False, True
    service.sig_history_changed.emit()
    assert not pane.back_action.isEnabled() and pane.forward_action.isEnabled()
    pane.forward_action.trigger()
    assert service.calls == [("back",), ("forward",)]
    assert [a.text() for a in pane.menu_actions()] == ["&Back", "&Forward", "Search Help…"]
    assert [a.iconText() for a in pane.menu_actions()[:2]] == ["◀", "▶"]  # the pane toolbar
    assert pane.back_action.shortcut().toString() == "Alt+Left"


def test_pages_show_and_ask_to_be_raised(qtbot) -> None:
    pane, service, _ = make_pane(qtbot)
    with qtbot.waitSignal(pane.sig_raise_requested, timeout=1000):
        service.sig_page_shown.emit(LM)
    assert pane.page == LM and pane.browser.toPlainText().startswith("Fitting Linear Models")
    assert pane.title_label.isHidden()  # HTML pages carry their own heading
    service.sig_page_shown.emit(TEXT)
    assert pane.browser.toPlainText() == TEXT.body
    assert not pane.title_label.isHidden() and pane.title_label.text() == TEXT.title
    # Fixed width as the reader sees it: Qt's fixedPitch() depends on fontconfig's
    # 'spacing' property, which some monospace fonts (Debian's Noto Sans Mono) lack.
    metrics = QFontMetrics(pane.browser.document().defaultFont())
    assert metrics.horizontalAdvance("iiii") == metrics.horizontalAdvance("WWWW")


def test_links_go_to_the_service_anchors_scroll_web_links_open_outside(qtbot) -> None:
    pane, service, opened = make_pane(qtbot)
    pane.show()
    service.sig_page_shown.emit(LM)
    pane.browser.anchorClicked.emit(QUrl("../../stats/help/aov.html"))
    assert service.calls == [("follow_link", "../../stats/help/aov.html", "help:stats/lm")]
    bar = pane.browser.verticalScrollBar()
    assert bar.value() == 0
    pane.browser.anchorClicked.emit(QUrl("#details"))
    assert len(service.calls) == 1 and bar.value() > 0  # an anchor stays in the page
    service.sig_external_link.emit("https://www.r-project.org/")
    assert opened == [QUrl("https://www.r-project.org/")]


def test_back_restores_the_scroll_position(qtbot) -> None:
    pane, service, _ = make_pane(qtbot)
    pane.show()
    service.sig_page_shown.emit(LM)
    bar = pane.browser.verticalScrollBar()
    bar.setValue(bar.maximum() // 2)
    kept = bar.value()
    service.sig_page_shown.emit(TEXT)
    service.back_ok = True
    service.sig_history_changed.emit()
    service.back = lambda: service.sig_page_shown.emit(LM)  # type: ignore[method-assign]
    pane.back_action.trigger()
    assert pane.page == LM and bar.value() == kept
    service.sig_page_shown.emit(TEXT)  # a new visit starts at the top
    assert bar.value() == 0


def test_problems_show_above_the_page(qtbot) -> None:
    pane, service, _ = make_pane(qtbot)
    service.sig_page_shown.emit(LM)
    with qtbot.waitSignal(pane.sig_raise_requested, timeout=1000):
        service.sig_problem.emit("There is no package called 'MASS'")
    assert not pane.notice_label.isHidden() and "MASS" in pane.notice_label.text()
    assert pane.page == LM
    service.sig_page_shown.emit(TEXT)
    assert pane.notice_label.isHidden()


def test_search_box_searches_on_enter(qtbot) -> None:
    pane, service, _ = make_pane(qtbot)
    pane.show()
    qtbot.keyClicks(pane.search_box, "stats::lm")
    qtbot.keyClick(pane.search_box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: ("search", "stats::lm") in service.calls, timeout=1000)
    assert [c for c in service.calls if c[0] == "search"] == [("search", "stats::lm")]


def test_completer_gets_topics_and_matches_inside_names(qtbot) -> None:
    pane, service, _ = make_pane(qtbot)
    pane.show()
    pane.activateWindow()
    pane.focus_search()
    qtbot.waitUntil(lambda: ("load_topics",) in service.calls, timeout=1000)
    service.sig_topics_loaded.emit(["glm", "lm", "Normal", "plot"])
    completer = pane.completer
    completer.setCompletionPrefix("LM")
    found = [completer.completionModel().index(i, 0).data() for i in range(completer.completionCount())]
    assert found == ["glm", "lm"]  # case-insensitive, contains
    completer.setCompletionPrefix("orm")
    assert completer.currentCompletion() == "Normal"

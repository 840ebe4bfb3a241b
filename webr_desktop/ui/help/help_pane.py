"""HelpPane: R's help pages with back/forward and a topic search box.

The pane shows what its HelpService sends (``sig_page_shown``) and hands every user request
back to it: links (``follow_link``), the search box (``search``), back and forward. It only
handles what is purely visual itself: scrolling to ``#anchor`` links, restoring the scroll
position when going back or forward, and opening web links with the system browser.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QSize, QStringListModel, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QCompleter, QLabel, QLineEdit, QToolBar, QVBoxLayout, QWidget

from webr_desktop.core.help_links import parse_link
from webr_desktop.models.help_service import HelpPage, HelpService
from webr_desktop.ui.help.help_browser import HelpBrowser
from webr_desktop.ui.outside import open_outside

PLACEHOLDER = "Type ?topic in the console, or search for a topic above."


class HelpPane(QWidget):
    """Toolbar (◀ ▶ and search box), a notice line and the page browser."""

    sig_raise_requested = Signal()  # a page (or a problem) is there to be seen

    def __init__(
        self,
        service: HelpService,
        parent: QWidget | None = None,
        open_url: Callable[[QUrl], object] | None = None,
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._open_url = open_url or open_outside
        self._page: HelpPage | None = None
        self._scroll: dict[str, int] = {}  # url -> scroll position when last left
        self._restore_scroll = False  # the next page comes from back/forward

        self.browser = HelpBrowser(self)
        self.browser.show_message(PLACEHOLDER)
        self.title_label = QLabel("", self)  # text pages have no heading of their own
        self.title_label.setStyleSheet("font-weight: 600; padding: 4px 8px;")
        self.title_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.title_label.hide()
        self.notice_label = QLabel("", self)
        self.notice_label.setStyleSheet("color: #8a6d00; padding: 2px 8px;")
        self.notice_label.setWordWrap(True)
        self.notice_label.hide()

        self.search_box = QLineEdit(self)
        self.search_box.setPlaceholderText("Search help topics")
        self.search_box.setClearButtonEnabled(True)
        self.search_box.setToolTip("A topic (lm, stats::lm) shows its page; other text searches all help")
        self.topics_model = QStringListModel(self)
        self.completer = QCompleter(self.topics_model, self)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.completer.setMaxVisibleItems(15)
        self.search_box.setCompleter(self.completer)
        self.search_box.installEventFilter(self)
        # Enter in the line edit and a choice in the popup can both fire for one search.
        self._search_timer = QTimer(self, singleShot=True, interval=0)
        self._search_timer.timeout.connect(self._search_now)
        self.search_box.returnPressed.connect(self._search_timer.start)
        self.completer.activated.connect(lambda _text: self._search_timer.start())

        self._build_actions()
        toolbar = QToolBar(self)
        toolbar.setIconSize(QSize(16, 16))
        toolbar.addAction(self.back_action)
        toolbar.addAction(self.forward_action)
        toolbar.addWidget(self.search_box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(toolbar)
        layout.addWidget(self.notice_label)
        layout.addWidget(self.title_label)
        layout.addWidget(self.browser, 1)

        self.browser.anchorClicked.connect(self._on_browser_anchor_clicked)
        service.sig_page_shown.connect(self._on_service_page_shown)
        service.sig_history_changed.connect(self._refresh_actions)
        service.sig_topics_loaded.connect(self._on_service_topics_loaded)
        service.sig_problem.connect(self._on_service_problem)
        service.sig_external_link.connect(self._on_service_external_link)
        self._refresh_actions()

    def _build_actions(self) -> None:
        def action(text: str, tip: str, shortcut: str, context: Qt.ShortcutContext) -> QAction:
            act = QAction(text, self)
            act.setToolTip(tip)
            act.setShortcut(QKeySequence(shortcut))
            act.setShortcutContext(context)
            self.addAction(act)
            return act

        in_pane = Qt.ShortcutContext.WidgetWithChildrenShortcut
        self.back_action = action("&Back", "Back (Alt+Left)", "Alt+Left", in_pane)
        self.forward_action = action("&Forward", "Forward (Alt+Right)", "Alt+Right", in_pane)
        self.back_action.setIconText("◀")  # what the pane's toolbar shows; menus say the words
        self.forward_action.setIconText("▶")
        self.search_action = action("Search Help…", "Search R's help topics", "Ctrl+Alt+H",
                                    Qt.ShortcutContext.WindowShortcut)
        self.back_action.triggered.connect(self._on_back_triggered)
        self.forward_action.triggered.connect(self._on_forward_triggered)
        self.search_action.triggered.connect(self.focus_search)

    def show_topic(self, topic: str, package: str = "") -> None:
        """Open a topic's page (a help link in the console) and come forward."""
        self._service.open_topic(topic, package or None)
        self.sig_raise_requested.emit()

    def menu_actions(self) -> list[QAction]:
        """The pane's commands, for the main window's Help menu."""
        return [self.back_action, self.forward_action, self.search_action]

    @property
    def page(self) -> HelpPage | None:
        """The page on show."""
        return self._page

    def focus_search(self) -> None:
        """Bring the pane forward with the search box ready for typing."""
        self.sig_raise_requested.emit()
        self.search_box.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_box.selectAll()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self.search_box and event.type() == QEvent.Type.FocusIn and not self.topics_model.rowCount():
            self._service.load_topics()  # the completer's list, fetched the first time it's needed
        return super().eventFilter(watched, event)

    # ------------------------------------------------------------------ user actions
    def _search_now(self) -> None:
        text = self.search_box.text().strip()
        if text:
            self._service.search(text)

    def _on_back_triggered(self) -> None:
        self._restore_scroll = True  # the service shows the stored page right away
        self._service.back()
        self._restore_scroll = False

    def _on_forward_triggered(self) -> None:
        self._restore_scroll = True
        self._service.forward()
        self._restore_scroll = False

    def _on_browser_anchor_clicked(self, url: QUrl) -> None:
        href = url.toString(QUrl.ComponentFormattingOption.FullyEncoded)
        current = self._page.url if self._page is not None else ""
        target = parse_link(href, current)
        if target.kind == "anchor":
            self.browser.scrollToAnchor(target.anchor)
            return
        self._service.follow_link(href, current)

    # ------------------------------------------------------------------ service
    def _on_service_page_shown(self, page: HelpPage) -> None:
        if self._page is not None:
            self._scroll[self._page.url] = self.browser.verticalScrollBar().value()
        restore, self._restore_scroll = self._restore_scroll, False
        self._page = page
        self.notice_label.hide()
        self.title_label.setText(page.title)
        self.title_label.setVisible(page.kind == "text")
        self.browser.show_page(page)
        if restore and page.url in self._scroll:
            self.browser.verticalScrollBar().setValue(self._scroll[page.url])
        elif page.anchor:
            self.browser.scrollToAnchor(page.anchor)
        self.sig_raise_requested.emit()

    def _refresh_actions(self) -> None:
        self.back_action.setEnabled(self._service.can_go_back())
        self.forward_action.setEnabled(self._service.can_go_forward())

    def _on_service_topics_loaded(self, topics: list) -> None:
        self.topics_model.setStringList([str(t) for t in topics])

    def _on_service_problem(self, text: str) -> None:
        self.notice_label.setText(text)
        self.notice_label.show()
        self.sig_raise_requested.emit()

    def _on_service_external_link(self, url: str) -> None:
        self._open_url(QUrl(url))

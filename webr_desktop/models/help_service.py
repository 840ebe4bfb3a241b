"""HelpService: R's help pages for the Help pane, with browser-like history.

R prints help objects (``?lm``, ``??x``, ``help(package=)``) and pages text (``file.show``)
by posting a ``wd-help`` message with an id (resources/R/help.R); the service then asks R for
the page with ``.wd.help_get(id)``. The pane's search box and links go through the same kind
of R call. webR's own ``pager`` messages (``webr::pager_install()``) name a file that R reads.

Every page R returns is kept whole in the history, so back/forward need no R and survive an R
restart. Each navigation supersedes the ones still on their way: a late answer is dropped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from webr_desktop.core.help_links import HelpLink, parse_link
from webr_desktop.core.messages import Message, r_error_text
from webr_desktop.core.rcode import r_string
from webr_desktop.models.replies import while_alive
from webr_desktop.runtime.session import RSession

log = logging.getLogger(__name__)

MAX_HISTORY = 100


@dataclass(frozen=True)
class HelpPage:
    """One page as R built it: kind "html" (an HTML document) or "text" (plain text)."""

    url: str  # a stable address: help:stats/lm, help-index:stats, help-search:q, text:3
    title: str
    kind: str
    body: str
    anchor: str = ""  # where to scroll once shown ("" for the top)


class HelpService(QObject):
    """Fetches help pages from R and keeps the pane's back/forward history."""

    sig_page_shown = Signal(object)  # HelpPage to show now
    sig_history_changed = Signal()  # can_go_back/can_go_forward may have changed
    sig_topics_loaded = Signal(list)  # every help topic of the installed packages
    sig_problem = Signal(str)  # a readable message for the pane (R errors, bad links)
    sig_external_link = Signal(str)  # a web address for the system browser

    def __init__(self, session: RSession, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._history: list[HelpPage] = []
        self._index = -1
        self._token = 0  # the latest navigation; answers for older ones are dropped
        self._topics: list[str] | None = None
        self._topics_wanted = False  # someone asked for topics in this app run
        self._topics_loading = False
        session.sig_message_received.connect(self._on_session_message)
        session.sig_started.connect(self._on_session_started)
        if session.info is not None:  # else at sig_started
            session.eval(".wd.help_attach()")

    # ------------------------------------------------------------------ navigation
    def open_topic(self, topic: str, package: str | None = None) -> None:
        """Show the help for ``topic`` (a chooser if several packages document it)."""
        pkg = "NULL" if not package else r_string(package)
        self._fetch(f".wd.help_topic({r_string(topic)}, {pkg})")

    def open_file(self, package: str, file: str, anchor: str = "") -> None:
        """Show the Rd page ``file`` of ``package`` (link targets name Rd files)."""
        self._fetch(f".wd.help_file({r_string(package)}, {r_string(file)})", anchor)

    def open_package(self, package: str) -> None:
        """Show the index of a package's help topics."""
        self._fetch(f".wd.help_package({r_string(package)})")

    def help_search(self, query: str) -> None:
        """Show ``help.search(query)`` results (what ``??query`` shows)."""
        self._fetch(f".wd.help_search({r_string(query)})")

    def search(self, text: str) -> None:
        """The search box: an exact topic (or pkg::topic) shows its page, else search results."""
        text = text.strip()
        if text:
            self._fetch(f".wd.help_topic({r_string(text)}, NULL, search = TRUE)")

    def follow_link(self, href: str, current_url: str = "") -> None:
        """Follow a link of the page at ``current_url``; ``#anchor`` links stay in the page."""
        target = parse_link(href, current_url)
        self._go(target, href)

    def _go(self, target: HelpLink, href: str) -> None:
        if target.kind == "anchor":
            return  # the pane scrolls to it
        if target.kind == "external":
            self.sig_external_link.emit(target.name)
        elif target.kind == "file":
            self.open_file(target.package, target.name, target.anchor)
        elif target.kind == "topic":
            pkg = "NULL" if not target.package else r_string(target.package)
            self._fetch(f".wd.help_topic({r_string(target.name)}, {pkg})", target.anchor)
        elif target.kind == "index":
            self._fetch(f".wd.help_package({r_string(target.package)})", target.anchor)
        elif target.kind == "search":
            self.help_search(target.name)
        else:
            self.sig_problem.emit(f"This link can't be shown in the Help pane: {href}")

    def warm_up(self) -> None:
        """Have R build its help link table now (the first page otherwise waits ~1 s for it)."""
        self._session.eval(".wd.help_warmup()")

    # ------------------------------------------------------------------ history
    @property
    def current(self) -> HelpPage | None:
        return self._history[self._index] if 0 <= self._index < len(self._history) else None

    @property
    def pages(self) -> list[HelpPage]:
        """The history, oldest first (``index`` is the shown one)."""
        return list(self._history)

    @property
    def index(self) -> int:
        return self._index

    def can_go_back(self) -> bool:
        return self._index > 0

    def can_go_forward(self) -> bool:
        return 0 <= self._index < len(self._history) - 1

    def back(self) -> None:
        if self.can_go_back():
            self._show_index(self._index - 1)

    def forward(self) -> None:
        if self.can_go_forward():
            self._show_index(self._index + 1)

    def _show_index(self, index: int) -> None:
        self._token += 1  # a page still on its way must not replace the one asked for now
        self._index = index
        self.sig_page_shown.emit(self._history[index])
        self.sig_history_changed.emit()

    def _push(self, page: HelpPage) -> None:
        """Show a new page: the forward part of the history is dropped, as in a browser."""
        del self._history[self._index + 1:]
        if self._history and self._history[-1].url == page.url:
            self._history[-1] = page  # the same page again (e.g. ?lm twice): no new entry
        else:
            self._history.append(page)
        del self._history[:-MAX_HISTORY]
        self._index = len(self._history) - 1
        self.sig_page_shown.emit(page)
        self.sig_history_changed.emit()

    # ------------------------------------------------------------------ topics
    @property
    def topics(self) -> list[str] | None:
        """Every help topic, once loaded in this R session (else None)."""
        return self._topics

    def load_topics(self) -> None:
        """Ask R for every topic (for the search box); ``sig_topics_loaded`` brings them."""
        self._topics_wanted = True
        if self._topics is not None:
            self.sig_topics_loaded.emit(list(self._topics))
            return
        if self._topics_loading:
            return
        self._topics_loading = True
        request = self._session.eval(".wd.help_topics()")
        request.sig_finished.connect(self._on_topics)
        request.sig_failed.connect(self._on_topics_failed)

    def _on_topics(self, value: object) -> None:
        self._topics_loading = False
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            log.warning("help topics: unexpected value %r", type(value))
            return
        self._topics = [t for t in value if isinstance(t, str)]
        self.sig_topics_loaded.emit(list(self._topics))

    def _on_topics_failed(self, error: str) -> None:
        self._topics_loading = False
        log.warning("help topics could not be loaded: %s", error)

    # ------------------------------------------------------------------ R
    def _fetch(self, code: str, anchor: str = "") -> None:
        """Ask R for a page; only the latest request's answer is shown."""
        self._token += 1
        token = self._token
        request = self._session.eval(code)
        request.sig_finished.connect(while_alive(self, lambda value: self._on_page(token, value, anchor)))
        request.sig_failed.connect(while_alive(self, lambda error: self._on_failed(token, error)))

    def _on_page(self, token: int, value: object, anchor: str) -> None:
        if token != self._token:
            return
        page = _page_from_r(value, anchor)
        if page is None:
            self.sig_problem.emit("R returned a help page the pane can't read.")
            return
        self._push(page)

    def _on_failed(self, token: int, error: str) -> None:
        if token == self._token:
            self.sig_problem.emit(_readable_error(error))

    def _on_session_message(self, msg: Message) -> None:
        if msg.type == "wd-help":
            page_id = msg.data.get("id") if isinstance(msg.data, dict) else None
            if isinstance(page_id, int) and not isinstance(page_id, bool):
                self._fetch(f".wd.help_get({page_id}L)")
        elif msg.type == "pager":
            self._on_pager(msg.data)

    def _on_pager(self, data: object) -> None:
        """webR's own pager message: R reads the file (and deletes it if asked)."""
        if not isinstance(data, dict) or not isinstance(data.get("path"), str):
            log.warning("malformed pager message dropped: %r", data)
            return
        header = data.get("header") if isinstance(data.get("header"), str) else ""
        title = data.get("title") if isinstance(data.get("title"), str) else "R Information"
        delete = "TRUE" if data.get("deleteFile") is True else "FALSE"
        self._fetch(f".wd.help_pager_page({r_string(data['path'])}, {r_string(header)}, {r_string(title)}, {delete})")

    def _on_session_started(self, _ready: object) -> None:
        """A new R: help goes to the pane again; the history stays; topics may differ."""
        self._session.eval(".wd.help_attach()")
        self._topics = None
        self._topics_loading = False
        if self._topics_wanted:
            self.load_topics()


def _page_from_r(value: object, anchor: str) -> HelpPage | None:
    if not isinstance(value, dict):
        return None
    fields = {key: value.get(key) for key in ("url", "title", "kind", "body")}
    if not all(isinstance(v, str) for v in fields.values()) or fields["kind"] not in ("html", "text"):
        return None
    return HelpPage(anchor=anchor, **fields)  # type: ignore[arg-type]


def _readable_error(error: str) -> str:
    """R's error text without webR's prefixes, as one would read it in the console."""
    text = r_error_text(error.strip())
    return text or "R could not show this help page."

"""HelpBrowser: a QTextBrowser that shows one HelpPage and never fetches anything itself.

R's pages are self-contained (figures arrive as data: URLs); every other resource a page
names (R.css, relative images) would make QTextBrowser look for files and warn, so it gets
nothing. Links are not followed here: the pane hands them to the help service.
"""

from __future__ import annotations

from functools import lru_cache

from PySide6.QtCore import QUrl
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QTextBrowser, QWidget

from webr_desktop.core import paths
from webr_desktop.models.help_service import HelpPage


@lru_cache(maxsize=1)
def help_stylesheet() -> str:
    """The bundled style for help HTML (resources/help/help.css)."""
    try:
        return (paths.resources_dir() / "help" / "help.css").read_text(encoding="utf-8")
    except OSError:
        return ""


class HelpBrowser(QTextBrowser):
    """Renders HTML pages with the help stylesheet and text pages in a fixed-width font."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self._text_font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self._html_font = QFont(self.font())
        self.document().setDefaultStyleSheet(help_stylesheet())
        self.document().setDocumentMargin(10)

    def show_page(self, page: HelpPage) -> None:
        if page.kind == "text":
            self.document().setDefaultFont(self._text_font)
            self.setPlainText(page.body)
        else:
            self.document().setDefaultFont(self._html_font)
            self.setHtml(page.body)

    def show_message(self, text: str) -> None:
        """A placeholder shown before the first page."""
        self.document().setDefaultFont(self._html_font)
        self.setHtml(f"<p style='color: #888888;'>{_escape(text)}</p>")

    def loadResource(self, kind: int, url: QUrl | str) -> object:  # noqa: N802
        """Only data: URLs (which QTextDocument decodes itself) load; nothing else is fetched."""
        return None


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


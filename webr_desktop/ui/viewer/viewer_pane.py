"""ViewerPane: HTML that R wrote (htmlwidgets, reports, vignettes) in an embedded web view.

The page is untrusted, so the view is kept apart from everything else: its own off-the-record
profile (no cookies or storage shared with the runtime page), no QWebChannel, no new windows,
and navigation only within the page's own folder on the Viewer's origin — any other web
address goes to the system browser instead.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import shiboken6
from PySide6.QtCore import QSize, Qt, QUrl, Signal
from PySide6.QtGui import QAction
from PySide6.QtWebEngineCore import QWebEngineDownloadRequest, QWebEnginePage, QWebEngineProfile
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QApplication, QFileDialog, QLabel, QToolBar, QVBoxLayout, QWidget

from webr_desktop.ui.outside import open_outside

log = logging.getLogger(__name__)

PageFolder = Callable[[str], "tuple[Path, str] | None"]  # URL -> (folder on the host, entry)


class ViewerPage(QWebEnginePage):
    """Keeps navigation on the page's own folder; sends web links out."""

    sig_external_url = Signal(str)

    def __init__(
        self, profile: QWebEngineProfile, is_published: Callable[[str], bool], parent: QWidget | None = None,
    ) -> None:
        super().__init__(profile, parent)
        self._is_published = is_published

    def acceptNavigationRequest(  # noqa: N802
        self, url: QUrl, nav_type: QWebEnginePage.NavigationType, is_main: bool,
    ) -> bool:
        target = url.toString()
        if self._is_published(target) or target in ("about:blank", "about:srcdoc"):
            return True
        redirect = nav_type == QWebEnginePage.NavigationType.NavigationTypeRedirect
        if is_main and not redirect and url.scheme() in ("http", "https", "mailto"):
            self.sig_external_url.emit(target)
        return False

    def javaScriptConsoleMessage(  # noqa: N802
        self, level: QWebEnginePage.JavaScriptConsoleMessageLevel, message: str, line: int, source: str,
    ) -> None:
        """The page's console is R's HTML talking, not the app: kept out of the app's warnings."""
        log.debug("viewer page %s:%d: %s", source, line, message)

    def createWindow(self, _type: QWebEnginePage.WebWindowType) -> QWebEnginePage | None:  # noqa: N802
        return None  # window.open() and target=_blank: no new windows from R's HTML


_profile: QWebEngineProfile | None = None


def viewer_profile() -> QWebEngineProfile:
    """One private, off-the-record profile for every Viewer page, kept for the app's life: a
    profile must outlive its pages (a pane's own one could die first and crash Chromium)."""
    global _profile
    if _profile is None:
        _profile = QWebEngineProfile(QApplication.instance())  # no storage name: off the record
    return _profile


class ViewerPane(QWidget):
    """Toolbar (◀ ▶ ⟳, Open in Browser, Save as HTML…) over the page."""

    sig_raise_requested = Signal()
    sig_page_loaded = Signal(bool)  # the page finished loading (ok)

    def __init__(
        self, page_folder: PageFolder, parent: QWidget | None = None,
        open_url: Callable[[QUrl], object] | None = None,
    ) -> None:
        super().__init__(parent)
        self._page_folder = page_folder
        self._open_url = open_url or open_outside
        self._copies: list[tempfile.TemporaryDirectory] = []
        # The web view (and its Chromium page) is made for the first page shown: most runs
        # never show HTML, and a page must be deleted before the profile it uses.
        self.view: QWebEngineView | None = None
        self.page: ViewerPage | None = None
        self.placeholder = QLabel("HTML output from R (htmlwidgets, reports, vignettes) shows here.", self)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setStyleSheet("color: #6b6b6b;")

        self.back_action = self._action("◀", "Back", lambda: self.view and self.view.back())
        self.forward_action = self._action("▶", "Forward", lambda: self.view and self.view.forward())
        self.reload_action = self._action("⟳", "Reload", lambda: self.view and self.view.reload())
        self.browser_action = self._action("Open in Browser", "Open a copy of the page in the system browser",
                                           self.open_in_browser)
        self.save_action = self._action("Save as HTML…", "Save the page as HTML", self._on_save_triggered)
        toolbar = QToolBar(self)
        toolbar.setIconSize(QSize(16, 16))
        for act in (self.back_action, self.forward_action, self.reload_action, self.browser_action, self.save_action):
            toolbar.addAction(act)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(toolbar)
        layout.addWidget(self.placeholder, 1)
        self._layout = layout
        self._refresh_actions()

    def _action(self, text: str, tip: str, slot: Callable[[], object]) -> QAction:
        act = QAction(text, self)
        act.setToolTip(tip)
        act.triggered.connect(slot)
        return act

    # ------------------------------------------------------------------ public
    def show_page(self, url: str) -> None:
        """Load a page published on the Viewer's origin and come forward."""
        view = self._ensure_view()
        self.placeholder.hide()
        view.show()
        view.load(QUrl(url))
        self.sig_raise_requested.emit()

    def current_url(self) -> str:
        return self.view.url().toString() if self.view is not None else ""

    def dispose(self) -> None:
        """Delete the web view and its page now (the window is closing): Chromium needs every
        page gone before its profile, and no event loop may run deferred deletes later."""
        if self.view is not None:
            view, self.view, self.page = self.view, None, None
            shiboken6.delete(view)

    def _ensure_view(self) -> QWebEngineView:
        if self.view is None:
            profile = viewer_profile()
            self.view = QWebEngineView(self)
            self.page = ViewerPage(profile, lambda url: self._page_folder(url) is not None, self.view)
            self.view.setPage(self.page)
            self.page.sig_external_url.connect(self._on_page_external_url)
            self.page.loadFinished.connect(self.sig_page_loaded)
            self.view.urlChanged.connect(self._refresh_actions)
            profile.downloadRequested.connect(self._on_download_requested)
            self._layout.addWidget(self.view, 1)
        return self.view

    def open_in_browser(self) -> Path | None:
        """Copy the page's folder to a temporary folder on the host and open it there (the
        published copy is served only to this view)."""
        found = self._page_folder(self.current_url())
        if found is None:
            return None
        folder, entry = found
        copy = tempfile.TemporaryDirectory(prefix="webr-desktop-page-")
        self._copies.append(copy)  # removed when the pane goes
        target = Path(copy.name) / "page"
        shutil.copytree(folder, target)
        self._open_url(QUrl.fromLocalFile(str(target / entry)))
        return target / entry

    def save_html(self, path: Path) -> None:
        """Save the page as the browser would ("complete": the HTML and a folder of its files)."""
        if self.page is not None:
            self.page.save(str(path), QWebEngineDownloadRequest.SavePageFormat.CompleteHtmlSaveFormat)

    # ------------------------------------------------------------------ internals
    def _on_save_triggered(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save Page as HTML", "page.html", "HTML files (*.html)")
        if path:
            self.save_html(Path(path))

    def _on_download_requested(self, download: QWebEngineDownloadRequest) -> None:
        if self.page is None or download.page() is not self.page:
            return  # another pane's
        if download.isSavePageDownload():  # our own Save as HTML
            download.accept()
        else:  # a page may not write files to the host
            download.cancel()

    def _on_page_external_url(self, url: str) -> None:
        self._open_url(QUrl(url))

    def _refresh_actions(self, *_args: object) -> None:
        has_page = self.view is not None and not self.view.url().isEmpty()
        history = self.view.history() if self.view is not None else None
        self.back_action.setEnabled(bool(history and history.canGoBack()))
        self.forward_action.setEnabled(bool(history and history.canGoForward()))
        for act in (self.reload_action, self.browser_action, self.save_action):
            act.setEnabled(has_page)

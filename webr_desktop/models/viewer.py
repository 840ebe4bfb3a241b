"""ViewerService: R's viewer option and browseURL() become pages for the Viewer pane.

R announces a page by id (``wd-viewer``, resources/R/viewer.R). The service asks R what it
is: a web address goes to the system browser; a page in R's file system comes back as one
archive of its folder (``eval_file``), which ``publish`` unpacks on the Viewer's own origin
(server/viewer_site.py) and turns into the URL the pane loads.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from webr_desktop.core.messages import Message, r_error_text
from webr_desktop.runtime.session import RSession

log = logging.getLogger(__name__)

Publish = Callable[[bytes, str], str]  # (archive, page file name) -> URL; raises on a bad page


class ViewerService(QObject):
    """Fetches announced pages from R and hands their URLs to the pane."""

    sig_page_ready = Signal(str)  # a URL on the Viewer's origin
    sig_external_url = Signal(str)  # an http(s)/mailto address for the system browser
    sig_problem = Signal(str)

    def __init__(self, session: RSession, publish: Publish, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._publish = publish
        session.sig_message_received.connect(self._on_session_message)

    def _on_session_message(self, msg: Message) -> None:
        if msg.type != "wd-viewer":
            return
        page_id = msg.data.get("id") if isinstance(msg.data, dict) else None
        if not isinstance(page_id, int) or isinstance(page_id, bool):
            log.warning("wd-viewer message without an id dropped: %r", msg.data)
            return
        request = self._session.eval(f".wd.viewer_info({page_id}L)")
        request.sig_finished.connect(lambda info: self._on_info(page_id, info))
        request.sig_failed.connect(self._on_failed)

    def _on_info(self, page_id: int, info: object) -> None:
        if not isinstance(info, dict) or info.get("kind") not in ("web", "page"):
            self.sig_problem.emit("R announced a page the Viewer can't read")
            return
        if info["kind"] == "web":
            url = str(info.get("value", ""))
            if url.startswith(("http://", "https://", "mailto:")):
                self.sig_external_url.emit(url)
            return
        entry = str(info.get("entry", ""))
        request = self._session.eval_file(f".wd.viewer_bundle({page_id}L)")
        request.sig_finished.connect(lambda data: self._on_bundle(data, entry))
        request.sig_failed.connect(self._on_failed)

    def _on_bundle(self, data: object, entry: str) -> None:
        if not isinstance(data, (bytes, bytearray)):
            self.sig_problem.emit("the page's files did not arrive from R")
            return
        try:
            url = self._publish(bytes(data), entry)
        except Exception as exc:  # noqa: BLE001 - the site says why a page can't be shown
            self.sig_problem.emit(f"The Viewer can't show this page: {exc}")
            return
        self.sig_page_ready.emit(url)

    def _on_failed(self, error: str) -> None:
        self.sig_problem.emit(r_error_text(error))

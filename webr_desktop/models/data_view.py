"""DataViewService: turns R's View() calls into DataViewModels and keeps them honest.

``View(x)`` in R stores the object under an id and posts ``wd-view`` (resources/R/view.R);
the service asks R for the view's description and emits ``sig_view_opened(model)``. After
each top-level command it asks R once which viewed objects changed (``identical()`` on the
held reference: pointer-fast when nothing did), and on a restart, quit or crash it marks
every open model gone, since their data died with that R.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal

from webr_desktop.core.data_view import ViewMeta, as_list
from webr_desktop.core.messages import Message, r_error_text
from webr_desktop.core.rcode import r_string
from webr_desktop.models.data_view_model import DataViewModel
from webr_desktop.models.replies import while_alive
from webr_desktop.runtime.session import RSession

__all__ = ["DataViewModel", "DataViewService"]

log = logging.getLogger(__name__)


class DataViewService(QObject):
    """Creates one model per View() and tells models when their object changed in R."""

    sig_view_opened = Signal(object)  # DataViewModel, ready to show
    sig_problem = Signal(str)  # e.g. open_name() of an object the viewer can't show

    def __init__(self, session: RSession, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._models: dict[int, DataViewModel] = {}
        self._checking = False
        self._check_again = False
        session.sig_message_received.connect(self._on_session_message)
        session.sig_settled.connect(self._check_changed)
        session.sig_started.connect(while_alive(self, lambda _ready: self._forget_all("R was restarted: this data is no longer in R.")))
        session.sig_closed.connect(while_alive(self, lambda _status: self._forget_all("R quit: this data is no longer in R.")))
        session.sig_crashed.connect(while_alive(self, lambda _reason: self._forget_all("R crashed: this data is no longer in R.")))

    @property
    def models(self) -> list[DataViewModel]:
        """The open views (a closed model is dropped here)."""
        for view_id in [i for i, m in self._models.items() if m.is_closed]:
            del self._models[view_id]
        return list(self._models.values())

    def open_name(self, name: str, frame: int = 0) -> None:
        """View an object by name (the environment pane's double-click): of the global
        environment, or of debugged frame ``frame`` (1 = outermost) while R browses."""
        where = f", .wd.debug_env({int(frame)}L)" if frame > 0 else ""
        self._open(f".wd.view_meta(.wd.view_open_name({r_string(name)}{where}))")

    # ------------------------------------------------------------------ internals
    def _open(self, code: str) -> None:
        request = self._session.eval(code)
        request.sig_finished.connect(self._on_meta)
        request.sig_failed.connect(while_alive(self, lambda err: self.sig_problem.emit(r_error_text(err))))

    def _on_meta(self, value: object) -> None:
        try:
            meta = ViewMeta.parse(value)
        except ValueError as exc:
            self.sig_problem.emit(f"R sent a view description the app can't read: {exc}")
            return
        model = DataViewModel(self._session, meta)
        self._models[meta.id] = model
        self.sig_view_opened.emit(model)

    def _on_session_message(self, msg: Message) -> None:
        if msg.type != "wd-view":
            return
        view_id = msg.data.get("id") if isinstance(msg.data, dict) else None
        if not isinstance(view_id, int) or isinstance(view_id, bool):
            log.warning("wd-view message without an id dropped: %r", msg.data)
            return
        self._open(f".wd.view_meta({view_id}L)")

    def _check_changed(self) -> None:
        """One eval once R settles after commands, and only while views are open."""
        if not self.models:
            return
        if self._checking:
            self._check_again = True
            return
        self._checking = True
        request = self._session.eval(".wd.view_changed()")
        request.sig_finished.connect(self._on_changed)
        request.sig_failed.connect(self._on_changed_failed)

    def _on_changed(self, value: object) -> None:
        self._checking = False
        for view_id in as_list(value):
            model = self._models.get(view_id) if isinstance(view_id, int) else None
            if model is not None:
                model.mark_outdated()
        self._recheck()

    def _on_changed_failed(self, error: str) -> None:
        self._checking = False
        log.debug("view change check failed: %s", error)
        self._recheck()

    def _recheck(self) -> None:
        if self._check_again:
            self._check_again = False
            self._check_changed()

    def _forget_all(self, reason: str) -> None:
        for model in self._models.values():
            model.mark_gone(reason)
        self._models.clear()
        self._checking = self._check_again = False

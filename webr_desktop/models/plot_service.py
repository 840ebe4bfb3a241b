"""PlotService: connects R's plots (via RSession) to the plot history and to exports.

R numbers every page it draws on the app's canvas device and records it (resources/R/plots.R);
the page composites canvas layers and sends one PNG per page update as a ``plot`` message
``{key, entry, replace, width, height, png}``. ``key`` names the page's image stream in this
R session; ``entry`` is R's id for re-rendering and export (None: not recorded); ``replace``
says the image re-renders an existing entry (a resize), not a new plot.
"""

from __future__ import annotations

import base64
import binascii
import logging

from PySide6.QtCore import QObject, QTimer, Signal

from webr_desktop.core.messages import Message
from webr_desktop.core.plot_export import ExportSpec, export_call
from webr_desktop.models.plot_history import PlotEntry, PlotHistory
from webr_desktop.models.quick_plot import QuickPlotData, QuickPlotError
from webr_desktop.models.replies import while_alive
from webr_desktop.runtime.session import EvalRequest, RSession

log = logging.getLogger(__name__)

RESIZE_DEBOUNCE_MS = 150
WARMUP_DELAY_MS = 300
EXPORT_TMP = "/tmp/.webr-desktop-export"


class PlotService(QObject):
    """Feeds ``history`` from R and asks R to re-render and export plots."""

    sig_quick_plot = Signal(object)  # QuickPlotData from quick_plot() in R
    sig_problem = Signal(str)  # something the user should know (shown in the pane)

    def __init__(self, session: RSession, history: PlotHistory, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self.history = history
        self._by_key: dict[int, int] = {}  # page image key -> entry uid (this R session)
        self._view_size: tuple[int, int] | None = None  # plots pane size in CSS px
        self._rendered_size: tuple[int, int] | None = None
        self._render_busy = False
        self._export_seq = 0
        self._warmed = False  # R's file devices have loaded their fonts in this session
        self._resize_timer = QTimer(self, singleShot=True, interval=RESIZE_DEBOUNCE_MS)
        self._resize_timer.timeout.connect(self._render_current)
        self._warmup_timer = QTimer(self, singleShot=True, interval=WARMUP_DELAY_MS)
        self._warmup_timer.timeout.connect(lambda: self._session.eval(".wd.plot_warmup()"))
        session.sig_message_received.connect(self._on_message)
        session.sig_started.connect(self._on_started)
        history.sig_changed.connect(self._on_history_changed)

    # ------------------------------------------------------------------ pane size
    def set_view_size(self, width: int, height: int) -> None:
        """The pane's drawing area changed (CSS px): new plots use it, the shown one re-renders."""
        size = (max(16, int(width)), max(16, int(height)))
        if size == self._view_size:
            return
        self._view_size = size
        if self.history.current is None and not self._render_busy:
            self._render_current()  # only sets the size of new devices: cheap, and a plot may come now
        else:
            self._resize_timer.start()

    def _on_history_changed(self) -> None:
        entry = self.history.current
        if entry is not None and self._view_size is not None and self._image_size(entry) != self._view_size:
            self._resize_timer.start()

    @staticmethod
    def _image_size(entry: PlotEntry) -> tuple[int, int]:
        return entry.width // 2, entry.height // 2  # canvas images are 2x the device size

    def _render_current(self) -> None:
        """Replay the shown plot at the pane's size (one request in flight; latest size wins)."""
        if self._render_busy or self._view_size is None:
            return
        w, h = self._view_size
        entry = self.history.current
        if entry is None or entry.r_id is None or not entry.recorded:
            code = f".wd.plot_size({w}, {h})"
            if entry is not None and self._image_size(entry) != self._view_size:
                self.sig_problem.emit("This plot has no recording: it is shown at the size it was drawn.")
        elif self._image_size(entry) == self._view_size and self._rendered_size == self._view_size:
            return
        else:
            code = f".wd.plot_render({entry.r_id}L, {w}, {h})"
        self._render_busy = True
        self._rendered_size = self._view_size
        request = self._session.eval(code)
        request.sig_finished.connect(while_alive(self, lambda ok, e=entry: self._on_rendered(e, ok)))
        request.sig_failed.connect(while_alive(self, lambda err: self._on_rendered(None, True)))

    def _on_rendered(self, entry: PlotEntry | None, ok: object) -> None:
        self._render_busy = False
        if entry is not None and ok is False:
            entry.recorded = False
            self.sig_problem.emit("R no longer holds this plot's recording: it keeps its bitmap.")
        if self._rendered_size != self._view_size:
            self._resize_timer.start()

    # ------------------------------------------------------------------ history
    def remove(self, index: int) -> None:
        entry = self.history.remove(index)
        if entry is not None and entry.r_id is not None and entry.recorded:
            self._session.eval(f".wd.plot_forget({entry.r_id}L)")

    def clear(self) -> None:
        if self.history.clear():
            self._session.eval(".wd.plot_forget()")

    # ------------------------------------------------------------------ export
    def render(self, spec: ExportSpec, entry: PlotEntry | None = None) -> EvalRequest:
        """The bytes of ``entry`` (default: current) replayed on R's own device for ``spec``."""
        spec = spec.validated()
        entry = entry if entry is not None else self.history.current
        r_id = 0 if entry is None or entry.r_id is None else entry.r_id
        if entry is not None and (entry.r_id is None or not entry.recorded):
            r_id = -1  # R answers "no longer recorded"
        self._export_seq += 1
        path = f"{EXPORT_TMP}-{self._export_seq}.{spec.extension}"
        return self._session.eval_file(export_call(r_id, path, spec))

    # ------------------------------------------------------------------ messages
    def _on_started(self, _ready: object) -> None:
        """A new R session: its entry ids and image keys start over; old images stay."""
        self._by_key.clear()
        self._rendered_size = None
        self._warmed = False
        self.history.forget_recordings()
        if self._view_size is not None:
            self._session.eval(f".wd.plot_size({self._view_size[0]}, {self._view_size[1]})")

    def _on_message(self, msg: Message) -> None:
        if msg.type == "plot":
            self._on_plot(msg.data)
        elif msg.type == "quickplot":
            try:
                self.sig_quick_plot.emit(QuickPlotData.decode(msg.data.get("meta"), msg.data.get("blob")))
            except QuickPlotError as exc:
                self.sig_problem.emit(f"quick_plot: {exc}")

    def _on_plot(self, data: dict) -> None:
        try:
            key, width, height = int(data["key"]), int(data["width"]), int(data["height"])
            png = base64.b64decode(data["png"], validate=True)
            r_id = data.get("entry")
            r_id = int(r_id) if isinstance(r_id, int) and not isinstance(r_id, bool) else None
        except (KeyError, TypeError, ValueError, binascii.Error) as exc:
            log.warning("malformed plot message dropped: %s", exc)
            return
        uid = self._by_key.get(key)
        if uid is None and data.get("replace") is True and r_id is not None:
            target = self.history.find_r_id(r_id)
            uid = target.uid if target is not None else None
        if uid is not None and self.history.find(uid) is not None:
            self._by_key[key] = uid
            self.history.update_image(uid, png, width, height)
            return
        if data.get("replace") is True:
            return  # a re-render of an entry the user removed meanwhile
        entry = PlotEntry(png=png, width=width, height=height, r_id=r_id, recorded=r_id is not None)
        self._by_key[key] = entry.uid
        self.history.add(entry)
        if not self._warmed:
            self._warmed = True
            self._warmup_timer.start()

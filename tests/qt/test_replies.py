"""while_alive: R's late answer to a deleted model is dropped, to a live one delivered."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Signal

from webr_desktop.models.replies import while_alive


class _Model(QObject):
    sig_changed = Signal(object)


class _Request(QObject):
    sig_finished = Signal(object)


def test_an_answer_reaches_a_live_model_and_not_a_deleted_one(qtbot) -> None:
    got: list[object] = []
    live, gone, request = _Model(), _Model(), _Request()
    live.sig_changed.connect(got.append)
    request.sig_finished.connect(while_alive(live, lambda value: live.sig_changed.emit(("live", value))))
    request.sig_finished.connect(while_alive(gone, lambda value: gone.sig_changed.emit(("gone", value))))
    gone.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    with qtbot.captureExceptions() as raised:
        request.sig_finished.emit(42)
    assert raised == []  # without the guard: RuntimeError "Signal source has been deleted"
    assert got == [("live", 42)]

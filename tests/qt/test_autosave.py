"""Autosaver with a real RecoveryStore, and the restore prompt shown after a crash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from webr_desktop.core.recovery import Buffer, RecoveryStore
from webr_desktop.models.autosave import Autosaver
from webr_desktop.ui.files.recovery_dialog import ask_restore, restore_message


class Editor:
    """Just the editor's contract the Autosaver uses: a list of unsaved buffers."""

    def __init__(self) -> None:
        self.buffers: list[Buffer] = []
        self.calls = 0

    def unsaved_buffers(self) -> list[Buffer]:
        self.calls += 1
        return list(self.buffers)


@pytest.fixture
def store(tmp_path: Path):
    with RecoveryStore(tmp_path / "recovery") as s:
        yield s


def saved_texts(store: RecoveryStore) -> list[str]:
    """The buffer texts on disk now: what a crash at this moment would leave."""
    return sorted(json.loads(p.read_text(encoding="utf-8"))["text"] for p in store.instance_dir.glob("buffer-*.json"))


def test_saves_a_moment_after_a_change_and_only_then(qtbot, store: RecoveryStore) -> None:
    editor = Editor()
    saver = Autosaver(editor.unsaved_buffers, store, interval_ms=50)
    editor.buffers = [Buffer("t1", "a.R", None, "x <- 1")]
    with qtbot.waitSignal(saver.sig_saved, timeout=2000) as blocker:
        saver.mark_dirty()
        saver.mark_dirty()  # typing on: still one save
    assert blocker.args == [1] and editor.calls == 1 and not saver.dirty
    assert saved_texts(store) == ["x <- 1"]
    with qtbot.assertNotEmitted(saver.sig_saved, wait=150):
        pass  # nothing changed: no wake-ups, no saves
    assert editor.calls == 1
    saver.stop()


def test_flush_saves_now_and_a_removed_buffer_is_dropped(qtbot, store: RecoveryStore) -> None:
    editor = Editor()
    saver = Autosaver(editor.unsaved_buffers, store, interval_ms=60_000)
    editor.buffers = [Buffer("t1", "a.R", None, "one"), Buffer("t2", "b.R", "/p/b.R", "two")]
    saver.mark_dirty()
    assert saver.flush() and len(list(store.instance_dir.glob("buffer-*.json"))) == 2
    editor.buffers = editor.buffers[:1]  # b.R was saved to disk by the user
    saver.mark_dirty()
    saver.flush()
    assert len(list(store.instance_dir.glob("buffer-*.json"))) == 1
    assert saver.flush() and editor.calls == 2  # not dirty: the provider isn't even asked
    saver.stop()


def test_a_failed_save_is_reported_and_retried(qtbot, store: RecoveryStore, monkeypatch) -> None:
    editor = Editor()
    editor.buffers = [Buffer("t1", "a.R", None, "one")]
    saver = Autosaver(editor.unsaved_buffers, store, interval_ms=60_000)

    def full(_buffers):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store, "save", full)
    saver.mark_dirty()
    with qtbot.waitSignal(saver.sig_save_failed) as blocker:
        assert saver.flush() is False
    assert "No space" in blocker.args[0] and saver.dirty
    monkeypatch.undo()
    assert saver.flush() and not saver.dirty
    saver.stop()


def test_after_stop_nothing_is_saved(qtbot, store: RecoveryStore) -> None:
    editor = Editor()
    saver = Autosaver(editor.unsaved_buffers, store, interval_ms=10)
    saver.stop()
    saver.mark_dirty()
    with qtbot.assertNotEmitted(saver.sig_saved, wait=100):
        pass
    assert editor.calls == 0


def test_restore_message_lists_the_titles() -> None:
    buffers = [Buffer("1", "analysis.R", "/p/analysis.R", ""), Buffer("2", "Untitled <1>", None, "")]
    text = restore_message(buffers)
    assert "closed unexpectedly. Restore 2 unsaved files?" in text
    assert "analysis.R" in text and "/p/analysis.R" in text and "Untitled &lt;1&gt;" in text
    assert "Restore 1 unsaved file?" in restore_message(buffers[:1])
    many = restore_message([Buffer(str(i), f"f{i}.R", None, "") for i in range(20)])
    assert "… and 8 more" in many


@pytest.mark.parametrize("button, expected", [("Restore", True), ("Discard", False)])
def test_ask_restore_returns_the_choice(qtbot, button: str, expected: bool) -> None:
    seen: list[str] = []

    def click() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(10, click)
            return
        seen.append(box.text())
        next(b for b in box.buttons() if b.text() == button).click()

    QTimer.singleShot(0, click)
    assert ask_restore(None, [Buffer("1", "analysis.R", None, "x")]) is expected
    assert "Restore 1 unsaved file?" in seen[0]
    assert ask_restore(None, []) is False  # nothing to ask about

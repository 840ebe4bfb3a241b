"""Never lose typing: the real app is killed with SIGKILL and the next start restores the buffer."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from webr_desktop import app as app_module
from webr_desktop.core import paths
from webr_desktop.core.recovery import RecoveryStore

from tests.webengine.driver import ide_window

pytestmark = pytest.mark.webengine

TEXT = "x <- c(1, 2)  # é ✓\n\tsummary(x)\n"


def _user_dirs(root: Path) -> dict[str, str]:
    """Per-user folders of a throwaway user, so the test never touches the real ones."""
    return {name: str(root / name) for name in ("XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME")}


def test_a_killed_app_offers_its_unsaved_buffer_at_the_next_start(shared, qtbot, tmp_path: Path, monkeypatch) -> None:
    dirs = _user_dirs(tmp_path / "user")
    project = tmp_path / "project"
    project.mkdir()
    text_file = tmp_path / "typed.txt"
    text_file.write_bytes(TEXT.encode("utf-8"))
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.webengine.app_typing_child", str(project), str(tmp_path / "s.ini"), str(text_file)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env={**os.environ, **dirs},
    )
    try:
        line = child.stdout.readline()  # blocks until autosave wrote the buffer (or the child died)
        assert line.startswith("SAVED"), f"child said {line!r}, exit {child.poll()}"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL

    for name, value in dirs.items():
        monkeypatch.setenv(name, value)
    offered: list[list] = []

    def _accept(parent, buffers) -> bool:
        offered.append(buffers)
        return True

    monkeypatch.setattr("webr_desktop.ui.files.recovery_dialog.ask_restore", _accept)
    window, _console = ide_window(shared, tmp_path)
    qtbot.addWidget(window)
    window.set_close_guard(lambda: True)  # no "save changes?" prompt when the test closes the window
    app_module.start_recovery(window)
    assert [b.text for b in offered[0]] == [TEXT]
    editor = window.editor.current_editor()
    assert editor is not None and editor.toPlainText() == offered[0][0].text
    assert window.editor.is_dirty(editor)

    window.autosaver.flush()
    window.sig_closing.emit()  # a clean exit (the user discarded the buffer) removes this run's folder
    assert RecoveryStore(paths.recovery_dir()).orphans() == []

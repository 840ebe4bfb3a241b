"""Shows where R's debugger stands in the Source area: the file at its line, or the function's
text in a read-only tab, with the line marked (arrow + background); one marked line at a time."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtGui import QTextCursor

from webr_desktop.models.debugger import Frame
from webr_desktop.ui.editor.code_editor import CodeEditor
from webr_desktop.ui.editor.editor_tabs import EditorTabs


class DebugLocation:
    """Moves the debug line marker between the editor's tabs.

    ``resolve`` turns the R path R reported into the host file to open, or None: R's word is
    not trusted, so only files R itself can see (the open project folders) are opened; any
    other frame shows its function's text instead.
    """

    def __init__(
        self, tabs: EditorTabs, resolve: Callable[[str], Path | None], need_text: Callable[[Frame], None] | None = None,
    ) -> None:
        self._tabs = tabs
        self._resolve = resolve
        self._need_text = need_text  # asks for the function's text of a file not opened
        self._marked: CodeEditor | None = None
        self.last_line: tuple[str, int] | None = None  # (file or tab title, 1-based line) shown last

    def show(self, frame: Frame) -> None:
        """Open the frame's file (or its text) and mark its current line."""
        host = self._resolve(frame.file) if frame.file else None
        if host is not None and host.is_file():
            editor = self._tabs.open_file(host)
            line = frame.line
            where = str(host)
        elif frame.text:
            editor = self._tabs.open_read_only(frame.title, frame.text)
            line = frame.text_line
            where = frame.title
        else:
            if frame.file and self._need_text is not None:
                self._need_text(frame)  # shown again, with its text, when R answers
            editor, line, where = None, None, ""
        if editor is None:
            self.clear()
            return
        if self._marked is not None and self._marked is not editor:
            self._unmark()
        self._marked = editor
        if line is None or not 1 <= line <= editor.blockCount():
            editor.set_debug_line(None)
            self.last_line = (where, 0)
            return
        editor.set_debug_line(line - 1)
        cursor = QTextCursor(editor.document().findBlockByNumber(line - 1))
        editor.setTextCursor(cursor)
        editor.centerCursor()
        self.last_line = (where, line)

    def clear(self) -> None:
        """Debugging ended: no marked line anywhere."""
        self._unmark()
        self.last_line = None

    def _unmark(self) -> None:
        if self._marked is not None:
            try:
                self._marked.set_debug_line(None)
            except RuntimeError:  # its tab was closed
                pass
        self._marked = None

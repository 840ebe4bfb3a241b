"""rstudioapi's document calls, answered from the editor tabs and the console input.

The handlers behind getActiveDocumentContext, insertText, documentOpen, … (registered by
app/panes/rstudioapi.py). They see the panes only through the small protocols below, so this
module holds no widget import. R paths map to host files through the ProjectService, and only
files inside the open project folders (what R itself sees) are opened or saved for R.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from PySide6.QtGui import QTextCursor, QTextDocument

from webr_desktop.core.doc_ranges import parse_ranges
from webr_desktop.models.document_edits import context_of, cursor_for, replace_ranges
from webr_desktop.server.rstudio_api import ApiError, one_arg, text_arg

CONSOLE_ID = "#console"


class TextView(Protocol):
    """What a script tab or the console input offers (a QPlainTextEdit)."""

    def document(self) -> QTextDocument: ...
    def textCursor(self) -> QTextCursor: ...  # noqa: N802 - Qt's name
    def setTextCursor(self, cursor: QTextCursor) -> None: ...  # noqa: N802
    def centerCursor(self) -> None: ...  # noqa: N802
    def setFocus(self) -> None: ...  # noqa: N802


class ScriptTabs(Protocol):
    """The editor tabs (ui/editor/editor_tabs.py)."""

    def editors(self) -> list[Any]: ...
    def current_editor(self) -> Any: ...
    def editor_by_key(self, key: str) -> Any: ...
    def key_of(self, editor: Any) -> str: ...
    def path_of(self, editor: Any) -> Path | None: ...
    def is_dirty(self, editor: Any) -> bool: ...
    def new_file(self, text: str = "") -> Any: ...
    def open_file(self, path: Path) -> Any: ...
    def save(self, editor: Any = None) -> bool: ...


class Console(Protocol):
    input: Any  # the console's input line, a TextView

    def submit(self, text: str) -> None: ...


class ProjectPaths(Protocol):
    folder: Path | None

    def r_path(self, host_path: Path) -> str | None: ...
    def host_path(self, r_path: str) -> Path | None: ...


class DocumentCalls:
    """The document handlers, each ``fn(args) -> value`` (or ApiError)."""

    def __init__(self, editor: ScriptTabs, console: Console, project: ProjectPaths) -> None:
        self.editor, self.console, self.project = editor, console, project

    # ------------------------------------------------------------ paths
    def r_path_of(self, path: Path | None) -> str:
        if path is None:
            return ""
        return self.project.r_path(path) or path.as_posix()

    def host_file(self, args: dict[str, Any], name: str = "path") -> Path:
        """The host file behind the R path R sent, inside an open project folder."""
        r_path = one_arg(args, name, str)
        host = self.project.host_path(r_path) if r_path else None
        try:
            resolved = host.resolve(strict=True) if host is not None else None
        except (OSError, RuntimeError):
            resolved = None
        if resolved is None or self.project.r_path(resolved) is None:
            raise ApiError(f"'{r_path}' is not a file in an open project folder")
        if not resolved.is_file():
            raise ApiError(f"'{r_path}' is not a file")
        return resolved

    # ------------------------------------------------------------ documents
    def target(self, args: dict[str, Any]) -> TextView:
        key = one_arg(args, "id", str)
        found = self.editor.editor_by_key(key) if key else self.editor.current_editor()
        if found is None:
            if key:
                raise ApiError(f"no document with id '{key}'")
            editors = self.editor.editors()
            if not editors:
                raise ApiError("no script is open in the editor")
            found = editors[0]
        return found

    def source_context(self, args: dict[str, Any]) -> dict[str, Any] | None:
        if not one_arg(args, "id", str) and not self.editor.editors():
            return None
        target = self.target(args)
        return context_of(self.editor.key_of(target), self.r_path_of(self.editor.path_of(target)),
                          target.textCursor())

    def console_context(self, _args: dict[str, Any]) -> dict[str, Any]:
        return context_of(CONSOLE_ID, "", self.console.input.textCursor())

    def active_context(self, args: dict[str, Any]) -> dict[str, Any]:
        """The script in front (as Positron does), or the console when no script is open."""
        return self.source_context({}) or self.console_context(args)

    def document_id(self, args: dict[str, Any]) -> str | None:
        current = self.editor.current_editor() or next(iter(self.editor.editors()), None)
        if current is not None:
            return self.editor.key_of(current)
        return CONSOLE_ID if one_arg(args, "allowConsole", bool, True) else None

    def document_path(self, args: dict[str, Any]) -> str:
        return self.r_path_of(self.editor.path_of(self.target(args)))

    def insert_text(self, args: dict[str, Any]) -> None:
        texts = text_arg(args)
        target = self.target(args)
        document = target.document()
        if args.get("ranges") is None:  # the selection (or the cursor)
            cursor = target.textCursor()
            cursor.insertText(texts[0] if texts else "")
            target.setTextCursor(cursor)
            return None
        try:
            ranges = parse_ranges(args["ranges"])
        except ValueError as exc:
            raise ApiError(str(exc)) from None
        if len(texts) != len(ranges):
            raise ApiError("'text' should have length 1 or the same length as 'location'")
        replace_ranges(document, ranges, texts)
        return None

    def set_selection(self, args: dict[str, Any]) -> None:
        try:
            ranges = parse_ranges(args.get("ranges"))
        except ValueError as exc:
            raise ApiError(str(exc)) from None
        target = self.target(args)
        target.setTextCursor(cursor_for(target.document(), ranges[0]))  # one cursor: the first
        target.centerCursor()
        return None

    def _show(self, target: TextView, line: float, column: float) -> None:
        if line > 0:
            col = max(int(column) - 1, 0) if column > 0 else 0
            target.setTextCursor(cursor_for(target.document(), (int(line) - 1, col, int(line) - 1, col)))
            target.centerCursor()
        target.setFocus()

    def document_new(self, args: dict[str, Any]) -> str:
        code = one_arg(args, "code", str, "")
        target = self.editor.new_file(code)
        row, column = one_arg(args, "row", float, 0.0), one_arg(args, "column", float, 0.0)
        self._show(target, row + 1, column + 1)
        if one_arg(args, "execute", bool, False) and code.strip():
            self.console.submit(code)
        return self.editor.key_of(target)

    def document_open(self, args: dict[str, Any]) -> str:
        path = self.host_file(args)
        target = self.editor.open_file(path)
        if target is None:
            raise ApiError(f"'{one_arg(args, 'path', str)}' could not be opened (see the window)")
        if one_arg(args, "moveCursor", bool, True):
            self._show(target, one_arg(args, "line", float, -1.0), one_arg(args, "column", float, -1.0))
        return self.editor.key_of(target)

    def document_save(self, args: dict[str, Any]) -> bool:
        target = self.target(args)
        path = self.editor.path_of(target)
        if path is None:
            return False  # untitled: RStudio's documentSave asks; R may not choose a file
        if self.project.r_path(path) is None:
            raise ApiError(f"'{path.name}' is outside the open project folders: save it from the editor")
        return self.editor.save(target)

    def document_save_all(self, _args: dict[str, Any]) -> bool:
        ok = True
        for target in self.editor.editors():
            path = self.editor.path_of(target)
            if path is not None and self.editor.is_dirty(target) and self.project.r_path(path) is not None:
                ok = self.editor.save(target) and ok
        return ok

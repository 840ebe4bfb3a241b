"""rstudioapi support: R's ``.rs.api.*`` calls (resources/R/gui/rstudioapi.R) answered by the
editor tabs, the console, the project folders and native dialogs.

R calls the loopback route ``api/rstudio`` (server/rstudio_api.py) and waits; the bridge
(models/rstudio_api.py) runs the handlers below in the GUI thread. R can read the route's
secret, so a handler does only what R's own code or the IDE's own commands may: files are
opened and saved only inside the project folders R already sees (R paths map to host paths
through the ProjectService), and dialogs return what the user picked.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from webr_desktop import __version__
from webr_desktop.core import paths
from webr_desktop.core.doc_ranges import parse_ranges
from webr_desktop.core.rcode import r_string
from webr_desktop.server.rstudio_api import (
    CALL_TIMEOUT, DIALOG_TIMEOUT, MAX_BODY, RSTUDIO_PATH, ApiCall, ApiError, RStudioApiRoute,
)

if TYPE_CHECKING:
    from webr_desktop.models.project import ProjectService
    from webr_desktop.models.rstudio_api import RStudioApiBridge
    from webr_desktop.runtime.session import RSession
    from webr_desktop.server.local_server import LocalServer
    from webr_desktop.ui.console.console_pane import ConsolePane
    from webr_desktop.ui.editor.code_editor import CodeEditor
    from webr_desktop.ui.editor.editor_tabs import EditorTabs
    from webr_desktop.ui.main_window import MainWindow

CONSOLE_ID = "#console"
DIALOGS = ("selectFile", "selectDirectory", "showDialog", "showPrompt", "showQuestion", "askForPassword")
CALLS = (
    "getActiveDocumentContext", "getSourceEditorContext", "getConsoleEditorContext", "documentId",
    "documentPath", "insertText", "setSelectionRanges", "documentNew", "documentOpen", "navigateToFile",
    "documentSave", "documentSaveAll", "sendToConsole", "getActiveProject", "restartSession", "getThemeInfo",
)


def _one(args: dict[str, Any], name: str, kind: type, default: Any = None) -> Any:
    """The single value R sent as ``name`` (R sends vectors as JSON arrays)."""
    value = args.get(name, default)
    if isinstance(value, list):
        if len(value) != 1:
            raise ApiError(f"'{name}' must be a single value")
        value = value[0]
    if value is None:
        return default
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise ApiError(f"'{name}' has the wrong type")
    return value


def _texts(args: dict[str, Any]) -> list[str]:
    value = args.get("text")
    if not isinstance(value, list) or not all(isinstance(t, list) and len(t) == 1 and isinstance(t[0], str)
                                              for t in value):
        raise ApiError("'text' must be a character vector")
    return [t[0] for t in value]


class _Calls:
    """The handlers, holding the panes they act on (links made by app/window.py)."""

    def __init__(self, window: MainWindow, session: RSession, project: ProjectService,
                 editor: EditorTabs, console: ConsolePane) -> None:
        self.window, self.session, self.project = window, session, project
        self.editor, self.console = editor, console
        self.restart_command = ""

    # ------------------------------------------------------------ paths
    def r_path_of(self, path: Path | None) -> str:
        if path is None:
            return ""
        return self.project.r_path(path) or path.as_posix()

    def host_file(self, args: dict[str, Any], name: str = "path") -> Path:
        """The host file behind the R path R sent, inside an open project folder."""
        r_path = _one(args, name, str)
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
    def target(self, args: dict[str, Any]) -> CodeEditor:
        key = _one(args, "id", str)
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
        from webr_desktop.models.document_edits import context_of

        if not _one(args, "id", str) and not self.editor.editors():
            return None
        target = self.target(args)
        return context_of(self.editor.key_of(target), self.r_path_of(self.editor.path_of(target)),
                          target.textCursor())

    def console_context(self, _args: dict[str, Any]) -> dict[str, Any]:
        from webr_desktop.models.document_edits import context_of

        return context_of(CONSOLE_ID, "", self.console.input.textCursor())

    def active_context(self, args: dict[str, Any]) -> dict[str, Any]:
        """The script in front (as Positron does), or the console when no script is open."""
        return self.source_context({}) or self.console_context(args)

    def document_id(self, args: dict[str, Any]) -> str | None:
        current = self.editor.current_editor() or next(iter(self.editor.editors()), None)
        if current is not None:
            return self.editor.key_of(current)
        return CONSOLE_ID if _one(args, "allowConsole", bool, True) else None

    def document_path(self, args: dict[str, Any]) -> str:
        return self.r_path_of(self.editor.path_of(self.target(args)))

    def insert_text(self, args: dict[str, Any]) -> None:
        from webr_desktop.models.document_edits import replace_ranges

        texts = _texts(args)
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
        from webr_desktop.models.document_edits import cursor_for

        try:
            ranges = parse_ranges(args.get("ranges"))
        except ValueError as exc:
            raise ApiError(str(exc)) from None
        target = self.target(args)
        target.setTextCursor(cursor_for(target.document(), ranges[0]))  # one cursor: the first
        target.centerCursor()
        return None

    def _show(self, target: CodeEditor, line: float, column: float) -> None:
        from webr_desktop.models.document_edits import cursor_for

        if line > 0:
            col = max(int(column) - 1, 0) if column > 0 else 0
            target.setTextCursor(cursor_for(target.document(), (int(line) - 1, col, int(line) - 1, col)))
            target.centerCursor()
        target.setFocus()

    def document_new(self, args: dict[str, Any]) -> str:
        code = _one(args, "code", str, "")
        target = self.editor.new_file(code)
        row, column = _one(args, "row", float, 0.0), _one(args, "column", float, 0.0)
        self._show(target, row + 1, column + 1)
        if _one(args, "execute", bool, False) and code.strip():
            self.console.submit(code)
        return self.editor.key_of(target)

    def document_open(self, args: dict[str, Any]) -> str:
        path = self.host_file(args)
        target = self.editor.open_file(path)
        if target is None:
            raise ApiError(f"'{_one(args, 'path', str)}' could not be opened (see the window)")
        if _one(args, "moveCursor", bool, True):
            self._show(target, _one(args, "line", float, -1.0), _one(args, "column", float, -1.0))
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

    # ------------------------------------------------------------ console, session, look
    def send_to_console(self, args: dict[str, Any]) -> None:
        code = _one(args, "code", str, "")
        if _one(args, "execute", bool, True):
            self.console.submit(code)  # runs when R asks for input, after the calling command
        else:
            self.console.input.set_text(code)
        if _one(args, "focus", bool, True):
            self.console.input.setFocus()
        return None

    def active_project(self, _args: dict[str, Any]) -> str | None:
        folder = self.project.folder
        return self.project.r_path(folder) if folder is not None else None

    def restart(self, args: dict[str, Any], call: ApiCall) -> None:
        from PySide6.QtCore import QTimer

        self.restart_command = _one(args, "command", str, "")
        call.reply(None)  # R hears back first; then it is restarted
        QTimer.singleShot(0, self.session.restart)

    def on_started(self) -> None:
        command, self.restart_command = self.restart_command, ""
        if command.strip():
            self.console.submit(command)

    def theme(self, _args: dict[str, Any]) -> dict[str, Any]:
        palette = self.editor.palette()
        base, text = palette.color(palette.ColorRole.Base), palette.color(palette.ColorRole.Text)
        return {"editor": "webR Desktop", "global": "Default", "dark": base.lightness() < 128,
                "foreground": text.name(), "background": base.name()}

    # ------------------------------------------------------------ dialogs
    def start_dir(self, r_path: str) -> str:
        host = self.project.host_path(r_path) if r_path else None
        if host is None or not host.exists():
            host = self.project.folder
        return str(host) if host is not None else ""

    def picked(self, call: ApiCall, host: str | None) -> None:
        if host is None:
            return call.reply(None)
        r_path = self.project.r_path(Path(host))
        if r_path is None:
            return call.fail(f"{host} is outside the open project folders, so R can't see it: "
                             "open its folder first (File \u25b8 Open Folder\u2026)")
        return call.reply(r_path)

    def select_file(self, args: dict[str, Any], call: ApiCall) -> None:
        from webr_desktop.ui.rstudioapi.dialogs import ask_file

        ask_file(self.window, _one(args, "caption", str, "Select File"), _one(args, "label", str, ""),
                 self.start_dir(_one(args, "path", str, "")), _one(args, "filter", str, ""),
                 _one(args, "existing", bool, True), lambda host: self.picked(call, host))

    def select_directory(self, args: dict[str, Any], call: ApiCall) -> None:
        from webr_desktop.ui.rstudioapi.dialogs import ask_directory

        ask_directory(self.window, _one(args, "caption", str, "Select Directory"), _one(args, "label", str, ""),
                      self.start_dir(_one(args, "path", str, "")), lambda host: self.picked(call, host))

    def show_dialog(self, args: dict[str, Any], call: ApiCall) -> None:
        from webr_desktop.ui.rstudioapi.dialogs import show_message

        show_message(self.window, _one(args, "title", str, ""), _one(args, "message", str, ""),
                     _one(args, "url", str, ""), lambda: call.reply(None))

    def show_question(self, args: dict[str, Any], call: ApiCall) -> None:
        from webr_desktop.ui.rstudioapi.dialogs import ask_question

        ask_question(self.window, _one(args, "title", str, ""), _one(args, "message", str, ""),
                     _one(args, "ok", str, ""), _one(args, "cancel", str, ""), call.reply)

    def show_prompt(self, args: dict[str, Any], call: ApiCall) -> None:
        from webr_desktop.ui.rstudioapi.dialogs import ask_text

        ask_text(self.window, _one(args, "title", str, ""), _one(args, "message", str, ""),
                 _one(args, "default", str, ""), False, call.reply)

    def ask_password(self, args: dict[str, Any], call: ApiCall) -> None:
        from webr_desktop.ui.rstudioapi.dialogs import ask_text

        ask_text(self.window, "Password", _one(args, "prompt", str, ""), "", True, call.reply)


def add_rstudioapi(
    window: MainWindow, session: RSession, project: ProjectService, server: LocalServer,
    editor: EditorTabs, console: ConsolePane,
) -> RStudioApiBridge:
    """Serve rstudioapi's calls from R with ``editor`` and ``console``; R learns where to call
    at every R start (GUI only: ``webr-desktop run`` leaves rstudioapi unavailable)."""
    from webr_desktop.models.rstudio_api import RStudioApiBridge

    route = RStudioApiRoute({**dict.fromkeys(CALLS, CALL_TIMEOUT), **dict.fromkeys(DIALOGS, DIALOG_TIMEOUT)})
    server.add_handler(RSTUDIO_PATH, route.handle, max_body=MAX_BODY)
    bridge = RStudioApiBridge(route, window)
    calls = _Calls(window, session, project, editor, console)
    for name, fn in {
        "getActiveDocumentContext": calls.active_context, "getSourceEditorContext": calls.source_context,
        "getConsoleEditorContext": calls.console_context, "documentId": calls.document_id,
        "documentPath": calls.document_path, "insertText": calls.insert_text,
        "setSelectionRanges": calls.set_selection, "documentNew": calls.document_new,
        "documentOpen": calls.document_open, "navigateToFile": calls.document_open,
        "documentSave": calls.document_save, "documentSaveAll": calls.document_save_all,
        "sendToConsole": calls.send_to_console, "getActiveProject": calls.active_project,
        "getThemeInfo": calls.theme,
    }.items():
        bridge.register_sync(name, fn)
    for name, handler in {
        "restartSession": calls.restart, "selectFile": calls.select_file,
        "selectDirectory": calls.select_directory, "showDialog": calls.show_dialog,
        "showQuestion": calls.show_question, "showPrompt": calls.show_prompt, "askForPassword": calls.ask_password,
    }.items():
        bridge.register(name, handler)

    resources = paths.resources_dir()
    setup = "\n".join([
        (resources / "R" / "gui" / "rstudioapi.R").read_text(encoding="utf-8"),
        f".wd.rstudioapi_start({r_string(server.url(RSTUDIO_PATH))}, "
        f"{r_string((resources / 'worker' / 'rstudio_call.js').read_text(encoding='utf-8'))}, {r_string(__version__)})",
    ])

    def _on_started(*_args: object) -> None:
        session.eval(setup)
        calls.on_started()

    session.sig_started.connect(_on_started)
    if session.info is not None:
        session.eval(setup)
    return bridge

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
from webr_desktop.core.rcode import r_string
from webr_desktop.server.rstudio_api import (
    CALL_TIMEOUT, DIALOG_TIMEOUT, MAX_BODY, RSTUDIO_PATH, ApiCall, RStudioApiRoute, one_arg,
)

if TYPE_CHECKING:
    from webr_desktop.models.project import ProjectService
    from webr_desktop.models.rstudio_api import RStudioApiBridge
    from webr_desktop.models.rstudio_documents import DocumentCalls
    from webr_desktop.runtime.session import RSession
    from webr_desktop.server.local_server import LocalServer
    from webr_desktop.ui.console.console_pane import ConsolePane
    from webr_desktop.ui.editor.editor_tabs import EditorTabs
    from webr_desktop.ui.main_window import MainWindow

DIALOGS = ("selectFile", "selectDirectory", "showDialog", "showPrompt", "showQuestion", "askForPassword")
CALLS = (
    "getActiveDocumentContext", "getSourceEditorContext", "getConsoleEditorContext", "documentId",
    "documentPath", "insertText", "setSelectionRanges", "documentNew", "documentOpen", "navigateToFile",
    "documentSave", "documentSaveAll", "sendToConsole", "getActiveProject", "restartSession", "getThemeInfo",
)


class _Calls:
    """The console, session, look and dialog handlers (documents: models/rstudio_documents.py)."""

    def __init__(self, window: MainWindow, session: RSession, project: ProjectService,
                 editor: EditorTabs, console: ConsolePane) -> None:
        self.window, self.session, self.project = window, session, project
        self.editor, self.console = editor, console
        self.restart_command = ""

    # ------------------------------------------------------------ console, session, look
    def send_to_console(self, args: dict[str, Any]) -> None:
        code = one_arg(args, "code", str, "")
        if one_arg(args, "execute", bool, True):
            self.console.submit(code)  # runs when R asks for input, after the calling command
        else:
            self.console.input.set_text(code)
        if one_arg(args, "focus", bool, True):
            self.console.input.setFocus()
        return None

    def active_project(self, _args: dict[str, Any]) -> str | None:
        folder = self.project.folder
        return self.project.r_path(folder) if folder is not None else None

    def restart(self, args: dict[str, Any], call: ApiCall) -> None:
        from PySide6.QtCore import QTimer

        self.restart_command = one_arg(args, "command", str, "")
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

        ask_file(self.window, one_arg(args, "caption", str, "Select File"), one_arg(args, "label", str, ""),
                 self.start_dir(one_arg(args, "path", str, "")), one_arg(args, "filter", str, ""),
                 one_arg(args, "existing", bool, True), lambda host: self.picked(call, host))

    def select_directory(self, args: dict[str, Any], call: ApiCall) -> None:
        from webr_desktop.ui.rstudioapi.dialogs import ask_directory

        ask_directory(self.window, one_arg(args, "caption", str, "Select Directory"), one_arg(args, "label", str, ""),
                      self.start_dir(one_arg(args, "path", str, "")), lambda host: self.picked(call, host))

    def show_dialog(self, args: dict[str, Any], call: ApiCall) -> None:
        from webr_desktop.ui.rstudioapi.dialogs import show_message

        show_message(self.window, one_arg(args, "title", str, ""), one_arg(args, "message", str, ""),
                     one_arg(args, "url", str, ""), lambda: call.reply(None))

    def show_question(self, args: dict[str, Any], call: ApiCall) -> None:
        from webr_desktop.ui.rstudioapi.dialogs import ask_question

        ask_question(self.window, one_arg(args, "title", str, ""), one_arg(args, "message", str, ""),
                     one_arg(args, "ok", str, ""), one_arg(args, "cancel", str, ""), call.reply)

    def show_prompt(self, args: dict[str, Any], call: ApiCall) -> None:
        from webr_desktop.ui.rstudioapi.dialogs import ask_text

        ask_text(self.window, one_arg(args, "title", str, ""), one_arg(args, "message", str, ""),
                 one_arg(args, "default", str, ""), False, call.reply)

    def ask_password(self, args: dict[str, Any], call: ApiCall) -> None:
        from webr_desktop.ui.rstudioapi.dialogs import ask_text

        ask_text(self.window, "Password", one_arg(args, "prompt", str, ""), "", True, call.reply)


def add_rstudioapi(
    window: MainWindow, session: RSession, project: ProjectService, server: LocalServer,
    editor: EditorTabs, console: ConsolePane,
) -> RStudioApiBridge:
    """Serve rstudioapi's calls from R with ``editor`` and ``console``; R learns where to call
    at every R start (GUI only: ``webr-desktop run`` leaves rstudioapi unavailable)."""
    from webr_desktop.models.rstudio_api import RStudioApiBridge
    from webr_desktop.models.rstudio_documents import DocumentCalls

    route = RStudioApiRoute({**dict.fromkeys(CALLS, CALL_TIMEOUT), **dict.fromkeys(DIALOGS, DIALOG_TIMEOUT)})
    server.add_handler(RSTUDIO_PATH, route.handle, max_body=MAX_BODY)
    bridge = RStudioApiBridge(route, window)
    calls = _Calls(window, session, project, editor, console)
    docs = DocumentCalls(editor, console, project)
    for name, fn in {
        "getActiveDocumentContext": docs.active_context, "getSourceEditorContext": docs.source_context,
        "getConsoleEditorContext": docs.console_context, "documentId": docs.document_id,
        "documentPath": docs.document_path, "insertText": docs.insert_text,
        "setSelectionRanges": docs.set_selection, "documentNew": docs.document_new,
        "documentOpen": docs.document_open, "navigateToFile": docs.document_open,
        "documentSave": docs.document_save, "documentSaveAll": docs.document_save_all,
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

"""EditorTabs: R scripts in tabs, with files kept byte-faithful and unsaved work recoverable.

Files are read and written as UTF-8; their line endings (CRLF stays CRLF), a UTF-8 BOM and the
presence of a final newline survive a save. A file that is not UTF-8 is not opened (a message
says why), so it can never be overwritten with mangled text. Running code is only requested
here (``sig_run_code``, ``sig_source_requested``): the app wires it to the console and R.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QTimer, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QTextCursor
from PySide6.QtWidgets import QFileDialog, QMessageBox, QTabWidget, QVBoxLayout, QWidget

from webr_desktop.core.recovery import Buffer
from webr_desktop.ui.editor.code_editor import CodeEditor
from webr_desktop.ui.editor.completer import CompletionSource
from webr_desktop.ui.editor.find_bar import FindBar

FILE_FILTER = "R scripts (*.R *.r);;All files (*)"
BUFFERS_DEBOUNCE_MS = 500
_keys = itertools.count(1)


@dataclass
class _TabState:
    key: str  # stable for the tab's life (crash recovery)
    path: Path | None
    title: str  # without the dirty marker
    newline: str = "\n"
    bom: bool = False


def read_text_file(path: Path) -> tuple[str, str, bool]:
    """(text with \\n line ends, the file's line end, had a BOM); UnicodeDecodeError if not UTF-8."""
    raw = path.read_bytes()
    bom = raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig" if bom else "utf-8")
    newline = "\r\n" if "\r\n" in text else "\n"
    return text.replace("\r\n", "\n"), newline, bom


def write_text_file(path: Path, text: str, newline: str = "\n", bom: bool = False) -> None:
    """Write ``text`` (\\n line ends) as UTF-8 with the given line end, via a temporary file."""
    data = text.replace("\n", newline).encode("utf-8")
    if bom:
        data = b"\xef\xbb\xbf" + data
    tmp = path.with_name(f".{path.name}.wd-tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


class EditorTabs(QWidget):
    """CodeEditors in a QTabWidget, with a find bar and file actions.

    Alone it owns its tab widget (above the find bar). Given ``tabs`` (the Source area's),
    it shares them with other kinds of page, acts only on its CodeEditors, and is itself
    just the find bar's strip, which the owner places below the tabs.
    """

    sig_run_code = Signal(str)  # run this in the console
    sig_source_requested = Signal(object, str, bool)  # (path str or None, text, echo)
    sig_buffers_changed = Signal()  # some tab's text or dirty state changed (debounced)
    sig_current_file_changed = Signal(object)  # path str or None of the shown tab
    sig_raise_requested = Signal()  # a script was opened or asked for: show it

    def __init__(
        self, completions: CompletionSource | None = None, parent: QWidget | None = None,
        tabs: QTabWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._completions = completions
        self._states: dict[CodeEditor, _TabState] = {}
        self._untitled = itertools.count(1)
        self.find_bar = FindBar(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        if tabs is None:
            tabs = QTabWidget(self)
            tabs.setTabsClosable(True)
            tabs.setMovable(True)
            tabs.setDocumentMode(True)
            layout.addWidget(tabs, 1)
        self.tabs = tabs
        layout.addWidget(self.find_bar)
        self._buffers_timer = QTimer(self, singleShot=True, interval=BUFFERS_DEBOUNCE_MS)
        self._buffers_timer.timeout.connect(self.sig_buffers_changed)
        self.tabs.tabCloseRequested.connect(lambda i: self.close_tab(i))
        self.tabs.currentChanged.connect(self._on_tabs_current_changed)
        self._actions = self._make_actions()

    # ------------------------------------------------------------------ completions
    def set_completions(self, completions: CompletionSource | None) -> None:
        self._completions = completions
        for editor in self._states:
            editor.set_completions(completions)

    # ------------------------------------------------------------------ tabs
    def editors(self) -> list[CodeEditor]:
        """The script tabs, in tab order (a shared tab widget also holds other pages)."""
        return [w for w in (self.tabs.widget(i) for i in range(self.tabs.count())) if isinstance(w, CodeEditor)]

    def current_editor(self) -> CodeEditor | None:
        widget = self.tabs.currentWidget()
        return widget if isinstance(widget, CodeEditor) else None

    def path_of(self, editor: CodeEditor) -> Path | None:
        return self._states[editor].path

    def key_of(self, editor: CodeEditor) -> str:
        """The tab's id, stable for its life (rstudioapi's document id)."""
        return self._states[editor].key

    def editor_by_key(self, key: str) -> CodeEditor | None:
        return next((e for e, s in self._states.items() if s.key == key), None)

    def is_dirty(self, editor: CodeEditor) -> bool:
        return editor.document().isModified()

    def new_file(self, text: str = "") -> CodeEditor:
        """Ctrl+N: an untitled script."""
        return self._add_tab(text, _TabState(str(next(_keys)), None, f"Untitled{next(self._untitled)}"))

    def open_file(self, path: Path, line: int = 0) -> CodeEditor | None:
        """Open ``path`` in a tab (or show its tab if open), at ``line`` (1-based) if given;
        None if it can't be read."""
        editor = self._open_file(path)
        if editor is not None and 0 < line <= editor.blockCount():
            editor.setTextCursor(QTextCursor(editor.document().findBlockByNumber(line - 1)))
            editor.centerCursor()
        return editor

    def _open_file(self, path: Path) -> CodeEditor | None:
        path = Path(path).resolve()
        for editor, state in self._states.items():
            if state.path == path:
                self.tabs.setCurrentWidget(editor)
                self.sig_raise_requested.emit()
                return editor
        try:
            text, newline, bom = read_text_file(path)
        except UnicodeDecodeError:
            QMessageBox.warning(self, "Open file", f"{path.name} is not UTF-8 text, so it was not opened "
                                "(saving it from the editor could damage it). Convert it to UTF-8 first.")
            return None
        except OSError as exc:
            QMessageBox.warning(self, "Open file", f"{path} could not be read: {exc.strerror or exc}")
            return None
        return self._add_tab(text, _TabState(str(next(_keys)), path, path.name, newline, bom))

    def open_read_only(self, title: str, text: str) -> CodeEditor:
        """A read-only tab of ``text`` (the debugger's code without a file); the same title
        and text show the tab already open."""
        for editor, state in self._states.items():
            if state.path is None and state.title == title and editor.isReadOnly() and editor.toPlainText() == text:
                self.tabs.setCurrentWidget(editor)
                self.sig_raise_requested.emit()
                return editor
        editor = self._add_tab(text, _TabState(str(next(_keys)), None, title))
        editor.setReadOnly(True)
        return editor

    def _add_tab(self, text: str, state: _TabState) -> CodeEditor:
        editor = CodeEditor(self._completions, self)
        editor.setPlainText(text)
        editor.document().setModified(False)
        self._states[editor] = state
        editor.sig_run_code.connect(self.sig_run_code)
        editor.sig_source_requested.connect(lambda echo, e=editor: self.source(e, echo))
        editor.document().modificationChanged.connect(lambda _m, e=editor: self._refresh_title(e))
        editor.document().contentsChanged.connect(self._on_editor_contents_changed)
        index = self.tabs.addTab(editor, state.title)
        self._refresh_title(editor)
        self.tabs.setCurrentIndex(index)
        editor.setFocus()
        self.sig_raise_requested.emit()
        return editor

    def follow_rename(self, old: Path, new: Path) -> None:
        """A file or folder was renamed on disk (Files pane): tabs of files in it follow."""
        for editor, state in self._states.items():
            if state.path is None:
                continue
            if state.path == old or old in state.path.parents:
                state.path = new / state.path.relative_to(old)
                state.title = state.path.name
                self._refresh_title(editor)

    def mark_deleted(self, paths: list[Path]) -> None:
        """Files (or folders) were deleted: their open tabs become unsaved, so closing asks
        before the text is lost and autosave keeps it."""
        for editor, state in self._states.items():
            if state.path is not None and any(state.path == p or p in state.path.parents for p in paths):
                editor.document().setModified(True)

    def _refresh_title(self, editor: CodeEditor) -> None:
        state = self._states.get(editor)
        index = self.tabs.indexOf(editor)
        if state is None or index < 0:
            return
        self.tabs.setTabText(index, state.title + (" *" if editor.document().isModified() else ""))
        self.tabs.setTabToolTip(index, str(state.path) if state.path else state.title)
        self._buffers_timer.start()

    def _on_editor_contents_changed(self) -> None:
        self._buffers_timer.start()

    def _on_tabs_current_changed(self, _index: int) -> None:
        editor = self.current_editor()
        self.find_bar.set_editor(editor)
        if editor is None:  # e.g. a data tab came to the front: find is for scripts
            self.find_bar.hide()
        state = self._states.get(editor) if editor else None
        self.sig_current_file_changed.emit(str(state.path) if state and state.path else None)

    # ------------------------------------------------------------------ saving
    def save(self, editor: CodeEditor | None = None) -> bool:
        """Ctrl+S: save to the tab's file (asks for one if untitled); False if not saved."""
        editor = editor or self.current_editor()
        if editor is None:
            return False
        state = self._states[editor]
        if state.path is None:
            return self.save_as(editor)
        return self._write(editor, state.path)

    def save_as(self, editor: CodeEditor | None = None, path: Path | None = None) -> bool:
        """Save As (Ctrl+Alt+Shift+S): to a file the user picks (or ``path``)."""
        editor = editor or self.current_editor()
        if editor is None:
            return False
        if path is None:
            state = self._states[editor]
            start = str(state.path) if state.path else state.title + ".R"
            chosen, _ = QFileDialog.getSaveFileName(self, "Save R script", start, FILE_FILTER)
            if not chosen:
                return False
            path = Path(chosen)
        return self._write(editor, Path(path).resolve())

    def _write(self, editor: CodeEditor, path: Path) -> bool:
        state = self._states[editor]
        try:
            write_text_file(path, editor.toPlainText(), state.newline, state.bom)
        except OSError as exc:
            QMessageBox.warning(self, "Save file", f"{path} could not be saved: {exc.strerror or exc}\n"
                                "The text is still in the editor.")
            return False
        state.path, state.title = path, path.name
        editor.document().setModified(False)
        self._refresh_title(editor)
        self._on_tabs_current_changed(self.tabs.currentIndex())
        return True

    # ------------------------------------------------------------------ closing
    def close_tab(self, index: int | None = None) -> bool:
        """Ctrl+W: close a tab, asking to save if it has changes; False if cancelled."""
        index = self.tabs.currentIndex() if index is None else index
        editor = self.tabs.widget(index)
        if not isinstance(editor, CodeEditor):
            return False
        if not self._confirm_close(editor):
            return False
        self.tabs.removeTab(self.tabs.indexOf(editor))
        del self._states[editor]
        editor.deleteLater()
        self._buffers_timer.start()
        return True

    def _confirm_close(self, editor: CodeEditor) -> bool:
        if not editor.document().isModified():
            return True
        self.tabs.setCurrentWidget(editor)
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.question(
            self, "Save changes?", f"Save the changes to {self._states[editor].title}?",
            buttons.Save | buttons.Discard | buttons.Cancel, buttons.Save,
        )
        if answer == buttons.Save:
            return self.save(editor)
        return answer == buttons.Discard

    def maybe_close_all(self) -> bool:
        """For app exit: ask about each tab with changes; False if the user cancelled."""
        return all(self._confirm_close(editor) for editor in self.editors())

    # ------------------------------------------------------------------ running
    def run_current(self) -> None:
        editor = self.current_editor()
        if editor is not None:
            editor.run_current()

    def source(self, editor: CodeEditor | None = None, echo: bool = True) -> None:
        """Ask for the whole script to be sourced; a dirty file with a path is saved first."""
        editor = editor or self.current_editor()
        if editor is None:
            return
        state = self._states[editor]
        if state.path is not None and editor.document().isModified() and not self.save(editor):
            return
        path = str(state.path) if state.path else None
        self.sig_source_requested.emit(path, editor.toPlainText(), echo)

    # ------------------------------------------------------------------ crash recovery
    def unsaved_buffers(self) -> list[Buffer]:
        """The tabs with changes, for the autosave store."""
        out = []
        for editor in self.editors():
            if editor.document().isModified():
                state = self._states[editor]
                out.append(Buffer(state.key, state.title, str(state.path) if state.path else None,
                                  editor.toPlainText()))
        return out

    def restore_buffers(self, buffers: list[Buffer]) -> None:
        """Reopen recovered buffers as tabs with changes (a file's tab keeps its path)."""
        for buf in buffers:
            path = Path(buf.path) if buf.path else None
            newline, bom = "\n", False
            if path is not None and path.exists():
                try:
                    _text, newline, bom = read_text_file(path)
                except (OSError, UnicodeDecodeError):
                    pass
            title = path.name if path else buf.title
            editor = self._add_tab(buf.text, _TabState(buf.key, path, title, newline, bom))
            editor.document().setModified(True)

    # ------------------------------------------------------------------ actions
    def menu_actions(self) -> list[QAction]:
        """File and Code menu actions (None entries are not used; separators are actions)."""
        return list(self._actions)

    def _make_actions(self) -> list[QAction]:
        def act(text: str, keys, slot, context=Qt.ShortcutContext.WindowShortcut, here: bool = True) -> QAction:
            action = QAction(text, self)
            if keys:
                action.setShortcuts(keys if isinstance(keys, list) else [QKeySequence(keys)])
            action.setShortcutContext(context)
            action.triggered.connect(slot)
            if here:
                self.addAction(action)
            return action

        def sep() -> QAction:
            action = QAction(self)
            action.setSeparator(True)
            return action

        in_editor = Qt.ShortcutContext.WidgetWithChildrenShortcut
        menu_only = Qt.ShortcutContext.WidgetShortcut  # the editor handles these keys itself
        return [
            act("&New R Script", QKeySequence.StandardKey.New, lambda: self.new_file()),
            act("&Open File…", QKeySequence.StandardKey.Open, self.open_dialog),
            act("&Save", QKeySequence.StandardKey.Save, lambda: self.save()),
            act("Save &As…", "Ctrl+Alt+Shift+S", lambda: self.save_as()),
            act("&Close", "Ctrl+W", self._close_front_tab),
            sep(),
            act("&Find…", QKeySequence.StandardKey.Find, lambda: self.open_find(False), in_editor),
            act("&Replace…", "Ctrl+H", lambda: self.open_find(True), in_editor),
            sep(),
            act("&Run Line or Selection", "Ctrl+Return", self.run_current, menu_only, False),
            act("Source with &Echo", "Ctrl+Shift+Return", lambda: self.source(echo=True), menu_only, False),
            act("&Source", "Ctrl+Shift+S", lambda: self.source(echo=False), menu_only, False),
            act("&Comment/Uncomment Lines", "Ctrl+Shift+C", self._toggle_comment, menu_only, False),
        ]

    def _close_front_tab(self) -> None:
        """Ctrl+W closes the tab in front whatever its kind: its owner answers the request."""
        if self.tabs.currentIndex() >= 0:
            self.tabs.tabCloseRequested.emit(self.tabs.currentIndex())

    def open_dialog(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Open R script", "", FILE_FILTER)
        for path in paths:
            self.open_file(Path(path))

    def open_find(self, replace: bool = False) -> None:
        """Ctrl+F / Ctrl+H in the script in front (not over a data tab: it has its filter)."""
        editor = self.current_editor()
        if editor is None:
            return
        self.find_bar.set_editor(editor)
        self.find_bar.open_bar(replace)

    def _toggle_comment(self) -> None:
        editor = self.current_editor()
        if editor is not None:
            editor.toggle_comment()

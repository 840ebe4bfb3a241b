"""A real app process for the crash-recovery test: the IDE as ``open_ide`` builds it, a new
editor tab with text typed into it; prints SAVED once autosave wrote it, then runs until killed.

Usage: python -m tests.webengine.app_typing_child FOLDER SETTINGS_INI TEXT_FILE
"""

from __future__ import annotations

import sys
from pathlib import Path

from webr_desktop.runtime.engine import configure_engine


def main() -> int:
    folder, ini, text_file = (Path(a) for a in sys.argv[1:4])
    configure_engine(headless=True)
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from webr_desktop.app import open_ide
    from webr_desktop.core.runtime_assets import check_runtime

    app = QApplication(sys.argv[:1])
    services, window, _console = open_ide(check_runtime(), QSettings(str(ini), QSettings.Format.IniFormat), folder)
    window.autosaver.sig_saved.connect(lambda n: print(f"SAVED {n}", flush=True))
    editor = window.editor.new_file()
    editor.insertPlainText(text_file.read_text(encoding="utf-8"))  # as typing does
    app.aboutToQuit.connect(services.shutdown)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())

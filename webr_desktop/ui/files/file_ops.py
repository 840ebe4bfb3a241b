"""The disk operations behind the Files pane's commands, free of dialogs so tests can drive them.

Names are checked (core.file_names) before anything is touched; every function raises
OSError with a message fit for the user when the disk says no.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from PySide6.QtCore import QFile

from webr_desktop.core.file_names import name_problem


class FileOpError(OSError):
    """A refused name or a failed operation, worded for a message box."""


def _checked(folder: Path, name: str, current: Path | None = None) -> Path:
    problem = name_problem(folder, name, current=current)
    if problem:
        raise FileOpError(problem)
    return folder / name


def create_file(folder: Path, name: str) -> Path:
    """An empty file ``folder/name`` (never overwriting one created meanwhile)."""
    target = _checked(folder, name)
    try:
        with open(target, "x", encoding="utf-8"):
            pass
    except OSError as exc:
        raise FileOpError(f"Could not create “{name}”: {exc.strerror or exc}") from exc
    return target


def create_folder(folder: Path, name: str) -> Path:
    target = _checked(folder, name)
    try:
        target.mkdir()
    except OSError as exc:
        raise FileOpError(f"Could not create “{name}”: {exc.strerror or exc}") from exc
    return target


def rename(path: Path, name: str) -> Path:
    """``path`` renamed to ``name`` in the same folder (no overwriting)."""
    target = _checked(path.parent, name, current=path)
    if target == path:
        return path
    try:
        os.rename(path, target)
    except OSError as exc:
        raise FileOpError(f"Could not rename “{path.name}”: {exc.strerror or exc}") from exc
    return target


def move_to_trash(path: Path) -> bool:
    """True if ``path`` is now in the system trash; False where there is none (or it failed)."""
    result = QFile.moveToTrash(str(path))
    ok = result[0] if isinstance(result, tuple) else result
    return bool(ok) and not os.path.lexists(path)


def delete_permanently(path: Path) -> None:
    """Remove a file, a symlink (not its target) or a whole folder."""
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    except OSError as exc:
        raise FileOpError(f"Could not delete “{path.name}”: {exc.strerror or exc}") from exc


def top_level(paths: list[Path]) -> list[Path]:
    """``paths`` without those inside another one (deleting a folder takes its contents)."""
    unique = sorted(set(paths), key=lambda p: len(p.parts))
    kept: list[Path] = []
    for path in unique:
        if not any(path.is_relative_to(k) for k in kept):
            kept.append(path)
    return kept

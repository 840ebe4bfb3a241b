"""Checks for a file or folder name the user typed, before anything touches the disk.

The Files pane creates and renames only inside the folder shown, so a name must be one plain
path component: no separators, no ``.``/``..``, and nothing Windows would refuse, so a project
stays portable.
"""

from __future__ import annotations

from pathlib import Path

_WINDOWS_FORBIDDEN = set('<>:"|?*')
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                     *(f"LPT{i}" for i in range(1, 10))}


def name_problem(folder: Path, name: str, *, current: Path | None = None) -> str | None:
    """Why ``name`` can't be created in ``folder`` (None if it can).

    ``current`` is the item being renamed: giving it its own name (or another case of it)
    is not a clash.
    """
    if not name.strip():
        return "The name is empty."
    if name != name.strip():
        return "The name can't start or end with a space."
    if "/" in name or "\\" in name:
        return "The name can't contain “/” or “\\”: it must be a name, not a path."
    if name in (".", ".."):
        return f"“{name}” is not a usable name."
    if "\0" in name or any(ord(c) < 32 for c in name):
        return "The name can't contain control characters."
    bad = sorted(_WINDOWS_FORBIDDEN & set(name))
    if bad:
        return "The name can't contain " + " ".join(f"“{c}”" for c in bad) + " (not allowed on Windows)."
    if name.endswith("."):
        return "The name can't end with a dot (not allowed on Windows)."
    if name.split(".")[0].upper() in _WINDOWS_RESERVED:
        return f"“{name}” is a reserved device name on Windows."
    if len(name.encode("utf-8")) > 255:
        return "The name is too long."
    target = folder / name
    if target.exists() or target.is_symlink():
        if current is not None and _same(target, current):
            return None
        kind = "folder" if target.is_dir() else "file"
        return f"A {kind} named “{name}” already exists in {folder.name or folder}."
    return None


def _same(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return False

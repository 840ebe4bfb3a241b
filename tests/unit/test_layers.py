"""Layer rule import-linter can't express: no QtWidgets below the ui/ layer."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "webr_desktop"
BELOW_UI = ("core", "server", "net", "runtime", "models")


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_no_qtwidgets_below_the_ui_layer() -> None:
    offenders = [
        str(path.relative_to(PACKAGE))
        for layer in BELOW_UI
        for path in (PACKAGE / layer).rglob("*.py")
        if any(name.startswith("PySide6.QtWidgets") for name in _imported_modules(path))
    ]
    assert offenders == []


def test_the_composition_root_stays_readable() -> None:
    """One wiring module per pane keeps each short (issue 12: none over 250 lines)."""
    long = {
        str(path.relative_to(PACKAGE)): n
        for path in (PACKAGE / "app").rglob("*.py")
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > 250
    }
    assert long == {}

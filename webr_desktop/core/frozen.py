"""Running from a PyInstaller bundle: child commands and the environment of outside programs.

In a bundle ``sys.executable`` is the app's own binary, not a Python, so ``python -m …``
can't start a child: the app re-invokes itself with a private flag that ``cli.main`` hands
to the child's ``main()``. The bundle's bootloader also points ``LD_LIBRARY_PATH`` at the
bundle's libraries; a file manager or browser started with that would load our Qt and
crash, so outside programs get the variable as it was before the bootloader set it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from pathlib import Path

PROXY_CHILD_FLAG = "--webr-desktop-proxy-child"  # private: never shown in --help
_LIB_VARS = ("LD_LIBRARY_PATH",)


def is_frozen() -> bool:
    """True inside a PyInstaller bundle."""
    return bool(getattr(sys, "frozen", False)) and hasattr(sys, "_MEIPASS")


def bundle_dir() -> Path | None:
    """The bundle's folder of libraries and data (``_internal``), or None from source."""
    return Path(sys._MEIPASS) if is_frozen() else None  # type: ignore[attr-defined]


def proxy_child_command() -> tuple[str, list[str]]:
    """Program and arguments that start the network proxy child (see net.proxy_main)."""
    if is_frozen():
        return sys.executable, [PROXY_CHILD_FLAG]
    return sys.executable, ["-m", "webr_desktop.net.proxy_main"]


def outside_environment(env: MutableMapping[str, str]) -> MutableMapping[str, str]:
    """``env`` with the library path as the user had it (PyInstaller keeps it in ``*_ORIG``).

    Changes ``env`` in place and returns it; outside a bundle it is left as it is.
    """
    if not is_frozen():
        return env
    for name in _LIB_VARS:
        original = env.get(name + "_ORIG")
        if original is not None:
            env[name] = original
        else:
            env.pop(name, None)
    return env


@contextmanager
def outside_program_environment() -> Iterator[None]:
    """Within the block, programs this process starts see the user's library path.

    For launchers that read the process environment themselves (QDesktopServices spawning
    xdg-open); the bundle's value is put back afterwards for our own children.
    """
    if not is_frozen():
        yield
        return
    saved = {name: os.environ.get(name) for name in _LIB_VARS}
    outside_environment(os.environ)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

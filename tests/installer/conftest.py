"""The built bundle and packages (``make installer``), run the way a user without Python would.

Every test runs a *copy* of ``dist/webr-desktop`` in a temp folder with
``env -i HOME=<tmp> LANG=C.UTF-8 PATH=/usr/bin:/bin`` (no venv, no Python on PATH), so
nothing from the checkout or the dev venv can stand in for what the bundle carries.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "dist"
BUNDLE = DIST / "webr-desktop"
APP_ID = "io.github.webrdesktop.WebRDesktop"
RUN_TIMEOUT = 180  # s; a run takes ~5 s here, only a hang reaches this


MARKS = [pytest.mark.installer, pytest.mark.timeout(RUN_TIMEOUT * 2)]  # each module's pytestmark


def built(pattern: str) -> Path:
    """The one file in dist/ matching ``pattern``; fails (not skips) if `make installer` didn't run."""
    found = sorted(DIST.glob(pattern))
    if len(found) != 1:
        pytest.fail(f"expected one dist/{pattern}, found {len(found)}: run `make installer`")
    return found[0]


def clean_env(home: Path, **extra: str) -> list[str]:
    """``env -i`` prefix: the user's bare minimum, plus e.g. DISPLAY."""
    pairs = {"HOME": str(home), "LANG": "C.UTF-8", "PATH": "/usr/bin:/bin", **extra}
    return ["env", "-i", *(f"{k}={v}" for k, v in pairs.items())]


@dataclass
class Bundle:
    """A private copy of the bundle and a HOME for it, both readable by ``nobody``."""

    folder: Path
    home: Path

    @property
    def exe(self) -> Path:
        return self.folder / "webr-desktop"

    def run(self, *args: str, cwd: Path | None = None, extra_env: dict[str, str] | None = None,
            as_user: str | None = None, home: Path | None = None,
            timeout: float = RUN_TIMEOUT) -> subprocess.CompletedProcess[str]:
        cmd = [*clean_env(home or self.home, **(extra_env or {})), str(self.exe), *args]
        if as_user is not None:
            cmd = ["runuser", "-u", as_user, "--", *cmd]
        return subprocess.run(cmd, cwd=cwd or self.home, capture_output=True, text=True, timeout=timeout)


def _world_readable_tmp(prefix: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)  # pytest's tmp_path is 0700: nobody couldn't reach the bundle
    return path


@pytest.fixture(scope="session")
def bundle() -> Iterator[Bundle]:
    if not (BUNDLE / "webr-desktop").is_file():
        pytest.fail("no dist/webr-desktop: run `make bundle`")
    top = _world_readable_tmp("webr-desktop-bundle-")
    shutil.copytree(BUNDLE, top / "webr-desktop", symlinks=True)
    home = top / "home"
    home.mkdir()
    yield Bundle(top / "webr-desktop", home)
    shutil.rmtree(top, ignore_errors=True)


@pytest.fixture(scope="session")
def xdisplay() -> Iterator[str]:
    """A private Xvfb server; its display name (``:N``)."""
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.fail("Xvfb is missing: apt-get install xvfb")
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen([xvfb, "-displayfd", str(write_fd), "-nolisten", "tcp", "-screen", "0", "1280x800x24"],
                            pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    with os.fdopen(read_fd) as f:
        number = f.readline().strip()  # written once the server accepts clients
    if not number.isdigit():
        proc.kill()
        pytest.fail("Xvfb did not start")
    yield f":{number}"
    proc.terminate()
    proc.wait(10)


def nobody_home(parent: Path) -> Path:
    """A HOME the unprivileged user ``nobody`` owns."""
    home = parent / "home-nobody"
    home.mkdir(exist_ok=True)
    shutil.chown(home, "nobody")
    return home

"""The .tar.gz (with install.sh) and the .deb that `make installer` writes, and the desktop files."""

from __future__ import annotations

import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from tests.installer.conftest import APP_ID, BUNDLE, MARKS, ROOT, built, clean_env

pytestmark = MARKS
LINUX = ROOT / "installer" / "linux"
ICON_SIZES = (48, 64, 128, 256, 512)


def _tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is missing: apt-get install {package}")
    return path


def _validate_desktop(path: Path) -> None:
    done = subprocess.run([_tool("desktop-file-validate", "desktop-file-utils"), str(path)],
                          capture_output=True, text=True)
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr


def _validate_metainfo(path: Path) -> None:
    done = subprocess.run([_tool("appstreamcli", "appstream"), "validate", "--no-net", str(path)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def _desktop_entry(path: Path) -> dict[str, str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line)


def _run(exe: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*clean_env(home), str(exe), *args], cwd=home, capture_output=True, text=True, timeout=180)


def test_source_desktop_file_and_metainfo_validate() -> None:
    _validate_desktop(LINUX / f"{APP_ID}.desktop")
    _validate_metainfo(LINUX / f"{APP_ID}.metainfo.xml")
    entry = _desktop_entry(LINUX / f"{APP_ID}.desktop")
    assert entry["Categories"] == "Development;IDE;" and entry["Icon"] == APP_ID


def _symlinks(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): str(p.readlink()) for p in root.rglob("*") if p.is_symlink()}


def test_tarball_keeps_the_bundles_symlinks_and_install_sh_writes_an_absolute_exec(tmp_path: Path) -> None:
    tarball = built("webr-desktop-*-linux-*.tar.gz")
    bundle_links = _symlinks(BUNDLE)
    assert bundle_links, "the bundle has symlinks (Qt libraries): the test would prove nothing"
    with tarfile.open(tarball) as tar:
        tar.extractall(tmp_path, filter="tar")
    (top,) = tmp_path.iterdir()
    assert _symlinks(top / "app") == bundle_links

    home = tmp_path / "home"
    home.mkdir()
    done = subprocess.run([*clean_env(home), str(top / "install.sh")], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    local = home / ".local"
    desktop = local / "share" / "applications" / f"{APP_ID}.desktop"
    _validate_desktop(desktop)
    entry = _desktop_entry(desktop)
    exe = local / "lib" / "webr-desktop" / "webr-desktop"
    assert entry["Exec"] == f"{exe} %f" and entry["TryExec"] == str(exe)
    assert _symlinks(local / "lib" / "webr-desktop") == bundle_links
    for size in ICON_SIZES:
        png = local / "share" / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        assert png.read_bytes()[:4] == b"\x89PNG"
    assert (local / "share" / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg").is_file()
    _validate_metainfo(local / "share" / "metainfo" / f"{APP_ID}.metainfo.xml")

    via_bin = _run(local / "bin" / "webr-desktop", home, "--version")  # the ~/.local/bin symlink
    assert via_bin.returncode == 0 and "webR 0.6.0" in via_bin.stdout, via_bin.stderr

    gone = subprocess.run([*clean_env(home), str(top / "install.sh"), "--uninstall"], capture_output=True, text=True)
    assert gone.returncode == 0, gone.stderr
    assert not desktop.exists() and not exe.exists() and not (local / "bin" / "webr-desktop").exists()


def test_deb_unpacked_runs_and_carries_desktop_integration(tmp_path: Path) -> None:
    deb = built("webr-desktop_*_*.deb")
    root = tmp_path / "root"
    subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    exe = root / "opt" / "webr-desktop" / "webr-desktop"
    home = tmp_path / "home"
    home.mkdir()
    version = _run(exe, home, "--version")
    assert version.returncode == 0 and "webR 0.6.0" in version.stdout and "R 4.6.0" in version.stdout
    ran = _run(exe, home, "run", "-e", "cat(sum(1:10))")
    assert ran.returncode == 0 and ran.stdout.strip() == "55", ran.stderr

    assert (root / "usr" / "bin" / "webr-desktop").readlink() == Path("/opt/webr-desktop/webr-desktop")
    desktop = root / "usr" / "share" / "applications" / f"{APP_ID}.desktop"
    _validate_desktop(desktop)
    assert _desktop_entry(desktop)["Exec"] == "/opt/webr-desktop/webr-desktop %f"
    _validate_metainfo(root / "usr" / "share" / "metainfo" / f"{APP_ID}.metainfo.xml")
    for size in ICON_SIZES:
        assert (root / "usr/share/icons/hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png").is_file()

    fields = subprocess.run(["dpkg-deb", "-f", str(deb), "Package", "Depends", "Installed-Size"],
                            capture_output=True, text=True, check=True).stdout
    depends = fields.split("Depends:", 1)[1].split("\n", 1)[0]
    names = {d.strip().split(" ", 1)[0] for d in depends.split(",")}
    # The libraries the bundle leaves to the system, and a few it links from it.
    for package in ("libc6", "libstdc++6", "libgcc-s1", "libgbm1", "libfontconfig1", "libfreetype6", "libx11-6"):
        assert package in names, depends

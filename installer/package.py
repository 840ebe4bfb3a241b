"""Package the PyInstaller bundle (dist/webr-desktop/) as a .tar.gz and a .deb.

Run by ``make installer`` after ``make bundle``. Needs ``tar``, ``rsvg-convert`` (the icon's
PNG sizes), ``dpkg-deb`` and ``dpkg-shlibdeps`` (the .deb's Depends: from the system
libraries the bundle's ELF files link). The tarball keeps the bundle's symlinks; its
``install.sh`` installs into ~/.local and writes the .desktop file with an absolute Exec=.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

APP_ID = "io.github.webrdesktop.WebRDesktop"
NAME = "webr-desktop"
ICON_SIZES = (48, 64, 128, 256, 512)
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# Always there on a desktop that runs Qt; libstdc++/libgcc_s are left out of the bundle on
# purpose (see the spec), so the .deb must name them even if no scan finds them.
BASE_DEPENDS = ("libc6", "libstdc++6", "libgcc-s1")
RECOMMENDS = "fonts-dejavu-core | fonts-liberation2, xdg-utils"
_DEB_ARCH = {"x86_64": "amd64", "aarch64": "arm64"}


def app_version() -> str:
    text = (ROOT / "webr_desktop" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'__version__ = "([^"]+)"', text)
    if match is None:
        raise SystemExit("no __version__ in webr_desktop/__init__.py")
    return match.group(1)


def render_icons(share: Path) -> None:
    """hicolor PNGs 48–512 from the one SVG, plus the SVG itself as the scalable size."""
    svg = ROOT / "resources" / "icons" / "webr-desktop.svg"
    for size in ICON_SIZES:
        out = share / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        out.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["rsvg-convert", "-w", str(size), "-h", str(size), "-o", str(out), str(svg)], check=True)
    scalable = share / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(svg, scalable)


def write_share(share: Path, exec_path: str | None) -> None:
    """Icons, metainfo and the .desktop file (Exec= made absolute when ``exec_path`` given)."""
    render_icons(share)
    (share / "metainfo").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(HERE / "linux" / f"{APP_ID}.metainfo.xml", share / "metainfo" / f"{APP_ID}.metainfo.xml")
    desktop = (HERE / "linux" / f"{APP_ID}.desktop").read_text(encoding="utf-8")
    if exec_path is not None:
        desktop = desktop.replace(f"Exec={NAME} ", f"Exec={exec_path} ").replace(f"TryExec={NAME}", f"TryExec={exec_path}")
    (share / "applications").mkdir(parents=True, exist_ok=True)
    (share / "applications" / f"{APP_ID}.desktop").write_text(desktop, encoding="utf-8")


def _copy_bundle(bundle: Path, dest: Path) -> None:
    shutil.copytree(bundle, dest, symlinks=True)


def _tar(src_parent: Path, name: str, out: Path) -> None:
    out.unlink(missing_ok=True)
    subprocess.run(
        ["tar", "--owner=0", "--group=0", "--numeric-owner", "--sort=name", "-czf", str(out), "-C", str(src_parent), name],
        check=True,
    )


def build_tarball(bundle: Path, out_dir: Path, version: str, arch: str) -> Path:
    top = f"{NAME}-{version}-linux-{arch}"
    with tempfile.TemporaryDirectory(prefix="webr-desktop-tar-", dir=out_dir) as tmp:
        stage = Path(tmp) / top
        _copy_bundle(bundle, stage / "app")
        write_share(stage / "share", exec_path=None)  # install.sh writes the absolute Exec=
        shutil.copyfile(HERE / "linux" / "install.sh", stage / "install.sh")
        (stage / "install.sh").chmod(0o755)
        shutil.copyfile(HERE / "linux" / "README.txt", stage / "README.txt")
        out = out_dir / f"{top}.tar.gz"
        _tar(Path(tmp), top, out)
    return out


def _elf_files(root: Path) -> list[Path]:
    found = []
    for path in sorted(root.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        with path.open("rb") as f:
            if f.read(4) == b"\x7fELF":
                found.append(path)
    return found


def _resolvable(elves: list[Path], private: list[str]) -> tuple[list[Path], list[str]]:
    """The ELF files whose libraries all resolve here, and the names of those that don't:
    optional plugins for desktops the build machine lacks (libqgtk3 needs GTK 3). Qt loads
    such a plugin only where its libraries exist, so it adds no dependency."""
    env = {**os.environ, "LD_LIBRARY_PATH": ":".join(private)}
    ok: list[Path] = []
    skipped: list[str] = []
    for elf in elves:
        out = subprocess.run(["ldd", str(elf)], capture_output=True, text=True, env=env).stdout
        if "not found" in out:
            skipped.append(elf.name)
        else:
            ok.append(elf)
    return ok, skipped


def shlib_depends(opt_root: Path) -> str:
    """dpkg-shlibdeps over every ELF file; the bundle's own folders count as private libs."""
    private = sorted({str(p.parent) for p in opt_root.rglob("*.so*")})
    elves, skipped = _resolvable(_elf_files(opt_root), private)
    if skipped:
        print(f"Depends: not scanned (libraries missing on this machine): {', '.join(skipped)}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="webr-desktop-shlibs-") as tmp:
        (Path(tmp) / "debian").mkdir()
        (Path(tmp) / "debian" / "control").write_text(
            f"Source: {NAME}\n\nPackage: {NAME}\nArchitecture: any\n", encoding="utf-8")
        cmd = ["dpkg-shlibdeps", "-O", "--ignore-missing-info"]
        cmd += [f"-l{d}" for d in private]
        cmd += [str(p) for p in elves]
        proc = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"dpkg-shlibdeps failed:\n{proc.stderr[-3000:]}")
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("shlibs:Depends=")), "")
    deps = [d.strip() for d in line.split("=", 1)[-1].split(",") if d.strip()]
    names = {re.split(r"[ (]", d, maxsplit=1)[0] for d in deps}
    deps += [d for d in BASE_DEPENDS if d not in names]
    return ", ".join(sorted(deps))


def _installed_kib(root: Path) -> int:
    total = 0
    for path in root.rglob("*"):
        total += path.lstat().st_size if path.is_symlink() else (path.stat().st_size if path.is_file() else 0)
    return (total + 1023) // 1024


def build_deb(bundle: Path, out_dir: Path, version: str, arch: str, compression: str) -> Path:
    deb_arch = _DEB_ARCH.get(arch, arch)
    with tempfile.TemporaryDirectory(prefix="webr-desktop-deb-", dir=out_dir) as tmp:
        root = Path(tmp) / "root"
        opt = root / "opt" / NAME
        _copy_bundle(bundle, opt)
        (root / "usr" / "bin").mkdir(parents=True)
        os.symlink(f"/opt/{NAME}/{NAME}", root / "usr" / "bin" / NAME)  # the bootloader resolves it
        write_share(root / "usr" / "share", exec_path=f"/opt/{NAME}/{NAME}")
        control_dir = root / "DEBIAN"
        control_dir.mkdir()
        depends = shlib_depends(opt)
        control = (
            f"Package: {NAME}\n"
            f"Version: {version}\n"
            f"Architecture: {deb_arch}\n"
            "Maintainer: webR Desktop developers <webr-desktop@users.noreply.github.com>\n"
            f"Installed-Size: {_installed_kib(root)}\n"
            f"Depends: {depends}\n"
            f"Recommends: {RECOMMENDS}\n"
            "Section: math\n"
            "Priority: optional\n"
            "Description: R IDE that carries its own R, compiled to WebAssembly\n"
            " webR Desktop is an IDE for R whose R is webR (R 4.6 in WebAssembly) run\n"
            " inside the app: no R, Python or Node installation is needed, and it works\n"
            " offline. Installs to /opt/webr-desktop with /usr/bin/webr-desktop.\n"
        )
        (control_dir / "control").write_text(control, encoding="utf-8")
        for path in [root, *root.rglob("*")]:
            if path.is_dir() and not path.is_symlink():
                path.chmod(0o755)
        out = out_dir / f"{NAME}_{version}_{deb_arch}.deb"
        out.unlink(missing_ok=True)
        subprocess.run(["dpkg-deb", "--root-owner-group", f"-Z{compression}", "--build", str(root), str(out)],
                       check=True, stdout=subprocess.DEVNULL)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, default=ROOT / "dist" / NAME)
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    # zstd: every system the .deb can install on reads it (Depends needs glibc >= 2.36, i.e.
    # Debian 12 / Ubuntu 22.10 or later, whose dpkg reads zstd); on this loaded 2-core machine
    # the whole .deb took ~2 min with zstd, while xz alone had not finished after 9 min.
    parser.add_argument("--deb-compression", default="zstd", choices=("zstd", "xz", "gzip", "none"))
    parser.add_argument("--only", choices=("tar", "deb"), help="build just one of the two")
    args = parser.parse_args()
    args.bundle, args.out = args.bundle.resolve(), args.out.resolve()  # tools run in temp folders
    exe = args.bundle / NAME
    if not exe.is_file() or not os.access(exe, os.X_OK):
        print(f"no bundle at {args.bundle}: run `make bundle` first", file=sys.stderr)
        return 2
    version, arch = app_version(), platform.machine()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.only in (None, "tar"):
        print(build_tarball(args.bundle, args.out, version, arch))
    if args.only in (None, "deb"):
        print(build_deb(args.bundle, args.out, version, arch, args.deb_compression))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Installer sizes and the bundle's start-up against the dev venv's; prints one JSON object.

bundle_mb          installed size of dist/webr-desktop (file sizes, symlinks counted once)
tarball_mb, deb_mb sizes of the files `make installer` wrote to dist/
first_prompt_ms    median launch -> "first prompt shown" of the bundle, cold: each launch a
                   fresh process with a fresh HOME (no settings, no browser cache), from
                   ``env -i HOME=… LANG=C.UTF-8 PATH=/usr/bin:/bin``, Qt offscreen
first_prompt_ratio that median / the same from the dev venv (``python -m webr_desktop``, same
                   environment plus PYTHONPATH=this checkout), launches alternated in one run

Usage: .venv/bin/python bench/bundle.py [--runs N] [--load N]   (after `make installer`)
"""

from __future__ import annotations

import argparse
import os
import selectors
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, add_load_argument, cpu_load, emit_json, median, python_exe, rnd  # noqa: E402

BUNDLE = ROOT / "dist" / "webr-desktop"
READY = "first prompt shown"
TIMEOUT_S = 120.0


def _mb(size: int) -> float:
    return rnd(size / 1e6, 1)


def _tree_bytes(root: Path) -> int:
    total = 0
    for path in root.rglob("*"):
        total += path.lstat().st_size if path.is_symlink() or not path.is_file() else path.stat().st_size
    return total


def _one(pattern: str) -> Path | None:
    found = sorted((ROOT / "dist").glob(pattern))
    return found[-1] if found else None


def _launch_ms(cmd: list[str], cwd: Path) -> float:
    """Milliseconds from start to the READY line; a fresh HOME each time."""
    home = Path(tempfile.mkdtemp(prefix="webr-desktop-bench-home-"))
    try:
        env = ["env", "-i", f"HOME={home}", "LANG=C.UTF-8", "PATH=/usr/bin:/bin", "QT_QPA_PLATFORM=offscreen"]
        if cmd[0] == python_exe():
            env.append(f"PYTHONPATH={ROOT}")
        started = time.perf_counter()
        proc = subprocess.Popen([*env, *cmd, "--exit-after-first-prompt"], cwd=cwd,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        elapsed = None
        while time.perf_counter() - started < TIMEOUT_S:
            if sel.select(timeout=1.0):
                line = proc.stdout.readline()
                if not line:
                    break
                if READY in line:
                    elapsed = (time.perf_counter() - started) * 1000
                    break
        proc.wait(timeout=60)
        if elapsed is None:
            raise RuntimeError(f"{cmd[0]} never reached its first prompt")
        return elapsed
    finally:
        shutil.rmtree(home, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    add_load_argument(parser)
    args = parser.parse_args()
    exe = BUNDLE / "webr-desktop"
    if not exe.is_file():
        print("no dist/webr-desktop: run `make installer` first", file=sys.stderr)
        return 2
    tarball, deb = _one("webr-desktop-*-linux-*.tar.gz"), _one("webr-desktop_*.deb")
    bundle_ms: list[float] = []
    dev_ms: list[float] = []
    with cpu_load(args.load), tempfile.TemporaryDirectory(prefix="webr-desktop-bench-") as tmp:
        copy = Path(tmp) / "webr-desktop"  # a copy, as a user would have it: not the build tree
        shutil.copytree(BUNDLE, copy, symlinks=True)
        for i in range(args.runs):
            order = [("bundle", [str(copy / "webr-desktop")]), ("dev", [python_exe(), "-m", "webr_desktop"])]
            for kind, cmd in order if i % 2 == 0 else order[::-1]:
                ms = _launch_ms(cmd, Path(tmp))
                (bundle_ms if kind == "bundle" else dev_ms).append(ms)
    result = {
        "benchmark": "bundle", "load": args.load,
        "bundle_mb": _mb(_tree_bytes(BUNDLE)),
        "tarball_mb": _mb(tarball.stat().st_size) if tarball else None,
        "deb_mb": _mb(deb.stat().st_size) if deb else None,
        "first_prompt_ms": rnd(median(bundle_ms), 0),
        "first_prompt_dev_ms": rnd(median(dev_ms), 0),
        "first_prompt_ratio": rnd(median(bundle_ms) / median(dev_ms), 2),
        "runs": args.runs,
        "bundle_ms_all": [rnd(v, 0) for v in bundle_ms],
        "dev_ms_all": [rnd(v, 0) for v in dev_ms],
        "cpus": os.cpu_count(),
    }
    emit_json(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())

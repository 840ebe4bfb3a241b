"""``webr-desktop packages …`` in a real child process, on a private data/cache/config dir."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.packages import BIN, Pkg, RepoServer, chain, make_repo


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CACHE_HOME": str(tmp_path / "cache"),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    return subprocess.run([sys.executable, "-m", "webr_desktop", "packages", *args], env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture()
def repo(tmp_path: Path):
    with RepoServer(make_repo(tmp_path / "repo", [*chain(), Pkg("pure", built=None)])) as server:
        yield server


def test_install_list_remove_seed(tmp_path: Path, repo: RepoServer) -> None:
    done = run(tmp_path, "install", "a", "--repos", repo.url)
    assert done.returncode == 0, done.stderr
    assert "b 1.1 (binary from http://127.0.0.1" in done.stderr and "installed 3 package(s)" in done.stderr
    library = tmp_path / "data" / "webr-desktop" / "library" / "R-4.6"
    assert sorted(p.name for p in library.iterdir()) == [".webr-desktop.json", "a", "b", "c"]
    listed = run(tmp_path, "list").stdout.splitlines()
    assert [line.split("\t")[:2] for line in listed] == [["a", "1.0"], ["b", "1.1"], ["c", "0.5"]]
    assert run(tmp_path, "remove", "a", "ghost").returncode == 1
    assert [line.split("\t")[0] for line in run(tmp_path, "list").stdout.splitlines()] == ["b", "c"]
    seeded = run(tmp_path, "seed", "a", "--to", str(tmp_path / "usb"), "--repos", repo.url)
    assert seeded.returncode == 0, seeded.stderr
    assert sorted(p.name for p in (tmp_path / "usb" / BIN).iterdir()) == [
        "PACKAGES", "PACKAGES.gz", "a_1.0.tgz", "b_1.1.tgz", "c_0.5.tgz"]
    found = run(tmp_path, "available", "pure", "--repos", str(tmp_path / "usb"), "--repos", repo.url)
    assert found.stdout.startswith("pure\t1.0\tsource\t")


def test_errors_are_one_line_and_exit_1(tmp_path: Path, repo: RepoServer) -> None:
    missing = run(tmp_path, "install", "ghost", "--repos", repo.url)
    assert missing.returncode == 1
    assert missing.stderr.strip() == f"webr-desktop packages: package 'ghost' is not available from: {repo.url}, cache"
    source = run(tmp_path, "install", "pure", "--repos", repo.url)
    assert source.returncode == 1 and "built inside webR" in source.stderr


def test_sources_are_configured_in_order_and_used(tmp_path: Path, repo: RepoServer) -> None:
    assert run(tmp_path, "sources").stdout == "repo\thttps://repo.r-wasm.org\n"
    run(tmp_path, "sources", "remove", "https://repo.r-wasm.org")
    run(tmp_path, "sources", "add", repo.url)
    listed = run(tmp_path, "sources", "add", str(tmp_path / "usb"), "--first").stdout
    assert listed == f"local\t{tmp_path / 'usb'}\nrepo\t{repo.url}\n"
    done = run(tmp_path, "install", "a")  # no --repos: the configured sources
    assert done.returncode == 0, done.stderr
    assert f"{tmp_path / 'usb'} (folder not found)" in run(tmp_path, "install", "ghost").stderr

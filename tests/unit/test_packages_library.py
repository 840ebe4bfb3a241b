"""Archive checks and the atomic host library (core.packages.archive, library)."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
import threading
from pathlib import Path

import pytest

from tests.fixtures.packages import Pkg, broken, build, tree_hash, write_archive
from webr_desktop.core.packages import archive
from webr_desktop.core.packages.errors import ArchiveError, CompiledCodeError, DiskFullError
from webr_desktop.core.packages.library import SOURCE_FIELD, Library


@pytest.fixture()
def library(tmp_path: Path) -> Library:
    lib = Library(tmp_path / "data" / "library" / "R-4.6", webr_version="0.6.0")
    with lib.locked():  # a library with one package in it, so "unchanged" means something
        lib.install_archive(build(Pkg("keep", "1.0"), tmp_path / "in"), name="keep", version="1.0", source="test")
    return lib


def install(lib: Library, path: Path, name: str, version: str = "1.0", kind: str = "binary") -> None:
    with lib.locked():
        lib.install_archive(path, name=name, version=version, source="test", kind=kind)


ERRORS = {
    "truncated": (ArchiveError, r"truncated or corrupt"),
    "dotdot": (ArchiveError, r"hostile: the member 'dotdot/\.\./\.\./escaped.txt' climbs out"),
    "symlink": (ArchiveError, r"hostile: 'linky/etc' is a link \(to '/etc'\)"),
    "elf": (CompiledCodeError, r"compiled code not built for webR \(libs/elfpkg.so is not WebAssembly\).*repo.r-wasm.org"),
    "old_built": (ArchiveError, r"built for R 3.6.0, before R 4.0"),
    "with_src": (CompiledCodeError, r"has compiled code \(src/\).*repo.r-wasm.org or from R-universe"),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_each_bad_archive_is_refused_and_the_library_is_unchanged(tmp_path: Path, library: Library, case: str) -> None:
    archives = broken(tmp_path / "broken")
    path = archives[case]
    name = path.name.split("_")[0]
    kind = "source" if case == "with_src" else "binary"
    before = tree_hash(library.root.parent)
    error, message = ERRORS[case]
    with pytest.raises(error, match=message):
        install(library, path, name, kind=kind)
    assert tree_hash(library.root.parent) == before
    assert not (tmp_path / "escaped.txt").exists() and not list(tmp_path.rglob("escaped.txt"))
    assert [p.name for p in library.installed()] == ["keep"]


def test_other_hostile_members(tmp_path: Path, library: Library) -> None:
    desc = Pkg("h").description().encode()
    cases = {
        "absolute": ({"h/DESCRIPTION": desc, "/tmp/abs.txt": b"x"}, "absolute path"),
        "outside": ({"h/DESCRIPTION": desc, "other/x": b"x"}, "outside the package folder"),
        "twice": ({"h/DESCRIPTION": desc}, "appears twice"),
        "file_then_dir": ({"h/DESCRIPTION": desc, "h/R": b"a file", "h/R/x.R": b"x"}, "appears twice"),
    }
    before = tree_hash(library.root.parent)
    for label, (files, message) in cases.items():
        path = write_archive(tmp_path / f"{label}.tgz", files)
        if label == "twice":
            with tarfile.open(path, "w:gz", format=tarfile.GNU_FORMAT) as tar:
                for _ in range(2):
                    info = tarfile.TarInfo("h/DESCRIPTION")
                    info.size = len(desc)
                    tar.addfile(info, io.BytesIO(desc))
        with pytest.raises(ArchiveError, match=message):
            install(library, path, "h")
    fifo = tmp_path / "fifo.tgz"
    with tarfile.open(fifo, "w:gz", format=tarfile.GNU_FORMAT) as tar:
        info = tarfile.TarInfo("h/pipe")
        info.type = tarfile.FIFOTYPE
        tar.addfile(info)
    with pytest.raises(ArchiveError, match="device, fifo or special file"):
        install(library, fifo, "h")
    assert tree_hash(library.root.parent) == before


def test_size_caps_stop_a_bomb_before_it_is_written(tmp_path: Path, library: Library) -> None:
    path = build(Pkg("bomb", "1.0", files={"R/zeros": bytes(5_000_000)}), tmp_path)
    assert path.stat().st_size < 50_000  # five megabytes of zeros compress to almost nothing
    before = tree_hash(library.root.parent)
    with pytest.raises(ArchiveError, match="would be 5000000 bytes"):
        with library.locked():
            library.install_archive(path, name="bomb", version="1.0", source="t", limits=archive.Limits(max_file=1_000_000))
    with pytest.raises(ArchiveError, match="unpacks to more than"):
        with library.locked():
            library.install_archive(path, name="bomb", version="1.0", source="t",
                                    limits=archive.Limits(max_total=4_000_000))
    assert tree_hash(library.root.parent) == before


def test_name_and_version_must_match_the_plan(tmp_path: Path, library: Library) -> None:
    path = build(Pkg("p", "1.0"), tmp_path)
    before = tree_hash(library.root.parent)
    with pytest.raises(ArchiveError, match=r"the archive for 'p' 1.1 holds version 1.0"):
        install(library, path, "p", "1.1")
    renamed = tmp_path / "q_1.0.tgz"
    write_archive(renamed, {"q/DESCRIPTION": Pkg("p").description().encode()})
    with pytest.raises(ArchiveError, match="holds package 'p'"):
        install(library, renamed, "q")
    assert tree_hash(library.root.parent) == before


def test_install_replace_remove_are_whole(tmp_path: Path, library: Library) -> None:
    install(library, build(Pkg("p", "1.0", files={"R/only_in_1": b"x"}), tmp_path / "v1"), "p", "1.0")
    pkg = {p.name: p for p in library.installed()}["p"]
    assert (pkg.version, pkg.source, pkg.title) == ("1.0", "test", "Test Package P")
    assert f"{SOURCE_FIELD}: test" in (library.root / "p" / "DESCRIPTION").read_text()
    install(library, build(Pkg("p", "2.0"), tmp_path / "v2"), "p", "2.0")
    assert library.versions() == {"keep": "1.0", "p": "2.0"}
    assert not (library.root / "p" / "R" / "only_in_1").exists()  # replaced, not merged
    assert sorted(os.listdir(library.work)) == [".lock"]  # no staging or aside left behind
    with library.locked():
        assert library.remove("p") is True
        assert library.remove("p") is False
        assert library.remove("..") is False
    assert library.versions() == {"keep": "1.0"}
    stamp = library.stamp()
    assert stamp is not None and stamp["r_version"] == "4.6.0" and stamp["webr_version"] == "0.6.0"


def test_a_killed_replace_is_put_back(tmp_path: Path, library: Library) -> None:
    # as if killed between "old aside" and "new in": the next lock holder restores the old one
    aside = library.work / "aside-killed"
    aside.mkdir(parents=True)
    os.rename(library.root / "keep", aside / "keep")
    with library.locked():
        pass
    assert library.versions() == {"keep": "1.0"} and not aside.exists()


def test_two_installs_queue(tmp_path: Path, library: Library) -> None:
    inside, release, queued, finished = threading.Event(), threading.Event(), threading.Event(), []

    def first() -> None:
        with library.locked():
            inside.set()
            release.wait(30)
            library.install_archive(build(Pkg("one"), tmp_path / "1"), name="one", version="1.0", source="t")
            finished.append("one")

    def second() -> None:
        with library.locked(on_wait=queued.set):
            library.install_archive(build(Pkg("two"), tmp_path / "2"), name="two", version="1.0", source="t")
            finished.append("two")

    a = threading.Thread(target=first)
    a.start()
    assert inside.wait(30)
    b = threading.Thread(target=second)
    b.start()
    assert queued.wait(30)  # the second one saw the first running and waited
    assert finished == []
    release.set()
    a.join(30)
    b.join(30)
    assert finished == ["one", "two"] and set(library.versions()) == {"keep", "one", "two"}


def _tiny_tmpfs(path: Path) -> bool:
    path.mkdir(parents=True)
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(path)],
                          capture_output=True).returncode == 0


def test_disk_full_is_a_clear_error_and_the_library_is_unchanged(tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    if not _tiny_tmpfs(disk):
        pytest.skip("needs root to mount a 256 KiB tmpfs that fills up")
    try:
        lib = Library(disk / "library" / "R-4.6")
        install(lib, build(Pkg("small"), tmp_path / "s"), "small")
        big = build(Pkg("big", files={"R/data": os.urandom(400_000)}), tmp_path / "b")
        before = tree_hash(lib.root.parent)
        with pytest.raises(DiskFullError, match="not enough disk space to install 'big'.*library is unchanged"):
            install(lib, big, "big")
        assert tree_hash(lib.root.parent) == before
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def test_a_plan_whose_last_rename_fails_is_rolled_back(tmp_path: Path, library: Library) -> None:
    install(library, build(Pkg("p", "1.0"), tmp_path / "v1"), "p", "1.0")
    before = tree_hash(library.root.parent)
    with library.locked():
        prepared = []
        for pkg in (Pkg("p", "2.0"), Pkg("q", "1.0")):
            staging = library.staging()
            folder = archive.unpack(build(pkg, tmp_path / pkg.version), staging, name=pkg.name)
            prepared.append(library.prepare(folder, name=pkg.name, version=pkg.version, source="t"))
        shutil.rmtree(prepared[1].folder)  # the second can't be moved in
        with pytest.raises(FileNotFoundError):
            library.commit_all(prepared)
        assert library.versions() == {"keep": "1.0", "p": "1.0"}  # p 2.0 was taken back out
        assert prepared[0].folder.is_dir()
        for item in prepared:
            shutil.rmtree(item.folder.parent, ignore_errors=True)
    assert tree_hash(library.root.parent) == before

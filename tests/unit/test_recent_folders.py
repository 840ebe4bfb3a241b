"""RecentFolders: order, limit, persistence, and surviving a corrupt or foreign file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from webr_desktop.core.recent_folders import RecentFolders


@pytest.fixture
def folders(tmp_path: Path) -> list[Path]:
    made = []
    for name in ("alpha", "beta", "gamma", "delta"):
        (tmp_path / name).mkdir()
        made.append((tmp_path / name).resolve())
    return made


def test_add_puts_the_folder_first_and_moves_duplicates(tmp_path: Path, folders: list[Path]) -> None:
    recent = RecentFolders(tmp_path / "recent.json")
    assert recent.items() == []
    a, b, c, _ = folders
    for folder in (a, b, c):
        recent.add(folder)
    assert recent.items() == [c, b, a]
    recent.add(a)
    assert recent.items() == [a, c, b]
    recent.add(tmp_path / "beta" / ".." / "beta")  # another spelling of the same folder
    assert recent.items() == [b, a, c]


def test_limit_drops_the_oldest(tmp_path: Path, folders: list[Path]) -> None:
    recent = RecentFolders(tmp_path / "recent.json", limit=2)
    for folder in folders:
        recent.add(folder)
    assert recent.items() == [folders[3], folders[2]]


def test_persisted_and_reloaded(tmp_path: Path, folders: list[Path]) -> None:
    store = tmp_path / "sub" / "recent.json"
    RecentFolders(store).add(folders[0])
    RecentFolders(store).add(folders[1])
    assert RecentFolders(store).items() == [folders[1], folders[0]]
    assert json.loads(store.read_text(encoding="utf-8"))["folders"] == [str(folders[1]), str(folders[0])]
    assert [p.name for p in store.parent.iterdir()] == ["recent.json"]  # no temp files left


def test_remove_and_clear(tmp_path: Path, folders: list[Path]) -> None:
    recent = RecentFolders(tmp_path / "recent.json")
    recent.add(folders[0])
    recent.add(folders[1])
    recent.remove(folders[0])
    recent.remove(tmp_path / "never-added")
    assert recent.items() == [folders[1]]
    recent.clear()
    assert recent.items() == []


def test_missing_folders_are_hidden_but_remembered(tmp_path: Path, folders: list[Path]) -> None:
    recent = RecentFolders(tmp_path / "recent.json")
    recent.add(folders[0])
    recent.add(folders[1])
    folders[1].rmdir()
    assert recent.items() == [folders[0]]
    folders[1].mkdir()  # the drive came back
    assert recent.items() == [folders[1], folders[0]]


@pytest.mark.parametrize("content", [
    b"{not json", b"", b"[1, 2]", b'{"folders": "nope"}', b"\xff\xfe not utf-8",
])
def test_corrupt_file_starts_empty_and_is_replaced(tmp_path: Path, folders: list[Path], content: bytes) -> None:
    store = tmp_path / "recent.json"
    store.write_bytes(content)
    recent = RecentFolders(store)
    assert recent.items() == []
    recent.add(folders[0])
    assert RecentFolders(store).items() == [folders[0]]


def test_broken_entries_are_dropped(tmp_path: Path, folders: list[Path]) -> None:
    store = tmp_path / "recent.json"
    store.write_text(json.dumps({"version": 1, "folders": [
        3, None, "", "relative/path", str(folders[0]), str(folders[0]), {"x": 1}, str(folders[1])]}))
    recent = RecentFolders(store)
    assert recent.items() == [folders[0], folders[1]]
    recent.add(folders[2])
    assert json.loads(store.read_text())["folders"] == [str(folders[2]), str(folders[0]), str(folders[1])]


def test_two_instances_merge_instead_of_overwriting(tmp_path: Path, folders: list[Path]) -> None:
    one, two = RecentFolders(tmp_path / "r.json"), RecentFolders(tmp_path / "r.json")
    one.add(folders[0])
    two.add(folders[1])
    assert one.items() == [folders[1], folders[0]]


def test_unwritable_location_does_not_raise(tmp_path: Path, folders: list[Path]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    recent = RecentFolders(blocker / "recent.json")  # parent is a file: can't be created
    recent.add(folders[0])
    assert recent.items() == []

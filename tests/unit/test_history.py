"""Console history: navigation keeps the draft; entries persist across runs."""

from __future__ import annotations

from pathlib import Path

from webr_desktop.core.history import History


def test_navigation_walks_back_and_returns_to_the_draft() -> None:
    h = History()
    for line in ["a <- 1", "b <- 2", "a + b"]:
        h.add(line)
    assert h.previous("draft") == "a + b"
    assert h.previous("ignored") == "b <- 2"
    assert h.previous("") == "a <- 1"
    assert h.previous("") is None  # at the oldest entry
    assert h.next() == "b <- 2"
    assert h.next() == "a + b"
    assert h.next() == "draft"
    assert h.next() is None


def test_blank_and_repeated_lines_are_not_recorded() -> None:
    h = History()
    for line in ["x", "x", "  ", "", "y"]:
        h.add(line)
    assert h.entries == ["x", "y"]


def test_persists_across_runs_and_respects_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "history.txt"
    h = History(path, limit=3)
    for i in range(5):
        h.add(f"cmd {i} é")
    again = History(path, limit=3)
    assert again.entries == ["cmd 2 é", "cmd 3 é", "cmd 4 é"]
    assert again.previous("") == "cmd 4 é"


def test_unreadable_history_is_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "history.txt"
    path.mkdir()  # a directory where the file should be
    h = History(path)
    h.add("still works")
    assert h.entries == ["still works"]

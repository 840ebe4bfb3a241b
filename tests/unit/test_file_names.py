"""name_problem: what the Files pane refuses before touching the disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from webr_desktop.core.file_names import name_problem


@pytest.mark.parametrize("name, words", [
    ("", "empty"), ("   ", "empty"), (" a.R", "space"), ("a/b.R", "/"), ("../x", "/"), ("a\\b", "/"),
    ("..", "not a usable name"), (".", "not a usable name"), ("a\nb", "control"), ("a:b", "Windows"),
    ("what?.R", "Windows"), ("notes.", "dot"), ("CON", "reserved"), ("nul.txt", "reserved"), ("x" * 256, "too long"),
])
def test_bad_names_are_refused_with_a_reason(tmp_path: Path, name: str, words: str) -> None:
    problem = name_problem(tmp_path, name)
    assert problem is not None and words in problem


def test_existing_names_are_refused_unless_renaming_to_itself(tmp_path: Path) -> None:
    (tmp_path / "a.R").write_text("x")
    (tmp_path / "data").mkdir()
    assert "A file named “a.R” already exists" in name_problem(tmp_path, "a.R")
    assert "A folder named “data” already exists" in name_problem(tmp_path, "data")
    assert name_problem(tmp_path, "a.R", current=tmp_path / "a.R") is None
    assert name_problem(tmp_path, "data", current=tmp_path / "a.R") is not None


@pytest.mark.parametrize("name", ["analysis.R", "a..b.R", ".Rprofile", "données é.csv", "2024 report.Rmd"])
def test_ordinary_names_pass(tmp_path: Path, name: str) -> None:
    assert name_problem(tmp_path, name) is None

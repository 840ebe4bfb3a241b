"""Real CRAN code no one here wrote: Debian bookworm's pure-R packages through the whole path
(packed as webR binaries, served on 127.0.0.1, planned, downloaded, checked, installed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.debian_r import AptUnavailable, package_trees
from tests.fixtures.packages import RepoServer, debian_repo
from webr_desktop.core.packages.service import PackageService


@pytest.fixture(scope="module")
def debian(tmp_path_factory: pytest.TempPathFactory):
    try:
        root = debian_repo(tmp_path_factory.mktemp("debian") / "repo")
    except AptUnavailable as exc:
        pytest.skip(str(exc))
    with RepoServer(root) as server:
        yield server


def test_real_packages_plan_and_install(tmp_path: Path, debian: RepoServer) -> None:
    svc = PackageService.from_config(repos=[debian.url], library_root=tmp_path / "lib" / "R-4.6",
                                     cache_root=tmp_path / "cache")
    plan = svc.plan(["futile.logger", "foreach", "R6"])
    names = [i.name for i in plan]
    assert set(names) == {"futile.logger", "lambda.r", "formatR", "futile.options", "foreach",
                          "codetools", "iterators", "R6"}
    assert names.index("formatR") < names.index("lambda.r") < names.index("futile.logger")
    assert names.index("iterators") < names.index("foreach")
    svc.install(plan)
    versions = svc.library.versions()
    assert versions["futile.logger"] == "1.4.3" and versions["codetools"] == "0.2-19"
    trees = package_trees()
    for name in versions:
        original = sorted(p.relative_to(trees[name]).as_posix() for p in trees[name].rglob("*") if p.is_file())
        installed_root = svc.library.root / name
        installed = sorted(p.relative_to(installed_root).as_posix() for p in installed_root.rglob("*") if p.is_file())
        assert installed == original
        assert (installed_root / "R" / f"{name}.rdb").read_bytes() == (trees[name] / "R" / f"{name}.rdb").read_bytes()
    assert [c.name for c in svc.available("logging")][:1] == ["futile.logger"]

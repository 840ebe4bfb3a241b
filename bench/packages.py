"""Packages benchmark, the host (Python) side; prints one JSON object.

index_search_ms      = median time of a search over a synthetic index of 20,000 packages (the
                       size of webR's repository), through PackageService.available, for several
                       queries typed in the Install dialog. Goal < 50.
plan_ms              = resolving a package with 3 dependencies from a loopback repository whose
                       index is loaded (sizes from HEAD requests included). The package is
                       Debian's futile.logger (+ lambda.r, formatR, futile.options: real CRAN
                       code, tests/fixtures/debian_r.py) when dpkg-deb is here.
install_local_ms     = plan + download + check + install of that package and its 3 dependencies
                       from the loopback repository, cold cache (Python side only: the time R's
                       install.packages() adds on top is measured by the R side). Goal < 3000.
install_cached_ms    = the same again after removing them, with the repository stopped (index
                       and archives from the cache).
index_load_20k_ms    = the first load of that 20,000-entry index from loopback (download, parse,
                       save, search index built).
index_reload_20k_ms  = a refresh after that: a 304, the parsed index reused, search index rebuilt.

The R-side numbers (library_ms, library_ratio, source_build_ms, install through R's
install.packages()) need webR: bench/packages_r.py takes them in the same run (--no-r skips).

Usage: .venv/bin/python bench/packages.py [--runs N] [--load N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import add_load_argument, cpu_load, emit_json, median, private_env, rnd  # noqa: E402

from tests.fixtures.debian_r import AptUnavailable  # noqa: E402
from tests.fixtures.packages import Pkg, RepoServer, debian_repo, make_repo  # noqa: E402
from webr_desktop.core.packages.service import PackageService  # noqa: E402


def synthetic_repo(root: Path, count: int = 20_000) -> Path:
    """A repository whose index has ``count`` entries (no archives: only searched)."""
    contrib = root / "bin" / "emscripten" / "contrib" / "4.6"
    contrib.mkdir(parents=True)
    words = ["Tools", "for", "Data", "Analysis", "Plots", "Models", "Spatial", "Text", "Web", "Fast"]
    lines = []
    for i in range(count):
        title = " ".join(words[(i * k) % len(words)] for k in (1, 3, 7))
        lines.append(f"Package: pkg{i:05d}\nVersion: 1.{i % 7}.{i % 13}\nTitle: {title} {i}\n"
                     f"Imports: pkg{(i * 7) % count:05d}\nMD5sum: {'0' * 32}\n")
    (contrib / "PACKAGES").write_text("\n".join(lines))
    return root


def bench_search(work: Path, runs: int) -> tuple[float, float, float]:
    """(median search ms, first index load ms, median reload ms) over a 20,000-entry index."""
    with RepoServer(synthetic_repo(work / "synthetic")) as repo:
        svc = PackageService.from_config(repos=[repo.url], library_root=work / "slib" / "R-4.6",
                                         cache_root=work / "scache")
        loads = []
        for _ in range(runs):
            start = time.perf_counter()
            svc.refresh()
            loads.append((time.perf_counter() - start) * 1000)
    assert len(svc.available()) == 20_000
    queries = ["r", "pkg1", "spatial", "data models", "pkg19999", "zzz"]
    times = []
    for _ in range(runs):
        for q in queries:
            start = time.perf_counter()
            svc.available(q)
            times.append((time.perf_counter() - start) * 1000)
    return median(times), loads[0], median(loads[1:] or loads)


def install_repo(work: Path) -> tuple[Path, str, list[str]]:
    """(repository, package, its 3 dependencies): Debian's futile.logger (real CRAN code) when
    dpkg-deb is here, else four small packages written here."""
    try:
        root = debian_repo(work / "debian")
        return root, "futile.logger", ["lambda.r", "formatR", "futile.options"]
    except AptUnavailable:
        root = make_repo(work / "small", [
            Pkg("top", imports="d1, d2", files={"R/big.R": b"x <- 1\n" * 20000}),
            Pkg("d1", depends="d3"), Pkg("d2"), Pkg("d3", files={"R/more.R": b"y <- 2\n" * 20000}),
        ])
        return root, "top", ["d1", "d2", "d3"]


def bench_install(work: Path, runs: int) -> dict[str, object]:
    plan_t, local_t, cached_t = [], [], []
    root, top, deps = install_repo(work)
    for run in range(runs):
        repo = RepoServer(root)
        svc = PackageService.from_config(repos=[repo.url], library_root=work / f"lib{run}" / "R-4.6",
                                         cache_root=work / f"cache{run}")
        svc.refresh()
        start = time.perf_counter()
        plan = svc.plan([top])
        plan_t.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        svc.install(svc.plan([top]))
        local_t.append((time.perf_counter() - start) * 1000)
        assert len(svc.library.versions()) == 4 and len(plan) == 4
        svc.remove([top, *deps])
        repo.stop()
        offline = PackageService.from_config(repos=[repo.url], library_root=work / f"lib{run}" / "R-4.6",
                                             cache_root=work / f"cache{run}")
        start = time.perf_counter()
        offline.install(offline.plan([top]))
        cached_t.append((time.perf_counter() - start) * 1000)
        assert len(offline.library.versions()) == 4
    return {"install_package": f"{top} + {', '.join(deps)}", "plan_ms": rnd(median(plan_t)),
            "install_local_ms": rnd(median(local_t)), "install_cached_ms": rnd(median(cached_t))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-r", action="store_true", help="host side only (no webR)")
    add_load_argument(parser)
    args = parser.parse_args()
    private_env()
    with cpu_load(args.load), tempfile.TemporaryDirectory(prefix="bench-packages-") as tmp:
        work = Path(tmp)
        search_ms, first_ms, reload_ms = bench_search(work, args.runs)
        result: dict[str, object] = {"benchmark": "packages", "load": args.load, "index_search_ms": rnd(search_ms, 3),
                                     "index_load_20k_ms": rnd(first_ms), "index_reload_20k_ms": rnd(reload_ms)}
        result.update(bench_install(work, args.runs))
        if not args.no_r:
            from packages_r import bench_r

            try:
                result.update(bench_r(args.runs))
            except AptUnavailable as exc:
                result["r_side"] = f"skipped: {exc}"
    result["goals"] = {"index_search_ms": "< 50", "install_local_ms": "< 3000", "library_ratio": "<= 1.5"}
    emit_json(result)


if __name__ == "__main__":
    main()

"""Packages benchmark, the R (webR) side, run by bench/packages.py; all times taken inside R.

library_ms          = median of ``library(futile.logger); library(R6)`` (5 packages: futile.logger
                      and lambda.r, futile.options, formatR, plus R6; Debian's pure-R builds) from
                      the persistent library after a fresh R start (Restart R before each run,
                      then the same warm-up for both: library(iterators), a file.copy()).
library_memfs_ms    = the same packages copied into webR's in-memory file system (outside the
                      timing), after a fresh R start; runs alternate with library_ms.
library_ratio       = library_ms / library_memfs_ms. Goal <= 1.5.
library_requests    = requests the library view answered during one library_ms run.
r_install_local_ms  = ``install.packages("futile.logger")`` in R (3 dependencies), loopback
                      repository, cold cache: plan, downloads, checks, installs, R's view updated.
r_install_cached_ms = the same after remove.packages() of all four, the repository stopped.
source_build_ms     = ``install.packages()`` of a pure-R source package with 20 R files and 10
                      Rd pages: fetched, built inside webR (code, lazy loading, help), handed back
                      and installed. source_build_only_ms: the build in R alone.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from _common import init_qt, median, rnd, wait_until

from tests.fixtures.packages import Pkg, RepoServer, debian_repo, make_repo

R_LIBS_USER = "/home/web_user/R/wasm32-unknown-emscripten-library/4.6"
FIVE = ("futile.logger", "lambda.r", "futile.options", "formatR", "R6")


def big_source() -> Pkg:
    files = {}
    for i in range(20):
        body = "\n".join(f"f{i}_{j} <- function(x) x + {j}" for j in range(30))
        files[f"R/file{i:02d}.R"] = (body + "\n").encode()
    for i in range(10):
        files[f"man/f{i}_0.Rd"] = (f"\\name{{f{i}_0}}\n\\alias{{f{i}_0}}\n\\title{{Function {i}}}\n"
                                   f"\\description{{Adds zero.}}\n\\usage{{f{i}_0(x)}}\n\\arguments{{\\item{{x}}{{a number}}}}\n"
                                   f"\\value{{x}}\n\\examples{{f{i}_0(1)}}\n").encode()
    pkg = Pkg("bigsrc", "1.0", built=None, files=files)
    pkg.tree = lambda: {"DESCRIPTION": pkg.description().encode(), "NAMESPACE": b'exportPattern("^f")\n', **files}
    return pkg


def bench_r(runs: int) -> dict[str, object]:
    app = init_qt()  # noqa: F841 - keeps the QApplication alive
    from webr_desktop.app import PAGE_PATH, new_packages, new_session, start_server
    from webr_desktop.core.packages.service import PackageService
    from webr_desktop.core.rcode import r_string
    from webr_desktop.core.runtime_assets import check_runtime
    from webr_desktop.runtime.session import SessionState

    work = Path(tempfile.mkdtemp(prefix="bench-packages-r-"))
    root = debian_repo(work / "repo")
    make_repo(root, [big_source()])
    repo = RepoServer(root)
    info = check_runtime()
    server = start_server(info)
    session = new_session(server.url(PAGE_PATH), server.blobs)
    service = PackageService.from_config(repos=[repo.url], library_root=work / "lib" / "R-4.6",
                                         cache_root=work / "cache")
    model, _ = new_packages(session, server, info, service)
    session.start()
    wait_until(lambda: model.started and session.state is SessionState.IDLE, 90, "R with its library")

    def r(code: str, timeout: float = 600):
        request = session.eval(code)
        res: dict = {}
        request.sig_finished.connect(lambda v: res.setdefault("v", v))
        request.sig_failed.connect(lambda e: res.setdefault("e", e))
        wait_until(lambda: bool(res), timeout, code[:50], step_ms=2)
        if "e" in res:
            raise RuntimeError(res["e"])
        return res["v"]

    def ms(expr: str) -> float:
        return float(r(f"{{ gc(); system.time({expr})[['elapsed']] }}")) * 1000

    def restart() -> None:
        started = [False]
        session.sig_started.connect(lambda *_: started.__setitem__(0, True))
        session.restart()
        wait_until(lambda: started[0] and model.started and session.state is SessionState.IDLE, 90, "Restart R")

    out: dict[str, object] = {}
    try:
        r('install.packages(c("R6", "iterators", "codetools"), quiet = TRUE)')
        builds, build_only = [], []
        for _ in range(max(1, min(runs, 3))):
            builds.append(ms('install.packages("bigsrc", quiet = TRUE)'))
            build_only.append(float(r(".wd.pkg$last_build_s")) * 1000)
            r('remove.packages("bigsrc")')
        out["source_build_ms"] = rnd(median(builds))
        out["source_build_only_ms"] = rnd(median(build_only))
        out["r_install_local_ms"] = rnd(ms('install.packages("futile.logger", quiet = TRUE)'))
        r('remove.packages(c("futile.logger", "lambda.r", "futile.options", "formatR"))')
        repo.stop()
        out["r_install_cached_ms"] = rnd(ms('install.packages("futile.logger", quiet = TRUE)'))
        times: dict[str, list[float]] = {"lib": [], "mem": []}
        requests = 0
        timed = "{ library(futile.logger); library(R6) }"
        for run in range(runs + 1):  # run 0 warms the machine up
            for kind in ("lib", "mem") if run % 2 else ("mem", "lib"):
                restart()
                # The same warm-up either way (a fresh R pays for its first library() and
                # file.copy() calls): two packages outside the timed five, one copied.
                r(f"library(iterators); dir.create('/tmp/warm'); file.copy(file.path({r_string(R_LIBS_USER)}, "
                  "'codetools'), '/tmp/warm', recursive = TRUE); NULL")
                if kind == "mem":
                    pkgs = ", ".join(r_string(p) for p in FIVE)
                    r(f"dir.create('/tmp/memlib'); for (p in c({pkgs})) file.copy(file.path({r_string(R_LIBS_USER)}, p), "
                      "'/tmp/memlib', recursive = TRUE); .libPaths(c('/tmp/memlib', .libPaths())); NULL")
                else:
                    r("webr::eval_js('globalThis.__wdLib.requests = 0; 0')")
                t = ms(timed)
                if kind == "lib":
                    requests = int(r("webr::eval_js('globalThis.__wdLib.requests')"))
                    where = r('find.package("futile.logger")')
                    assert where.startswith(R_LIBS_USER), where
                if run:
                    times[kind].append(t)
        out["library_ms"] = rnd(median(times["lib"]))
        out["library_memfs_ms"] = rnd(median(times["mem"]))
        out["library_ratio"] = rnd(median(times["lib"]) / median(times["mem"]), 3)
        out["library_requests"] = requests
        out["library_runs_ms"] = {k: [rnd(v) for v in vs] for k, vs in times.items()}
    finally:
        session.shutdown()
        server.close()
        repo.stop()
    return out

"""Packages with the real webR: R's own verbs over the app's package service, the persistent
library at R_LIBS_USER, source packages built in webR, offers, restart and a second process.

Offline: every repository is built here and served on 127.0.0.1 (tests/fixtures/packages.py):
Debian bookworm's pure-R packages (real CRAN code, pinned sha256) packed as webR binaries, and
small source packages written here (R wants names of two characters or more, so the chain is
aa -> bb (>= 1.1) -> cc).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from webr_desktop.app import PAGE_PATH, new_packages, new_session, start_server
from webr_desktop.core import paths
from webr_desktop.core.packages.service import PackageService
from webr_desktop.core.packages.sources import save_config
from webr_desktop.runtime.session import SessionState
from tests.fixtures.debian_r import AptUnavailable
from tests.fixtures.packages import Pkg, RepoServer, debian_repo, make_repo, tree_hash
from tests.webengine.driver import RDriver

pytestmark = pytest.mark.webengine

RD = ("\\name{aa_hello}\n\\alias{aa_hello}\n\\title{Say Hello From aa}\n"
      "\\description{Greets from package aa, built from source inside webR.}\n"
      "\\usage{aa_hello()}\n\\value{A string.}\n\\examples{aa_hello()}\n").encode()
INSTALL_TIMEOUT = 120_000


def source_chain(version_a: str = "1.0") -> list[Pkg]:
    return [Pkg("aa", version_a, imports="bb (>= 1.1)", built=None, files={"man/aa_hello.Rd": RD}),
            Pkg("bb", "1.1", depends="cc", built=None), Pkg("cc", "0.5", built=None)]


def _wait_until(predicate, timeout_ms: int = 60_000) -> None:
    """Run the event loop until ``predicate()`` (module fixtures have no qtbot)."""
    from PySide6.QtCore import QDeadlineTimer, QEventLoop

    deadline = QDeadlineTimer(timeout_ms)
    loop = QEventLoop()
    while not predicate():
        if deadline.hasExpired():
            raise TimeoutError("timed out waiting for R and its package library")
        loop.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 50)


class Env:
    """The module's repository, app pieces and R session."""

    def __init__(self, work: Path, repo: RepoServer, driver: RDriver, model, service: PackageService) -> None:
        self.work, self.repo, self.driver, self.model, self.service = work, repo, driver, model, service

    @property
    def library(self) -> Path:
        return self.service.library.root

    def run(self, qtbot, code: str, timeout: int = INSTALL_TIMEOUT) -> tuple[str, str]:
        out = self.driver.run(qtbot, code, timeout=timeout)
        return ("\n".join(t for k, t in out if k == "stdout"), "\n".join(t for k, t in out if k == "stderr"))

    def restart(self, qtbot) -> None:
        session = self.driver.session
        with qtbot.waitSignal(session.sig_started, timeout=60_000):
            session.restart()
        qtbot.waitUntil(lambda: self.model.started and session.state is SessionState.IDLE, timeout=60_000)


@pytest.fixture(scope="module")
def env(qapp, runtime_info, tmp_path_factory) -> Iterator[Env]:
    work = tmp_path_factory.mktemp("packages")
    try:
        root = debian_repo(work / "repo")
    except AptUnavailable as exc:
        pytest.skip(str(exc))
    make_repo(root, source_chain())
    repo = RepoServer(root)
    save_config(paths.package_sources_file(), [])  # a second process has no repository configured
    local = work / "local"  # a flat folder of archives, a configured source of its own
    from tests.fixtures.packages import build

    build(Pkg("ee", "1.0", imports="cc", built=None), local)
    service = PackageService.from_config(repos=[repo.url, str(local)])
    shutil.rmtree(service.library.root, ignore_errors=True)
    server = start_server(runtime_info)
    session = new_session(server.url(PAGE_PATH), server.blobs)
    model, _ = new_packages(session, server, runtime_info, service)
    driver = RDriver(session)
    driver.server = server
    session.start()
    _wait_until(lambda: model.started and session.state is SessionState.IDLE)
    yield Env(work, repo, driver, model, service)
    session.shutdown()
    session.deleteLater()
    server.close()
    if repo._thread.is_alive():
        repo.stop()


def test_the_library_is_first_on_libpaths_and_read_only(qtbot, env: Env) -> None:
    out, err = env.run(qtbot, 'cat(.libPaths()[1], "\\n"); cat(file.create(file.path(.libPaths()[1], "x")), "\\n")')
    assert out.split("\n")[0].strip() == "/home/web_user/R/wasm32-unknown-emscripten-library/4.6"
    assert out.split("\n")[1].strip() == "FALSE"
    assert "Permission denied" in err
    assert not (env.library / "x").exists()


def test_install_a_versioned_chain_over_http_then_library_runs(qtbot, env: Env) -> None:
    out, err = env.run(qtbot, 'install.packages("futile.logger")')
    assert "also installing the dependencies 'formatR', 'lambda.r', 'futile.options'" in err
    assert "* DONE (futile.logger 1.4.3)" in err and "Error" not in err
    out, err = env.run(qtbot, 'library(futile.logger); flog.info("logged %d", 42L)')
    assert "logged 42" in out, err
    for name in ("futile.logger", "lambda.r", "futile.options", "formatR"):
        assert (env.library / name / "DESCRIPTION").is_file()
    out, _ = env.run(qtbot, 'cat(sort(rownames(installed.packages(.libPaths()[1]))), sep = " ")')
    assert out.strip() == "formatR futile.logger futile.options lambda.r"


def test_pure_r_source_chain_builds_in_webr_and_its_help_renders(qtbot, env: Env) -> None:
    from webr_desktop.models.help_service import HelpService
    from webr_desktop.ui.help.help_pane import HelpPane

    out, err = env.run(qtbot, 'install.packages("aa")')
    assert "also installing the dependencies 'cc', 'bb'" in err
    assert "* installing *source* package 'aa' ..." in err and "* DONE (aa 1.0, built in webR)" in err
    out, err = env.run(qtbot, 'library(aa); cat(aa_hello(), packageDescription("aa")$Built, sep = "\\n")')
    assert out.split("\n")[0] == "hello from aa 1.0", err
    assert out.split("\n")[1].startswith("R 4.6.0; ; ")
    service = HelpService(env.driver.session)
    pane = HelpPane(service, open_url=lambda url: None)
    qtbot.addWidget(pane)
    with qtbot.waitSignal(service.sig_page_shown, timeout=30_000) as blocker:
        env.run(qtbot, "?aa_hello")
    page = blocker.args[0]
    assert page.title == "Say Hello From aa"  # a named Title in Meta/Rd.rds became a dict once
    pane.resize(560, 420)
    pane.show()
    qtbot.waitUntil(lambda: "built from source inside webR" in pane.browser.toPlainText(), timeout=10_000)
    pane.grab().save(str(Path(os.environ.get("WD_SHOTS", env.work)) / "help-built-package.png"))
    service.deleteLater()


def test_update_offers_restart_and_remove_changes_the_library(qtbot, env: Env) -> None:
    env.run(qtbot, "library(aa)")
    make_repo(env.repo.root, [source_chain("2.0")[0]])
    env.service.refresh()
    out, _ = env.run(qtbot, 'print(unname(old.packages()[, c("Package", "Installed", "ReposVer")]))')
    assert '"aa"' in out and '"1.0"' in out and '"2.0"' in out
    with qtbot.waitSignal(env.model.sig_restart_suggested, timeout=INSTALL_TIMEOUT) as blocker:
        out, err = env.run(qtbot, "update.packages(ask = FALSE)")
    assert blocker.args[0] == ["aa"]
    assert "'aa' updated while loaded: restart R" in err
    assert "Version: 2.0" in (env.library / "aa" / "DESCRIPTION").read_text()
    env.restart(qtbot)
    out, err = env.run(qtbot, "library(aa); cat(aa_hello())")
    assert out == "hello from aa 2.0", err
    with qtbot.waitSignal(env.model.sig_restart_suggested, timeout=30_000):
        out, err = env.run(qtbot, 'remove.packages("aa")')
    assert not (env.library / "aa").exists()
    env.restart(qtbot)
    out, err = env.run(qtbot, 'cat(requireNamespace("aa", quietly = TRUE))')
    assert out == "FALSE"


def test_library_of_a_missing_package_offers_to_install_it(qtbot, env: Env) -> None:
    with qtbot.waitSignal(env.model.sig_install_offered, timeout=30_000) as blocker:
        out, err = env.run(qtbot, "library(R6)")
    assert "there is no package called" in err
    assert f"Package 'R6' 2.5.1 is available from {env.repo.url}: install it with install.packages(\"R6\")" in err
    assert blocker.args == ["R6", env.repo.url]
    assert not (env.library / "R6").exists()  # nothing installs unless the user asks
    out, err = env.run(qtbot, 'x <- requireNamespace("nosuchpkg", quietly = TRUE)')
    assert err == ""


def test_the_cache_installs_offline_and_restart_and_a_second_process_load_it(qtbot, env: Env) -> None:
    mirror = RepoServer(env.repo.root)  # a repository of its own, to take away
    env.run(qtbot, f'install.packages("R6", repos = "{mirror.url}")')
    env.run(qtbot, 'remove.packages("R6")')
    mirror.stop()  # gone: the index and the archive come from the cache
    out, err = env.run(qtbot, f'install.packages("R6", repos = "{mirror.url}"); library(R6); '
                              'cat(R6Class("P", public = list(x = 7))$new()$x)')
    assert out == "7", err
    env.restart(qtbot)
    out, err = env.run(qtbot, 'library(R6); cat(R6Class("Q", public = list(y = 8))$new()$y)')
    assert out == "8", err
    child = subprocess.run(
        [sys.executable, "-m", "webr_desktop", "run", "--no-network", "-e",
         'library(R6); library(futile.logger); cat(R6Class("Z", public = list(z = 9))$new()$z, .libPaths()[1], "\\n")'],
        capture_output=True, text=True, timeout=180, env={**os.environ},
    )
    assert child.returncode == 0, child.stderr
    assert child.stdout.strip() == "9 /home/web_user/R/wasm32-unknown-emscripten-library/4.6"


def test_install_from_a_local_folder(qtbot, env: Env) -> None:
    out, err = env.run(qtbot, 'install.packages("ee"); library(ee); cat(ee_hello())')
    assert f"trying ee 1.0 (source) from {env.work / 'local'}" in err
    assert out == "hello from ee 1.0", err


def test_install_from_a_file_with_repos_null(qtbot, env: Env) -> None:
    from tests.fixtures.packages import build

    archive = build(Pkg("dd", "1.0", imports="cc", built=None), env.work / "files")
    env.run(qtbot, f'dir.create("/tmp/files"); writeBin(as.raw(c({", ".join(str(b) for b in archive.read_bytes())})), '
                   '"/tmp/files/dd_1.0.tar.gz")')
    out, err = env.run(qtbot, 'install.packages("/tmp/files/dd_1.0.tar.gz", repos = NULL); library(dd); cat(dd_hello())')
    assert out == "hello from dd 1.0", err


ERRORS = {
    "nosuchpkg": "package 'nosuchpkg' is not available from",
    "withsrc": "compiled code (src/), which can't be built inside webR: a webR binary can come from https://repo.r-wasm.org",
    "elfpkg": "elfpkg",
    "oldbuilt": "built for R 3.6.0, before R 4.0",
    "needsnew": "bb",
    "trunc": "truncated",
    "dotdot": "climbs out with '..'",
    "linky": "is a link (to '/etc')",
}


@pytest.fixture(scope="module")
def broken_repo(env: Env) -> Iterator[RepoServer]:
    from tests.fixtures.packages import broken

    root = env.work / "broken"
    bin_dir = root / "bin" / "emscripten" / "contrib" / "4.6"
    made = broken(env.work / "broken-archives")
    archives = [p for k, p in made.items() if k != "with_src"]
    make_repo(root, [Pkg("withsrc", "1.0", built=None, files={"src/hello.c": b"int f(void){return 1;}\n"}),
                     Pkg("needsnew", "1.0", imports="bb (>= 9.0)", built=None),
                     Pkg("goodleaf", "1.0"),  # a good dependency of a bad package: planned first
                     Pkg("elfdep", "1.0", imports="goodleaf", files={"libs/elfdep.so": b"\x7fELF\x02\x01\x01" + bytes(64)})],
              archives)
    assert bin_dir.is_dir()
    with env.service.library.locked():  # the library's version stamp exists before the hashes
        pass
    with RepoServer(root) as repo:
        yield repo


@pytest.mark.parametrize("name", list(ERRORS))
def test_each_error_is_a_readable_r_error_and_the_library_is_unchanged(qtbot, env: Env, broken_repo: RepoServer,
                                                                      name: str) -> None:
    before = tree_hash(env.library)
    out, err = env.run(qtbot, f'install.packages("{name}", repos = "{broken_repo.url}")')
    error = err[err.find("Error: "):]
    assert err.find("Error: ") >= 0 and ERRORS[name].lower() in error.lower(), err
    assert tree_hash(env.library) == before


def test_a_plan_installs_whole_or_not_at_all(qtbot, env: Env, broken_repo: RepoServer) -> None:
    """elfdep's dependency goodleaf is planned first and is fine; elfdep itself is refused:
    neither is installed (the library is byte-for-byte as it was)."""
    before = tree_hash(env.library)
    out, err = env.run(qtbot, f'install.packages("elfdep", repos = "{broken_repo.url}")')
    assert "Error: " in err and "elfdep" in err and "compiled code" in err.lower(), err
    assert "trying goodleaf" in err  # it was in the plan
    assert tree_hash(env.library) == before
    assert not (env.library / "goodleaf").exists()


def test_a_checksum_mismatch_is_refused(qtbot, env: Env) -> None:
    before = tree_hash(env.library)
    target = next(p for p in (env.repo.root / "bin/emscripten/contrib/4.6").glob("iterators_*.tgz"))
    env.repo.overrides[target.relative_to(env.repo.root).as_posix()] = target.read_bytes()[:-10] + b"0123456789"
    try:
        out, err = env.run(qtbot, f'install.packages("iterators", repos = "{env.repo.url}")')
    finally:
        env.repo.overrides.clear()
    assert "Error: checksum mismatch for 'iterators' 1.0.14" in err and "nothing was installed" in err, err
    assert tree_hash(env.library) == before


def test_the_console_offer_installs_with_one_click(qtbot, env: Env, tmp_path: Path) -> None:
    from webr_desktop.app.panes.console import connect_package_offers
    from webr_desktop.core.history import History
    from webr_desktop.ui.console.console_pane import ConsolePane

    console = ConsolePane(env.driver.session, History(tmp_path / "history.txt"))
    qtbot.addWidget(console)
    console.resize(760, 360)
    console.show()
    connect_package_offers(console, env.model, env.driver.session)
    with qtbot.waitSignal(env.model.sig_install_offered, timeout=30_000):
        env.run(qtbot, "library(codetools)")
    qtbot.waitUntil(console.offer_bar.isVisible, timeout=5_000)
    assert console.offer_bar.accept_button.text() == "Install codetools"
    console.grab().save(str(Path(os.environ.get("WD_SHOTS", tmp_path)) / "console-offer.png"))
    assert not (env.library / "codetools").exists()  # nothing until the click
    prompts = env.driver.prompts
    console.offer_bar.accept_button.click()
    qtbot.waitUntil(lambda: (env.library / "codetools" / "DESCRIPTION").is_file(), timeout=INSTALL_TIMEOUT)
    qtbot.waitUntil(lambda: env.driver.prompts > prompts and env.driver.session.state is SessionState.IDLE,
                    timeout=INSTALL_TIMEOUT)
    assert not console.offer_bar.isVisible()
    out, err = env.run(qtbot, "library(codetools); cat(exists('findGlobals'))")
    assert out == "TRUE", err
    console.close()


def test_two_installs_queue(qtbot, env: Env) -> None:
    """An install from R waits for one already running (here: the pane's, holding the library)."""
    phases: list[tuple[str, str]] = []
    env.model.sig_progress.connect(lambda e: phases.append((e.get("package"), e.get("phase"))))
    with env.service.library.locked():  # another install is under way
        with qtbot.waitSignal(env.model.sig_progress, timeout=30_000,
                              check_params_cb=lambda e: e.get("phase") == "queued"):
            env.driver.session.write_console('webr::install("iterators")')
        assert env.driver.session.state is not SessionState.IDLE  # R waits its turn
        assert not (env.library / "iterators").exists()
    qtbot.waitUntil(lambda: (env.library / "iterators" / "DESCRIPTION").is_file(), timeout=INSTALL_TIMEOUT)
    qtbot.waitUntil(lambda: env.driver.session.state is SessionState.IDLE, timeout=INSTALL_TIMEOUT)
    assert ("iterators", "queued") in phases and ("iterators", "done") in phases
    out, err = env.run(qtbot, "library(iterators); cat(nextElem(iter(1:3)))")
    assert out == "1", err


def test_available_packages_and_notes_for_arguments_that_change_nothing(qtbot, env: Env) -> None:
    out, err = env.run(qtbot, 'a <- available.packages(); cat(nrow(a) >= 10, a["R6", "Version"], '
                              'all(c("Package", "Depends", "Imports", "MD5sum", "Repository") %in% colnames(a)))')
    assert out == "TRUE 2.5.1 TRUE", err
    out, err = env.run(qtbot, 'install.packages("R6", lib = "/tmp/elsewhere", Ncpus = 4, quiet = TRUE)')
    assert "Note: install.packages() in webR Desktop ignores 'Ncpus' (no effect here)." in err
    assert "lib = '/tmp/elsewhere' is not used" in err
    out, err = env.run(qtbot, 'remove.packages("stats")')
    assert "Error: 'stats' is part of webR's built-in library, which can't be changed" in err


def test_a_package_installed_by_another_program_is_seen_after_the_failed_library(qtbot, env: Env) -> None:
    env.service.install_names(["foreach"])  # as `webr-desktop packages install` would, outside the app's route
    out, err = env.run(qtbot, "library(foreach)")
    assert "Package 'foreach' was installed meanwhile; run library(foreach) again." in err
    out, err = env.run(qtbot, "library(foreach); cat(foreach(i = 1:3, .combine = c) %do% (i * 2))")
    assert out == "2 4 6", err


def test_offline_and_not_cached_is_a_clear_error(qtbot, env: Env) -> None:
    root = make_repo(env.work / "offline-repo", [Pkg("ff", "1.0", built=None)])
    with RepoServer(root) as gone:
        out, err = env.run(qtbot, f'x <- available.packages(repos = "{gone.url}"); cat("ff" %in% rownames(x))')
        assert out == "TRUE", err  # its index is saved (the package cache is a source too)
    before = tree_hash(env.library)
    out, err = env.run(qtbot, f'install.packages("ff", repos = "{gone.url}")')
    assert "Error: " in err and "isn't in the package cache" in err and "can't be reached" in err, err
    assert tree_hash(env.library) == before


def test_with_networking_off_nothing_is_downloaded(qtbot, env: Env) -> None:
    """R can name any repository; the app's own downloads keep the Network switch: with it off
    the repository gets no request and R gets a clear error (issue 14's promise, for packages)."""
    from webr_desktop.server.package_http import guarded_opener

    root = make_repo(env.work / "switched-off-repo", [Pkg("gg", "1.0", built=None)])
    before_opener = env.service.opener
    env.service.use_opener(guarded_opener(lambda: None))  # what new_packages wires: networking off
    try:
        with RepoServer(root) as repo:
            before = tree_hash(env.library)
            out, err = env.run(qtbot, f'install.packages("gg", repos = "{repo.url}")')
            assert "Error" in err and "networking is off" in err, err
            assert repo.requests == []  # no index, HEAD or archive request reached it
            assert tree_hash(env.library) == before
    finally:
        env.service.use_opener(before_opener)

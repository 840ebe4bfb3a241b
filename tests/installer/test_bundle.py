"""The one-folder bundle, copied to a temp folder and run from a bare environment."""

from __future__ import annotations

import http.server
import os
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.installer.conftest import MARKS, RUN_TIMEOUT, Bundle, clean_env, nobody_home
from webr_desktop.core.frozen import PROXY_CHILD_FLAG

pytestmark = MARKS
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_version_names_webr_and_r(bundle: Bundle) -> None:
    done = bundle.run("--version")
    assert done.returncode == 0, done.stderr
    assert "webR 0.6.0" in done.stdout and "R 4.6.0" in done.stdout


def test_run_expression(bundle: Bundle) -> None:
    done = bundle.run("run", "-e", "cat(R.version.string)")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("R version 4.6.0")


def test_fetch_runtime_says_the_runtime_is_built_in_and_verifies_it(bundle: Bundle) -> None:
    done = bundle.run("fetch-runtime", "--check")
    assert done.returncode == 0, done.stderr
    assert "built into this app" in done.stderr and str(bundle.folder) in done.stderr


def test_run_plots_writes_a_png(bundle: Bundle, tmp_path: Path) -> None:
    out = tmp_path / "plots"
    done = bundle.run("run", "--plots", str(out), "-e", "plot(1:10)", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    png = out / "plot-001.png"
    assert png.read_bytes()[:8] == PNG_MAGIC and png.stat().st_size > 1000


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                kids = [int(k) for k in (task / "children").read_text().split()]
            except OSError:
                continue
            found += kids
            todo += kids
    return found


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Answers 'hello' and records, at that moment, the exe of every proxy process of the app."""

    protocol_version = "HTTP/1.0"
    app_pid = 0
    proxies: dict[int, str] = {}
    paths: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        type(self).paths.append(self.path)
        for pid in _descendants(type(self).app_pid):
            try:
                argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                if PROXY_CHILD_FLAG.encode() in argv:
                    type(self).proxies[pid] = os.readlink(f"/proc/{pid}/exe")
            except OSError:
                pass
        body = b"hello"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[tuple[type[_Recorder], int]]:
    _Recorder.proxies, _Recorder.paths = {}, []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield _Recorder, server.server_address[1]
    server.shutdown()
    server.server_close()


def test_r_socket_and_download_go_through_the_bundles_own_proxy(bundle: Bundle, tmp_path: Path, recorder) -> None:
    handler, port = recorder
    script = tmp_path / "net.R"
    script.write_text(
        f'f <- tempfile(); download.file("http://127.0.0.1:{port}/download", f, quiet = TRUE)\n'
        'cat("download:", readLines(f, warn = FALSE), "\\n")\n'
        f'con <- socketConnection("127.0.0.1", {port}, blocking = TRUE, open = "r+b", timeout = 20)\n'
        'writeLines("GET /socket HTTP/1.0\\r\\nHost: t\\r\\n\\r", con)\n'
        'cat("socket:", tail(readLines(con, warn = FALSE), 1), "\\n"); close(con)\n',
        encoding="utf-8")
    proc = subprocess.Popen([*clean_env(bundle.home), str(bundle.exe), "run", str(script)],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    handler.app_pid = proc.pid
    out, err = proc.communicate(timeout=RUN_TIMEOUT)
    assert proc.returncode == 0, err
    assert "download: hello" in out and "socket: hello" in out
    assert "/socket" in handler.paths  # R's raw socket: only the proxy child can carry it
    # The socket request was carried by a websockify child forked from the proxy: both are the
    # bundle's own binary re-invoked with the private flag, not a Python.
    exes = set(handler.proxies.values())
    assert exes == {str(bundle.exe.resolve())}, handler.proxies


def _gui_first_prompt(bundle: Bundle, display: str, *, as_user: str | None = None,
                      home: Path | None = None) -> subprocess.CompletedProcess[str]:
    return bundle.run("--exit-after-first-prompt", "-v", extra_env={"DISPLAY": display},
                      as_user=as_user, home=home)


def test_gui_reaches_its_first_prompt_as_root_without_the_sandbox(bundle: Bundle, xdisplay: str) -> None:
    if os.geteuid() != 0:
        pytest.skip("this case is about root (the test runs as another user)")
    done = _gui_first_prompt(bundle, xdisplay)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "first prompt shown" in done.stdout
    assert "Chromium sandbox off (--no-sandbox): running as root" in done.stderr


def _engine_namespaces(app_pid: int, stop: threading.Event, seen: dict[str, set[str]]) -> None:
    """While the app runs: the user namespaces of the app and of Chromium's sandboxed zygote
    (renderers are forked from it and keep its command line)."""
    while not stop.wait(0.05):
        for pid in [app_pid, *_descendants(app_pid)]:
            try:
                argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                ns = os.readlink(f"/proc/{pid}/ns/user")
            except OSError:
                continue
            if pid == app_pid:
                seen["app"].add(ns)
            elif argv[0].endswith(b"QtWebEngineProcess") and b"--no-zygote-sandbox" not in argv:
                seen["sandboxed"].add(ns)


def test_gui_reaches_its_first_prompt_as_nobody_with_the_sandbox_on(bundle: Bundle, xdisplay: str) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to switch to nobody")
    home = nobody_home(bundle.home.parent)
    cmd = ["runuser", "-u", "nobody", "--", *clean_env(home, DISPLAY=xdisplay), str(bundle.exe),
           "--exit-after-first-prompt", "-v"]
    proc = subprocess.Popen(cmd, cwd=home, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen: dict[str, set[str]] = {"app": set(), "sandboxed": set()}
    stop = threading.Event()
    watcher = threading.Thread(target=_engine_namespaces, args=(proc.pid, stop, seen), daemon=True)
    watcher.start()
    try:
        out, err = proc.communicate(timeout=RUN_TIMEOUT)
    finally:
        stop.set()
        watcher.join()
    assert proc.returncode == 0, err[-3000:]
    assert "first prompt shown" in out
    assert "Chromium sandbox on: user namespaces work" in err, err[-3000:]
    # The sandbox is really on: Chromium put its zygote (and so the renderers) in a user
    # namespace of its own.
    assert seen["sandboxed"] and not seen["sandboxed"] & seen["app"], seen
    ran = bundle.run("run", "-e", "cat(6 * 7)", as_user="nobody", home=home)
    assert ran.returncode == 0 and ran.stdout.strip() == "42", ran.stderr


def test_no_system_cxx_runtime_in_the_bundle(bundle: Bundle) -> None:
    """libstdc++/libgcc_s/libgbm/libdrm come from the system (Mesa needs the system's)."""
    internal = bundle.folder / "_internal"
    names = [p.name for p in internal.rglob("*.so*")]
    banned = ("libstdc++.so", "libgcc_s.so", "libgbm.so", "libdrm.so")
    assert not [n for n in names if n.startswith(banned)]
    locales = sorted(p.name for p in internal.rglob("qtwebengine_locales/*.pak"))
    assert locales == ["en-US.pak"]

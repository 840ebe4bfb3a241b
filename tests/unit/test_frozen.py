"""core.frozen: the proxy child's command and outside programs' library path, in and out of a
bundle; the private flag reaching the real proxy; the Chromium sandbox decision."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from webr_desktop.core import frozen
from webr_desktop.net.tokens import ORIGIN_ENV, SECRET_ENV
from webr_desktop.runtime import engine

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def as_bundle(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Look like PyInstaller's bootloader started us: sys.frozen, _MEIPASS, our binary."""
    exe = tmp_path / "webr-desktop"
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path / "_internal"), raising=False)
    monkeypatch.setattr(sys, "executable", str(exe))
    return exe


def test_from_source_the_proxy_child_is_python_dash_m() -> None:
    assert not frozen.is_frozen() and frozen.bundle_dir() is None
    assert frozen.proxy_child_command() == (sys.executable, ["-m", "webr_desktop.net.proxy_main"])


def test_in_a_bundle_the_proxy_child_is_the_bundle_binary_with_the_private_flag(as_bundle: Path) -> None:
    assert frozen.is_frozen() and frozen.bundle_dir() == as_bundle.parent / "_internal"
    assert frozen.proxy_child_command() == (str(as_bundle), [frozen.PROXY_CHILD_FLAG])


def test_outside_environment_restores_the_users_library_path(as_bundle: Path) -> None:
    env = {"LD_LIBRARY_PATH": "/bundle/_internal:/usr/local/lib", "LD_LIBRARY_PATH_ORIG": "/usr/local/lib", "X": "1"}
    assert frozen.outside_environment(env) == {"LD_LIBRARY_PATH": "/usr/local/lib", "LD_LIBRARY_PATH_ORIG": "/usr/local/lib", "X": "1"}
    bare = {"LD_LIBRARY_PATH": "/bundle/_internal"}  # the user had none: the bootloader made it up
    assert frozen.outside_environment(bare) == {}


def test_outside_environment_leaves_a_source_run_alone() -> None:
    env = {"LD_LIBRARY_PATH": "/opt/lib"}
    assert frozen.outside_environment(env) == {"LD_LIBRARY_PATH": "/opt/lib"}


def test_outside_program_environment_is_put_back_for_our_own_children(
        as_bundle: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LD_LIBRARY_PATH", "/bundle/_internal")
    monkeypatch.delenv("LD_LIBRARY_PATH_ORIG", raising=False)
    with frozen.outside_program_environment():
        seen = subprocess.run(["sh", "-c", 'printf %s "${LD_LIBRARY_PATH-unset}"'], capture_output=True, text=True).stdout
    assert seen == "unset"
    assert os.environ["LD_LIBRARY_PATH"] == "/bundle/_internal"


def test_the_private_flag_starts_the_real_proxy_and_it_reports_its_port() -> None:
    """What a bundle does with its own binary, done with `python -m webr_desktop`."""
    env = {**os.environ, SECRET_ENV: "s" * 32, ORIGIN_ENV: "http://127.0.0.1:1", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "webr_desktop", frozen.PROXY_CHILD_FLAG],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        first = proc.stdout.readline()
        assert first.startswith("PORT ") and first[5:].strip().isdigit(), proc.stderr.read() if not first else first
    finally:
        proc.terminate()
        proc.wait(10)


def test_sandbox_is_off_for_root_and_on_when_user_namespaces_work(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    assert engine.sandbox_decision() == (False, "running as root, which Chromium's sandbox refuses")
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    monkeypatch.setattr(engine, "_user_namespaces_work", lambda: False)
    assert engine.sandbox_decision()[0] is False


SYSTEM_PYTHON = "/usr/bin/python3"  # nobody can't run the venv's (it lives under /root here)


@pytest.mark.skipif(os.geteuid() != 0 or not os.path.exists(SYSTEM_PYTHON), reason="root switches to nobody")
def test_user_namespace_probe_as_an_unprivileged_user() -> None:
    """The probe in a real unprivileged process; it must agree with `unshare --user --map-root-user`."""
    code = ("import sys; sys.path.insert(0, %r); from webr_desktop.runtime.engine import _user_namespaces_work;"
            "print(_user_namespaces_work())" % str(ROOT))
    probe = subprocess.run(["runuser", "-u", "nobody", "--", SYSTEM_PYTHON, "-c", code],
                           capture_output=True, text=True, cwd="/")
    reference = subprocess.run(["runuser", "-u", "nobody", "--", "unshare", "--user", "--map-root-user", "true"],
                               capture_output=True, cwd="/")
    assert probe.stdout.strip() == str(reference.returncode == 0), probe.stderr

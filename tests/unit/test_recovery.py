"""RecoveryStore: a kill -9'd instance's buffers come back exactly; clean exits and live ones don't."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from webr_desktop.core import recovery
from webr_desktop.core.recovery import Buffer, RecoveryStore

TRICKY = "é ü ñ — 日本語 🙂\r\nline two\r\n\ttabbed\n\"quotes\" \\ backslash\r"

# The child saves buffers, says so, then waits to be killed: a crash with no clean-up at all.
CHILD = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from webr_desktop.core.recovery import Buffer, RecoveryStore
    store = RecoveryStore(Path(sys.argv[1]))
    buffers = [Buffer(**b) for b in json.loads(sys.stdin.readline())]
    store.save(buffers)
    print("saved", store.instance_dir, flush=True)
    sys.stdin.read()  # until killed
""")


def spawn_and_kill(root: Path, buffers: list[Buffer], *, kill: bool = True) -> tuple[subprocess.Popen, Path]:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(root)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        text=True, encoding="utf-8", cwd=Path(__file__).resolve().parents[2])
    assert child.stdin is not None and child.stdout is not None
    child.stdin.write(json.dumps([b.__dict__ for b in buffers]) + "\n")
    child.stdin.flush()
    line = child.stdout.readline()
    assert line.startswith("saved "), line
    if kill:
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=10) == -signal.SIGKILL
    return child, Path(line.split(" ", 1)[1].strip())


def test_kill_9_leaves_buffers_a_new_instance_restores_exactly(tmp_path: Path) -> None:
    saved = [Buffer("tab-1", "analysis.R", "/home/u/proj/analysis.R", TRICKY),
             Buffer("tab-2", "Untitled 1", None, "x <- 1\r\n")]
    _child, folder = spawn_and_kill(tmp_path, saved)
    assert folder.is_dir()  # nothing cleaned up: it really crashed
    with RecoveryStore(tmp_path) as store:
        found = store.orphans()
        assert sorted(found, key=lambda b: b.key) == saved
        by_key = {b.key: b for b in found}
        assert by_key["tab-1"].text.encode("utf-8") == TRICKY.encode("utf-8")  # CRLF, é, emoji intact
        store.discard_orphans()
        assert not folder.exists()
        assert store.orphans() == []
    assert list(tmp_path.iterdir()) == []


def test_a_live_instance_is_never_an_orphan(tmp_path: Path) -> None:
    child, folder = spawn_and_kill(tmp_path, [Buffer("k", "live.R", None, "still typing")], kill=False)
    try:
        with RecoveryStore(tmp_path) as store:
            assert store.orphans() == []
            store.discard_orphans()
            assert folder.is_dir()  # never touched
    finally:
        child.kill()
        child.wait(timeout=10)
    with RecoveryStore(tmp_path) as store:  # once it is gone, it is an orphan
        assert [b.text for b in store.orphans()] == ["still typing"]
        store.discard_orphans()


def test_same_process_instances_do_not_take_each_other(tmp_path: Path) -> None:
    first, second = RecoveryStore(tmp_path), RecoveryStore(tmp_path)
    first.save([Buffer("a", "a.R", None, "one")])
    assert second.orphans() == []
    first.close()
    second.close()


def test_clean_close_leaves_no_orphan(tmp_path: Path) -> None:
    store = RecoveryStore(tmp_path)
    store.save([Buffer("a", "a.R", None, "text")])
    store.close()
    store.close()  # idempotent
    assert list(tmp_path.iterdir()) == []
    with RecoveryStore(tmp_path) as later:
        assert later.orphans() == []
    with pytest.raises(RuntimeError):
        store.save([])


def test_save_rewrites_only_changed_buffers_and_drops_removed_ones(tmp_path: Path) -> None:
    with RecoveryStore(tmp_path) as store:
        a, b = Buffer("a", "a.R", None, "1"), Buffer("b", "b.R", "/x/b.R", "2")
        assert store.save([a, b]) == 2
        files = {p.name: p.stat().st_mtime_ns for p in store.instance_dir.glob("buffer-*.json")}
        assert store.save([a, b]) == 0
        assert store.save([a, Buffer("b", "b.R", "/x/b.R", "22")]) == 1
        assert {p.name: p.stat().st_mtime_ns for p in store.instance_dir.glob("buffer-*.json")}.keys() == files.keys()
        assert store.save([a]) == 0
        assert len(list(store.instance_dir.glob("buffer-*.json"))) == 1
        assert not [p for p in store.instance_dir.iterdir() if p.name.endswith(".tmp")]


def test_pid_reuse_does_not_hide_a_crash(tmp_path: Path) -> None:
    """A dead instance whose pid now names a live process (here: ours) is still an orphan."""
    _child, folder = spawn_and_kill(tmp_path, [Buffer("k", "t.R", None, "lost?")])
    info = json.loads((folder / recovery.INSTANCE_NAME).read_text())
    info["pid"] = os.getpid()
    (folder / recovery.INSTANCE_NAME).write_text(json.dumps(info))
    with RecoveryStore(tmp_path) as store:
        assert [b.text for b in store.orphans()] == ["lost?"]
        store.discard_orphans()


def test_without_locks_the_pid_and_start_time_decide(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the file system can't lock, fall back to pid liveness + the process start time."""
    _child, dead = spawn_and_kill(tmp_path, [Buffer("k", "dead.R", None, "d")])
    monkeypatch.setattr(recovery._FileLock, "acquire", lambda self: None)
    live = tmp_path / "live"
    live.mkdir()
    (live / recovery.INSTANCE_NAME).write_text(json.dumps(
        {"pid": os.getpid(), "started": 0, "proc_start": recovery._process_start(os.getpid())}))
    (live / "buffer-x.json").write_text(json.dumps({"key": "x", "title": "live.R", "path": None, "text": "l"}))
    with RecoveryStore(tmp_path) as store:
        assert [b.title for b in store.orphans()] == ["dead.R"]
        store.discard_orphans()
        assert live.is_dir() and not dead.exists()
        if recovery._process_start(os.getpid()) is not None:  # Linux: a reused pid starts later
            info = json.loads((live / recovery.INSTANCE_NAME).read_text())
            info["proc_start"] = "1"
            (live / recovery.INSTANCE_NAME).write_text(json.dumps(info))
            assert [b.title for b in store.orphans()] == ["live.R"]
            store.discard_orphans()


def test_two_new_instances_never_both_claim_an_orphan(tmp_path: Path) -> None:
    spawn_and_kill(tmp_path, [Buffer("k", "once.R", None, "x")])
    with RecoveryStore(tmp_path) as one, RecoveryStore(tmp_path) as two:
        assert [b.title for b in one.orphans()] == ["once.R"]
        assert two.orphans() == []
    with RecoveryStore(tmp_path) as three:  # closing without discarding gives it back
        assert [b.title for b in three.orphans()] == ["once.R"]
        three.discard_orphans()


def test_corrupt_buffer_files_are_skipped_and_empty_dead_folders_removed(tmp_path: Path) -> None:
    _child, folder = spawn_and_kill(tmp_path, [Buffer("k", "good.R", None, "ok")])
    (folder / "buffer-bad.json").write_text("{truncated")
    (folder / "buffer-worse.json").write_text('{"key": 1, "title": "t", "path": null, "text": "x"}')
    _child2, empty = spawn_and_kill(tmp_path, [])
    unfinished = tmp_path / "123-unfinished"
    unfinished.mkdir()  # a creator that died before writing instance.json, long ago
    os.utime(unfinished, (0, 0))
    with RecoveryStore(tmp_path) as store:
        assert [b.title for b in store.orphans()] == ["good.R"]
        assert not empty.exists() and not unfinished.exists()
        store.discard_orphans()
    assert list(tmp_path.iterdir()) == []


def test_recovery_dir_is_under_the_user_state_dir() -> None:
    from webr_desktop.core import paths

    assert paths.recovery_dir().parent == paths.user_state_dir()
    assert paths.recovery_dir().name == "recovery"

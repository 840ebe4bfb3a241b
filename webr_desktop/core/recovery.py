"""Unsaved editor buffers kept on disk so a crash or kill -9 loses no typing.

Layout under the recovery root (``paths.recovery_dir()``)::

    <pid>-<token>/            one folder per running app instance
        lock                  held locked (flock / msvcrt) for the instance's whole life
        instance.json         pid, token, start time; written only once the lock is held
        buffer-<hash>.json    one file per unsaved buffer, each replaced atomically

Why a lock and not only a pid: the kernel drops a file lock when its process dies, however
it dies (kill -9 included), and a lock belongs to an open file, not to a pid, so pid reuse
can neither hide a crash nor make a live instance look dead. A folder is an orphan when its
``instance.json`` exists and its lock can be taken. The scanner keeps that lock while it holds
the orphan's buffers, so two instances started together never both restore the same files.
Where locking is impossible (some network file systems) the fallback is pid liveness plus
the process start time from /proc.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from webr_desktop.core.atomic_file import write_atomic

log = logging.getLogger(__name__)

LOCK_NAME = "lock"
INSTANCE_NAME = "instance.json"
BUFFER_PREFIX = "buffer-"
# A folder without instance.json is either being created right now or its creator died
# within microseconds of mkdir; only the second kind gets this old.
STALE_UNFINISHED_SECONDS = 3600


@dataclass(frozen=True)
class Buffer:
    """One unsaved editor buffer: ``key`` is stable for the tab's life; ``path`` is None if never saved."""

    key: str
    title: str
    path: str | None
    text: str


class RecoveryStore:
    """This instance's recovery folder, and the orphaned folders of instances that crashed.

    Creating the store claims a fresh instance folder under ``root``. ``save`` mirrors the
    current unsaved buffers there (rewriting only the ones that changed); ``close`` on a
    clean exit deletes the folder. ``orphans`` / ``discard_orphans`` deal with the folders
    that crashed instances left behind.
    """

    def __init__(self, root: Path, *, durable: bool = True) -> None:
        self.root = Path(root)
        self.durable = durable
        self.root.mkdir(parents=True, exist_ok=True)
        self._written: dict[str, Buffer] = {}
        self._claimed: dict[Path, _FileLock] = {}
        self._closed = False
        self.instance_dir, self._lock = self._claim_instance_dir()

    # ------------------------------------------------------------------ this instance
    def save(self, buffers: list[Buffer]) -> int:
        """Make the folder hold exactly ``buffers``; returns how many files were (re)written."""
        if self._closed:
            raise RuntimeError("RecoveryStore is closed")
        current = {b.key: b for b in buffers}
        written = 0
        for key, buffer in current.items():
            if self._written.get(key) != buffer:
                write_atomic(self._buffer_file(key), _encode(buffer), durable=self.durable)
                self._written[key] = buffer
                written += 1
        for key in [k for k in self._written if k not in current]:
            _unlink(self._buffer_file(key))
            del self._written[key]
        return written

    def close(self) -> None:
        """Clean exit: delete this instance's folder and let go of unclaimed orphans."""
        if self._closed:
            return
        self._closed = True
        for path in self.instance_dir.glob(f"{BUFFER_PREFIX}*.json"):
            _unlink(path)
        _unlink(self.instance_dir / INSTANCE_NAME)
        self._lock.release()
        shutil.rmtree(self.instance_dir, ignore_errors=True)
        for lock in self._claimed.values():
            lock.release()
        self._claimed.clear()

    def __enter__(self) -> RecoveryStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ crashed instances
    def orphans(self) -> list[Buffer]:
        """Buffers left by instances that are no longer running, oldest instance first.

        Dead folders holding no buffers are removed on the way; the others stay claimed
        (locked by this instance) until ``discard_orphans`` or ``close``.
        """
        found: list[tuple[float, Path, list[Buffer]]] = []
        for folder in self._dead_folders():
            buffers = _read_buffers(folder)
            if buffers:
                found.append((_started(folder), folder, buffers))
            else:
                self._remove_claimed(folder)
        found.sort(key=lambda item: (item[0], item[1].name))
        return [buffer for _started_at, _folder, buffers in found for buffer in buffers]

    def discard_orphans(self) -> None:
        """Delete every orphan folder found by ``orphans`` (call it once they are restored or declined)."""
        if not self._claimed:
            self._dead_folders()
        for folder in list(self._claimed):
            self._remove_claimed(folder)

    # ------------------------------------------------------------------ internals
    def _claim_instance_dir(self) -> tuple[Path, _FileLock]:
        while True:
            token = f"{time.time_ns():x}{secrets.token_hex(4)}"
            folder = self.root / f"{os.getpid()}-{token}"
            folder.mkdir()
            lock = _FileLock(folder / LOCK_NAME)
            if lock.acquire() is False:  # a scanner peeked in the same instant: use another name
                continue
            info = {"pid": os.getpid(), "token": token, "started": time.time(),
                    "proc_start": _process_start(os.getpid())}
            write_atomic(folder / INSTANCE_NAME, json.dumps(info), durable=self.durable)
            return folder, lock

    def _dead_folders(self) -> list[Path]:
        """Claim (lock) every instance folder whose owner is gone, and return them."""
        dead: list[Path] = []
        try:
            entries = [p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith(".")]
        except OSError:
            return dead
        for folder in entries:
            if folder == self.instance_dir:
                continue
            if folder in self._claimed:
                dead.append(folder)
                continue
            if not (folder / INSTANCE_NAME).is_file():
                if _age(folder) > STALE_UNFINISHED_SECONDS:
                    shutil.rmtree(folder, ignore_errors=True)
                continue
            lock = _FileLock(folder / LOCK_NAME)
            taken = lock.acquire()
            if taken is None and _owner_alive(folder):  # no locking here: trust the pid check
                continue
            if taken is False:
                continue
            self._claimed[folder] = lock
            dead.append(folder)
        return dead

    def _remove_claimed(self, folder: Path) -> None:
        lock = self._claimed.pop(folder, None)
        # Delete the payload first: if we die halfway the folder is still an (emptier) orphan.
        for path in folder.glob(f"{BUFFER_PREFIX}*.json"):
            _unlink(path)
        _unlink(folder / INSTANCE_NAME)
        if lock is not None:
            lock.release()
        shutil.rmtree(folder, ignore_errors=True)

    def _buffer_file(self, key: str) -> Path:
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:24]
        return self.instance_dir / f"{BUFFER_PREFIX}{digest}.json"


# ---------------------------------------------------------------------- file format
def _encode(buffer: Buffer) -> str:
    # ensure_ascii: lone surrogates (possible in editor text) survive as \\udxxx escapes.
    return json.dumps({"key": buffer.key, "title": buffer.title, "path": buffer.path,
                       "text": buffer.text, "saved": time.time()})


def _read_buffers(folder: Path) -> list[Buffer]:
    buffers: list[Buffer] = []
    for path in sorted(folder.glob(f"{BUFFER_PREFIX}*.json")):
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            buffer = Buffer(key=raw["key"], title=raw["title"], path=raw["path"], text=raw["text"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("skipping unreadable recovery file %s: %s", path, exc)
            continue
        if all(isinstance(v, str) for v in (buffer.key, buffer.title, buffer.text)) and (
                buffer.path is None or isinstance(buffer.path, str)):
            buffers.append(buffer)
    buffers.sort(key=lambda b: (b.title, b.key))
    return buffers


def _started(folder: Path) -> float:
    try:
        return float(json.loads((folder / INSTANCE_NAME).read_text(encoding="utf-8"))["started"])
    except (OSError, ValueError, KeyError, TypeError):
        return _mtime(folder)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _age(path: Path) -> float:
    return time.time() - _mtime(path)


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:
        log.warning("could not delete %s: %s", path, exc)


# ---------------------------------------------------------------------- liveness
class _FileLock:
    """An exclusive, non-blocking lock on a file, held through an open descriptor."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> bool | None:
        """True if now held, False if another open file holds it, None if locking is unsupported."""
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            return None
        try:
            if sys.platform == "win32":
                import msvcrt

                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except (BlockingIOError, PermissionError):
            os.close(fd)
            return False
        except OSError as exc:  # ENOLCK and friends: this file system can't lock
            os.close(fd)
            if sys.platform == "win32" and exc.errno in (13, 36):  # EACCES / EDEADLOCK: held
                return False
            return None
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the lock on every platform
            self._fd = None


def _owner_alive(folder: Path) -> bool:
    """Fallback when locks don't work: is the recorded process still the same process?"""
    try:
        info = json.loads((folder / INSTANCE_NAME).read_text(encoding="utf-8"))
        pid = int(info["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return False
    if sys.platform == "win32":
        return True  # os.kill would terminate it; without locks we can't tell, so never steal
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    recorded = info.get("proc_start")
    return recorded is None or recorded == _process_start(pid)  # a reused pid starts later


def _process_start(pid: int) -> str | None:
    """The kernel's start time of ``pid`` (Linux), to tell a reused pid from the original."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else None
